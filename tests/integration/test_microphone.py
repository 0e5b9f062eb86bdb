"""``sm-tui live`` from a real microphone: a private PulseAudio server (``tests/pulse.py``),
speech played into it, PortAudio recording it as any user's machine does.

The engine is the real one with the stand-in recogniser (its words are tone bursts, heard
exactly even after PulseAudio's resampling), reached through the Speechmatics URLs.
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

from tests.helpers import normalise, wait_for_output
from tests.pulse import PulseServer
from tests.standin import expected_text, tone_file

TALK = ["alpha bravo charlie", "delta echo foxtrot golf", "hotel india juliet"]


def start_live(
    pulse: PulseServer, standin: Any, data: Path, out: Path, *args: str
) -> subprocess.Popen[bytes]:
    """``sm-tui live --device pulse``, its stdout in ``out`` and its stderr beside it."""
    env = {
        **pulse.env,
        "SM_TUI_DATA_DIR": str(data),
        "SPEECHMATICS_API_KEY": standin.api_key,
        "SPEECHMATICS_BATCH_URL": standin.batch_url,
        "SPEECHMATICS_RT_URL": standin.rt_url,
    }
    with out.open("wb") as stdout, out.with_suffix(".err").open("wb") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "tui", "live", "--device", "pulse", *args],
            stdout=stdout,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            env=env,
        )


def test_live_from_the_microphone(
    pulse: PulseServer, standin: Any, isolated: Path, tmp_path: Path
) -> None:
    talk = tone_file(tmp_path / "talk.wav", TALK)
    figures, out = tmp_path / "live.json", tmp_path / "live.out"
    process = start_live(pulse, standin, isolated, out, "--json", str(figures))
    wait_for_output(out.with_suffix(".err"), "listening to pulse", process)
    assert pulse.play(talk).wait(timeout=60) == 0
    wait_for_output(out, TALK[-1].split()[-1], process)  # the last word heard
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0, out.with_suffix(".err").read_text()
    data = json.loads(figures.read_text())
    assert normalise(expected_text(TALK)) in normalise(data["transcript"])
    assert data["errors"] == []


def test_the_microphone_vanishing_mid_session(
    pulse: PulseServer, standin: Any, isolated: Path, tmp_path: Path
) -> None:
    talk = tone_file(tmp_path / "talk.wav", TALK)
    figures, out = tmp_path / "live.json", tmp_path / "live.out"
    process = start_live(pulse, standin, isolated, out, "--json", str(figures))
    wait_for_output(out.with_suffix(".err"), "listening to pulse", process)
    assert pulse.play(talk).wait(timeout=60) == 0
    wait_for_output(out, "] ", process)  # words were heard before the microphone went
    pulse.unplug()
    assert process.wait(timeout=60) == 1
    err = out.with_suffix(".err").read_text()
    assert "stopped sending audio" in err and "Traceback" not in err
    data = json.loads(figures.read_text())
    printed = " ".join(line.split("] ", 1)[1] for line in out.read_text().splitlines())
    assert data["transcript"] and normalise(printed) == normalise(data["transcript"])


def test_no_input_device_at_all(isolated: Path, tmp_path: Path) -> None:
    """No sound server and no sound card: the command says so (as on a headless server)."""
    nothing = tmp_path / "no-server"
    nothing.mkdir(mode=0o700)
    env = {
        **os.environ,
        "SM_TUI_DATA_DIR": str(isolated),
        "XDG_RUNTIME_DIR": str(nothing),
        "HOME": str(nothing),
    }
    env.pop("PULSE_SERVER", None)
    listed = subprocess.run(
        [sys.executable, "-c", "import sounddevice as sd; print(len(sd.query_devices()))"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    if listed.stdout.strip() not in ("", "0"):
        pytest.skip("this machine has a sound card, so it is never without an input device")
    done = subprocess.run(
        [sys.executable, "-m", "tui", "live", "--seconds", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1
    assert "no input device" in done.stderr and "Traceback" not in done.stderr
