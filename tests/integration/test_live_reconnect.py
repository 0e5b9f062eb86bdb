"""Live sessions survive the session limit and an engine restart: no words lost, none doubled."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import joined, live_session, references, wer
from tui.core.levels import Level
from tui.core.recording import Recorder as AudioRecorder
from tui.core.sources import AudioSource, FileSource
from tui.core.target import local_target
from tui.shared.audio import decode_file

pytestmark = [pytest.mark.engine, pytest.mark.paced]


class Recorder:
    """A listener that keeps everything it hears."""

    def __init__(self) -> None:
        self.notices: list[tuple[str, str]] = []
        self.finals: list[str] = []
        self.levels = 0

    def partial(self, text: str) -> None:
        pass

    def final(self, text: str) -> None:
        self.finals.append(text)

    def level(self, level: Level) -> None:
        self.levels += 1

    def notice(self, severity: str, text: str) -> None:
        self.notices.append((severity, text))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(port: int, data: Path, *extra: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui",
            "serve",
            "--port",
            str(port),
            "--announce",
            "--api-key",
            "k",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "SM_TUI_DATA_DIR": str(data)},
    )
    assert process.stdout is not None
    assert process.stdout.readline().startswith("READY")
    return process


def deleted_words(reference: str, hypothesis: str) -> int:
    """Reference words missing from the hypothesis (after the WER normalisation)."""
    import jiwer

    from tests.helpers import normalise

    return int(jiwer.process_words(normalise(reference), normalise(hypothesis)).deletions)


def no_doubles(text: str) -> bool:
    """No word repeated back to back (a doubled final across a switch would show as one)."""
    words = [w.strip(".,?!").lower() for w in text.split()]
    return all(a != b for a, b in itertools.pairwise(words))


def recorded(source: AudioSource, path: Path) -> tuple[AudioSource, AudioRecorder]:
    """The source, with what it captures kept in ``path`` as the dashboard keeps it."""
    kept = AudioRecorder(path)
    source.taps.append(kept.write_block)
    return source, kept


def seconds(path: Path) -> float:
    return len(decode_file(path)) / 16000


async def test_rollover_before_the_session_limit(tmp_path: Path, shared_audio: Path) -> None:
    port = free_port()
    # The engine's limit leaves the old session time to flush its last words: on a busy machine
    # that takes seconds, and a limit only 2 s above the switch cut them off.
    engine = serve(port, tmp_path / "engine", "--max-session-seconds", "12")
    try:
        target = local_target(
            f"http://127.0.0.1:{port}/v2", f"ws://127.0.0.1:{port}/v2", "k", "tiny.en"
        )
        audio = joined(
            tmp_path / "talk.wav", shared_audio / "agent.wav", shared_audio / "customer.wav"
        )
        heard = Recorder()
        source, kept = recorded(FileSource(audio), tmp_path / "heard.flac")
        session = live_session(target, source, heard, max_delay=1.0, max_session_s=4.0)
        await asyncio.wait_for(session.run(), timeout=90)
        kept.close()
    finally:
        engine.send_signal(signal.SIGINT)
        engine.wait(10)
    reference = references()["agent.wav"] + " " + references()["customer.wav"]
    assert session.sessions_opened >= 4  # 20 s of audio, a new session every 4 s
    assert session.ended_cleanly
    assert wer(reference, session.transcript.text) <= 0.3, session.transcript.text
    assert no_doubles(session.transcript.text)
    assert not [n for n in heard.notices if n[0] == "error"], heard.notices
    assert seconds(kept.path) == pytest.approx(seconds(audio), abs=0.1)  # one file, every session


async def test_engine_killed_and_restarted_mid_stream(tmp_path: Path, shared_audio: Path) -> None:
    port = free_port()
    data = tmp_path / "engine"
    engine = serve(port, data)
    target = local_target(
        f"http://127.0.0.1:{port}/v2", f"ws://127.0.0.1:{port}/v2", "k", "tiny.en"
    )
    audio = joined(
        tmp_path / "talk.wav", shared_audio / "hello.wav", 0.5, shared_audio / "agent.wav"
    )
    heard = Recorder()
    source, kept = recorded(FileSource(audio), tmp_path / "heard.flac")
    session = live_session(target, source, heard, max_delay=1.0, reconnect_for_s=60)
    running = asyncio.create_task(session.run())
    try:
        await asyncio.sleep(7.5)  # inside agent.wav's first sentence
        engine.kill()
        engine.wait()
        await asyncio.sleep(1.0)
        engine = serve(port, data)
        await asyncio.wait_for(running, timeout=90)
    finally:
        engine.send_signal(signal.SIGINT)
        engine.wait(10)
    reference = references()["hello.wav"] + " " + references()["agent.wav"]
    assert session.reconnects >= 1
    assert any("reconnect" in text for _, text in heard.notices), heard.notices
    # Losing the 2–3 s resent after the restart would delete about six of these 23 words.
    # Deletions are what a lost resend shows as; a busy machine's recognition differences
    # show as substitutions and insertions, so those are held to a looser bound.
    text = session.transcript.text
    assert deleted_words(reference, text) <= 2, text
    assert wer(reference, text) <= 0.3, text
    assert no_doubles(session.transcript.text)
    assert session.ended_cleanly
    kept.close()  # the audio resent after the restart is not recorded twice
    assert seconds(kept.path) == pytest.approx(seconds(audio), abs=0.1)
