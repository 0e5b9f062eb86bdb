"""An end-to-end comparison of assets/sample.wav on the local engine fills every field."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ASSETS, SAMPLE, engine_target, references
from tui.core.compare import compare

pytestmark = [pytest.mark.engine, pytest.mark.paced]


def check_summary(summary: dict[str, Any]) -> None:
    assert summary["file"] == "sample.wav" and summary["audio_s"] == pytest.approx(4.15, abs=0.05)
    batch, rt, wer = summary["batch"], summary["realtime"], summary["wer"]
    assert batch["error"] is None and batch["transcript"]
    assert batch["turnaround_s"] > 0 and batch["turnaround_ratio"] > 0
    for key in (
        "first_partial_s",
        "partial_lag_p50_s",
        "partial_lag_p95_s",
        "final_latency_p50_s",
        "final_latency_p95_s",
        "final_latency_max_s",
        "words_per_minute",
    ):
        assert rt[key] is not None and rt[key] > 0, key
    assert rt["pacing"] == pytest.approx(1.0, abs=0.02)
    assert rt["session_s"] >= summary["audio_s"]
    assert not rt["errors"]
    assert all(wer[k] is not None for k in ("batch", "realtime", "between"))
    assert wer["batch"] <= 0.25
    words = rt["words"]
    assert len(words) >= 5
    assert all(w["final_arrival_s"] > 0 and w["latency_s"] > 0 for w in words)
    assert [w["end_time"] for w in words] == sorted(w["end_time"] for w in words)
    assert any(w["partial_first_seen_s"] is not None for w in words)
    assert all(
        w["partial_first_seen_s"] is None or w["partial_first_seen_s"] <= w["final_arrival_s"]
        for w in words
    )


async def test_compare_sample_fills_every_field(engine: Any) -> None:
    seen: list[str] = []
    result = await compare(
        engine_target(engine),
        SAMPLE,
        references()["sample.wav"],
        1.0,
        on_text=lambda kind, _text: seen.append(kind),
    )
    check_summary(result.summary().to_json())
    assert "partial" in seen and "final" in seen and "batch" in seen


def test_compare_command_writes_json(isolated: Path, tmp_path: Path) -> None:
    out = tmp_path / "sample.json"
    env = {**os.environ, "SM_TUI_DATA_DIR": str(isolated)}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui",
            "compare",
            str(SAMPLE),
            "--reference",
            str(ASSETS / "sample.txt"),
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "final-word latency" in run.stdout and "The guide's comparison" in run.stdout
    check_summary(json.loads(out.read_text()))


def test_compare_folder_prints_a_row_per_file(isolated: Path, tmp_path: Path) -> None:
    folder = tmp_path / "bench"
    folder.mkdir()
    (folder / "a.wav").write_bytes(SAMPLE.read_bytes())
    (folder / "b.wav").write_bytes(SAMPLE.read_bytes())
    refs = tmp_path / "refs.tsv"
    text = references()["sample.wav"]
    refs.write_text(f"file\treference\na.wav\t{text}\nb.wav\t{text}\n")
    env = {**os.environ, "SM_TUI_DATA_DIR": str(isolated), "COLUMNS": "200"}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui",
            "compare",
            str(folder),
            "--references",
            str(refs),
            "--json",
            str(tmp_path / "o.json"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "a.wav" in run.stdout and "b.wav" in run.stdout and "all (2 files)" in run.stdout
    assert len(json.loads((tmp_path / "o.json").read_text())["files"]) == 2


def test_compare_missing_file_is_a_clear_error(isolated: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "tui", "compare", "nope.wav"], capture_output=True, text=True
    )
    assert run.returncode == 2 and "does not exist" in run.stderr


def compare_command(*args: str, env: dict[str, str], timeout: float = 600) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "tui", "compare", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "160", **env},
        timeout=timeout,
    )


def test_a_2x2_matrix_measures_every_configuration(isolated: Path, tmp_path: Path) -> None:
    """``--model standard,enhanced --max-delay 0.7,2``: 2 batch and 4 real-time
    configurations, in the JSON with every field, and the table, plot and verdict shown."""
    out = tmp_path / "matrix.json"
    run = compare_command(
        str(SAMPLE),
        "--reference",
        str(ASSETS / "sample.txt"),
        "--model",
        "standard,enhanced",
        "--max-delay",
        "0.7,2",
        "--json",
        str(out),
        env={"SM_TUI_DATA_DIR": str(isolated)},
    )
    assert run.returncode == 0, run.stderr + run.stdout
    assert "6 configurations × 1 file(s) × 1" in run.stdout and "about" in run.stdout
    assert "latency p50 (s) against WER (%)" in run.stdout  # the plot
    assert "Fastest within 2 points of the best WER" in run.stdout
    body = json.loads(out.read_text())
    rows = body["configurations"]
    assert sorted((r["mode"], r["model"], r["max_delay"]) for r in rows) == [
        ("batch", "enhanced", None),
        ("batch", "standard", None),
        ("realtime", "enhanced", 0.7),
        ("realtime", "enhanced", 2.0),
        ("realtime", "standard", 0.7),
        ("realtime", "standard", 2.0),
    ]
    for row in rows:
        assert row["target"] == "local" and not row["errors"], row
        assert row["latency_p50_s"] > 0 and row["latency_p95_s"] >= row["latency_p50_s"]
        assert row["wer"] is not None and row["wer"] <= 0.5 and row["wer_against"] == "reference"
        assert row["cost_usd"] == 0.0 and row["compute_s"] is not None and row["compute_s"] > 0
        assert (row["first_partial_s"] is not None) == (row["mode"] == "realtime")
    assert body["pareto_front"] and body["verdict"] and body["finished"]
    kept = list((isolated / "comparisons" / "matrix").glob("*.json"))
    assert len(kept) == 1


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--model", "turbo"], "unknown model turbo"),
        (["--max-delay", "0.7,9"], "outside 0.7–4"),
        (["--target", "speechmatics"], "needs a Speechmatics API key"),
        (["--target", "http://127.0.0.1:9/v2"], "cannot be used: unreachable"),
    ],
)
def test_bad_matrix_options_are_refused_before_any_audio_is_sent(
    isolated: Path, args: list[str], named: str
) -> None:
    env = {"SM_TUI_DATA_DIR": str(isolated), "SPEECHMATICS_API_KEY": ""}
    run = compare_command(str(SAMPLE), "--model", "standard", *args, env=env, timeout=120)
    assert run.returncode == 2, run.stdout + run.stderr
    assert named in run.stderr and "Traceback" not in run.stderr
    assert not (isolated / "comparisons" / "matrix").exists()


def test_ctrl_c_keeps_the_rows_finished_so_far(isolated: Path, tmp_path: Path) -> None:
    import signal

    from tests.helpers import wait_for_output

    out, log = tmp_path / "matrix.json", tmp_path / "out.txt"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tui",
                "compare",
                str(SAMPLE),
                "--model",
                "standard",
                "--max-delay",
                "0.7,1,2,4",
                "--json",
                str(out),
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "SM_TUI_DATA_DIR": str(isolated), "COLUMNS": "160"},
        )
        try:
            wait_for_output(log, "[3/5]", process, timeout=300)  # two rows finished
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=120) == 1
        finally:
            process.kill()
    said = log.read_text()
    assert "stopped: the rows finished so far follow" in said and "Traceback" not in said
    body = json.loads(out.read_text())
    assert body["finished"] is False
    assert 2 <= len(body["configurations"]) < 5
    assert all(not row["errors"] for row in body["configurations"][:2])
