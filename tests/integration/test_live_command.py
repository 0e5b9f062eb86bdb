"""``sm-tui live``: a live session from a file, stdin or the microphone, without the dashboard.

The command runs as a user runs it (a child process), against the real engine: the stand-in
recogniser (exact and quick) through the Speechmatics URLs, as against Speechmatics, and once
the real model through the local engine it starts itself.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import normalise, references, wait_for_output, wer
from tests.standin import expected_text, tone_file, tone_speech
from tui.shared.audio import decode_file

TALK = ["alpha bravo charlie", "delta echo foxtrot golf", "hotel india juliet"]


def env_for(engine: Any, data: Path) -> dict[str, str]:
    """The environment of a user whose settings point at ``engine`` (a Speechmatics URL)."""
    return {
        **os.environ,
        "SM_TUI_DATA_DIR": str(data),
        "SPEECHMATICS_API_KEY": engine.api_key,
        "SPEECHMATICS_BATCH_URL": engine.batch_url,
        "SPEECHMATICS_RT_URL": engine.rt_url,
    }


def live(*args: str, env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run(
        [sys.executable, "-m", "tui", "live", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        **kwargs,
    )


def seconds_of(path: Path) -> float:
    return len(decode_file(path)) / 16000


def test_a_file_is_transcribed_kept_and_compared(
    standin: Any, isolated: Path, tmp_path: Path
) -> None:
    talk = tone_file(tmp_path / "talk.wav", TALK)
    saved, figures = tmp_path / "saved.flac", tmp_path / "live.json"
    done = live(
        str(talk),
        "--save-audio",
        str(saved),
        "--json",
        str(figures),
        "--compare",
        env=env_for(standin, isolated),
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    # piped: finals a line each, with their lag, and no partials redrawn in place
    lines = done.stdout.splitlines()
    assert lines and all(line.startswith("[") and "s] " in line for line in lines)
    assert "\x1b" not in done.stdout and "\r" not in done.stdout
    data = json.loads(figures.read_text())
    assert normalise(data["transcript"]) == normalise(expected_text(TALK))
    assert data["errors"] == [] and data["final_lag_p95_s"] is not None
    assert data["compare"]["live_vs_batch_wer"] == 0.0
    # the audio heard, kept twice: where asked, and in the data folder's recordings
    kept = [Path(p) for p in data["recordings"]]
    assert kept[0] == saved and kept[1].parent == isolated / "recordings"
    length = len(tone_speech(TALK)) / 16000
    for path in kept:
        assert seconds_of(path) == pytest.approx(length, abs=0.1)


def test_stdin_raw_pcm_stops_after_seconds(standin: Any, isolated: Path, tmp_path: Path) -> None:
    pcm = tone_speech(TALK * 4).astype("<i2").tobytes()
    figures = tmp_path / "live.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui",
            "live",
            "-",
            "--raw",
            "s16le:16000",
            "--seconds",
            "3",
            "--json",
            str(figures),
        ],
        input=pcm,
        capture_output=True,
        env=env_for(standin, isolated),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(figures.read_text())
    assert 3.0 <= data["audio_s"] < 3.5  # stopped at 3 s, not at the end of the pipe
    assert seconds_of(Path(data["recordings"][0])) == pytest.approx(data["audio_s"], abs=0.1)


def test_ctrl_c_keeps_every_word_heard_so_far(standin: Any, isolated: Path, tmp_path: Path) -> None:
    talk = tone_file(tmp_path / "talk.wav", TALK * 6)  # long enough to stop in the middle
    figures = tmp_path / "live.json"
    out = tmp_path / "live.out"
    with out.open("wb") as stdout, (tmp_path / "live.err").open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "tui", "live", str(talk), "--json", str(figures)],
            stdout=stdout,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            env=env_for(standin, isolated),
        )
    wait_for_output(out, "] ", process)  # a final arrived: the session is under way
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0, (tmp_path / "live.err").read_text()
    assert "Traceback" not in (tmp_path / "live.err").read_text()
    data = json.loads(figures.read_text())
    heard = data["audio_s"]
    assert 0 < heard < len(tone_speech(TALK * 6)) / 16000 - 1
    # the words printed are the words kept, and the recording holds the audio sent
    printed = " ".join(line.split("] ", 1)[1] for line in out.read_text().splitlines())
    assert normalise(printed) == normalise(data["transcript"])
    assert seconds_of(Path(data["recordings"][0])) == pytest.approx(heard, abs=0.1)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["missing.wav"], "missing.wav does not exist"),
        (["notes.txt"], "is not audio"),
        (["talk.wav", "--save-audio", "out.mp3"], "recordings are .flac or .wav"),
        (["talk.wav", "--raw", "s16le:16000"], "--raw is for stdin"),
    ],
    ids=["missing file", "not audio", "recording format", "raw for a file"],
)
def test_bad_input_is_a_clear_error(
    args: list[str], said: str, standin: Any, isolated: Path, tmp_path: Path
) -> None:
    tone_file(tmp_path / "talk.wav", TALK[:1])
    (tmp_path / "notes.txt").write_text("not audio")
    done = live(*args, env=env_for(standin, isolated), cwd=tmp_path)
    assert done.returncode == 1
    assert said in done.stderr and "Traceback" not in done.stderr
    assert not list((isolated / "recordings").glob("*"))  # nothing written for a bad command


def test_an_unreachable_engine_is_said(isolated: Path, tmp_path: Path) -> None:
    talk = tone_file(tmp_path / "talk.wav", TALK[:1])
    env = {
        **os.environ,
        "SM_TUI_DATA_DIR": str(isolated),
        "SPEECHMATICS_API_KEY": "k",
        "SPEECHMATICS_BATCH_URL": "http://127.0.0.1:9/v2",
        "SPEECHMATICS_RT_URL": "ws://127.0.0.1:9/v2",
    }
    done = live(str(talk), env=env)
    assert done.returncode == 1
    assert "could not start" in done.stderr and "127.0.0.1:9" in done.stderr
    assert "Traceback" not in done.stderr and "k" not in done.stdout


@pytest.mark.engine
def test_the_local_engine_end_to_end(isolated: Path, shared_audio: Path) -> None:
    """No key: the command starts the local engine and transcribes real speech."""
    env = {**os.environ, "SM_TUI_DATA_DIR": str(isolated)}
    figures = isolated / "live.json"
    done = live(str(shared_audio / "hello.wav"), "--json", str(figures), env=env)
    assert done.returncode == 0, done.stderr
    reference = references()["hello.wav"]  # the TSV's last column (it has five)
    assert wer(reference, json.loads(figures.read_text())["transcript"]) <= 0.3


def test_a_full_disk_stops_the_recording_not_the_session(
    standin: Any, isolated: Path, tmp_path: Path
) -> None:
    """``/dev/full`` answers every write with ENOSPC, as a full disk does."""
    talk = tone_file(tmp_path / "talk.wav", TALK)
    full = tmp_path / "full.flac"
    full.symlink_to("/dev/full")
    figures = tmp_path / "live.json"
    done = live(
        str(talk), "--save-audio", str(full), "--json", str(figures),
        env=env_for(standin, isolated),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "the recording" in done.stderr and "stopped" in done.stderr
    assert "No space left on device" in done.stderr and "Traceback" not in done.stderr
    data = json.loads(figures.read_text())
    assert normalise(data["transcript"]) == normalise(expected_text(TALK))  # every word heard
    (kept,) = [Path(p) for p in data["recordings"]]  # the data folder's copy is whole
    assert seconds_of(kept) == pytest.approx(len(tone_speech(TALK)) / 16000, abs=0.1)


def test_recordings_can_be_turned_off(standin: Any, isolated: Path, tmp_path: Path) -> None:
    talk = tone_file(tmp_path / "talk.wav", TALK[:1])
    env = {**env_for(standin, isolated), "SM_TUI_KEEP_RECORDINGS": "0"}
    done = live(str(talk), "--json", str(tmp_path / "live.json"), env=env)
    assert done.returncode == 0, done.stderr
    assert not (isolated / "recordings").exists() or not list((isolated / "recordings").iterdir())
    assert json.loads((tmp_path / "live.json").read_text())["recordings"] == []
