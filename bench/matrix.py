"""``make benchmark-matrix``: ``sm-tui compare``'s matrix as a user runs it, on one ~10 s shared
recording with its reference: both operating points, batch and real time at ``max_delay`` 0.7
and 2, on the local engine. The command's own ``--json`` becomes the results' table.

    .venv/bin/python bench/matrix.py [RECORDING] [--max-delay 0.7,2] [--repeat N]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import Table, write_results  # noqa: E402
from tui.core.references import load_references  # noqa: E402

AUDIO = ROOT.parent / "shared" / "audio"


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"


def main(argv: list[str]) -> int:
    name = argv[0] if argv and not argv[0].startswith("-") else "customer.wav"
    extra = argv[1:] if argv and not argv[0].startswith("-") else argv
    reference = load_references(AUDIO / "references.tsv")[name]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "matrix.json"
        args = [
            str(AUDIO / name),
            "--reference",
            reference,
            "--model",
            "standard,enhanced",
            "--max-delay",
            "0.7,2",
            *extra,
            "--json",
            str(out),
        ]
        env = {**os.environ, "SM_TUI_DATA_DIR": str(Path(folder) / "data"), "COLUMNS": "120"}
        env.pop("SPEECHMATICS_API_KEY", None)
        run = subprocess.run([sys.executable, "-m", "tui", "compare", *args], env=env, timeout=3600)
        if not out.exists():
            print("the matrix wrote no JSON", file=sys.stderr)
            return 1
        body = json.loads(out.read_text(encoding="utf-8"))
    front = set(body["pareto_front"])
    table = Table(
        f"{name} ({body['files'][0]['audio_s']:.1f} s), local engine: each configuration "
        "(★ on the Pareto front of latency p50 against WER)",
        ["configuration", "latency p50", "p95", "first partial", "WER", "compute", "errors"],
    )
    for row in body["configurations"]:
        delay = f" {row['max_delay']:g}s" if row["max_delay"] is not None else ""
        label = f"{row['mode']} {row['model']}{delay} {row['target']}"
        table.add(
            label + (" ★" if label in front else ""),
            _s(row["latency_p50_s"]),
            _s(row["latency_p95_s"]),
            _s(row["first_partial_s"]),
            "–" if row["wer"] is None else f"{100 * row['wer']:.1f}%",
            _s(row["compute_s"]),
            "; ".join(row["errors"]) or "0",
        )
    verdict = Table("The verdict", ["verdict"])
    for line in body["verdict"]:
        verdict.add(line)
    command = "sm-tui compare " + " ".join(
        f'"{a}"' if " " in a else a for a in [f"../shared/audio/{name}", *args[1:-2]]
    )
    path = write_results("compare_matrix", {"matrix": body}, [table, verdict], command)
    print(f"\nwrote {path}")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
