"""Real time on a machine too busy to keep up, and with a recogniser that repeats itself:
every word arrives once, in order, late rather than lost, and the user is told.

The engine is the real one (pump, scheduler, streaming rules, WebSocket, the rt SDK); the
stand-in recogniser makes each step take as long as a busy machine's, or echoes its prompt and
invents an ending the way a looping Whisper does. A stand-in that never returns (once) shows
that no inference call waits forever, in real time or in batch."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest

from tests.helpers import engine_target, live_session, normalise
from tests.standin import InProcessEngine, ToneRecognizer, expected_text, tone_file
from tui.core.levels import Level
from tui.core.sources import FileSource
from tui.engine.recognition.asr import Decoding, Word
from tui.engine.recognition.scheduler import BATCH, REALTIME, InferenceScheduler

pytestmark = pytest.mark.paced

PLAIN = Decoding()  # English, transcribed, no hints

TALK = ["alpha bravo charlie", "delta echo foxtrot", "golf hotel india", "juliet alpha bravo"]


class Heard:
    def __init__(self) -> None:
        self.notices: list[tuple[str, str]] = []
        self.most_behind = 0.0
        self.most_compute = 0.0
        self.session: Any = None

    def partial(self, text: str) -> None:
        pass

    def final(self, text: str) -> None:
        pass

    def level(self, level: Level) -> None:
        if self.session is not None:
            self.most_behind = max(self.most_behind, self.session.behind_seconds)
            self.most_compute = max(self.most_compute, self.session.compute_ratio or 0.0)

    def notice(self, severity: str, text: str) -> None:
        self.notices.append((severity, text))


class Echoing(ToneRecognizer):
    """Whisper at its worst: each window's words, then, in the silence after them (where Whisper
    invents), its prompt said again and "Thank you."."""

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        prompt: str | None = None,
        beam_size: int = 1,
        decoding: Decoding = PLAIN,
        wide: bool = False,
    ) -> list[Word]:
        words = super().transcribe(audio, prompt=prompt, beam_size=beam_size)
        at = (words[-1].end if words else 0.0) + 0.6
        invented = [f" {w}" for w in (prompt or "").split()[-8:]] + [" Thank", " you."]
        for text in invented:
            words.append(Word(text, at + 0.05, at + 0.25))
            at += 0.25
        return words


async def stream(engine: InProcessEngine, audio: Path, heard: Heard) -> Any:
    session = live_session(engine_target(engine), FileSource(audio), heard, max_delay=1.0)
    heard.session = session
    await session.run()
    return session


async def test_a_busy_machine_makes_words_late_never_lost(tmp_path: Path) -> None:
    """Each step takes 2.5 s (a machine far too busy): the session falls behind, says so, and
    still ends with every word once, in order, by EndOfTranscript."""
    engine = InProcessEngine(tmp_path / "busy", ToneRecognizer(delay_s=2.5)).start()
    try:
        heard = Heard()
        session = await stream(engine, tone_file(tmp_path / "talk.wav", TALK), heard)
        async with aiohttp.ClientSession() as http:  # the load endpoint: key, and known ids only
            url = f"{engine.batch_url}/sm-tui/realtime/nope"
            async with http.get(url, headers={"Authorization": "Bearer k"}) as answer:
                assert answer.status == 404
            async with http.get(url) as answer:
                assert answer.status == 401
    finally:
        engine.stop()
    assert normalise(session.transcript.text) == normalise(expected_text(TALK))
    assert session.ended_cleanly
    assert heard.most_behind > 4.0  # it was behind…
    assert heard.most_compute > 1.0  # …because each step cost more than the audio it covered
    assert any("cannot keep up" in text for _, text in heard.notices), heard.notices  # …and said


async def test_a_repeating_recogniser_never_loops_or_invents(tmp_path: Path) -> None:
    engine = InProcessEngine(tmp_path / "echo", Echoing()).start()
    try:
        heard = Heard()
        session = await stream(engine, tone_file(tmp_path / "talk.wav", TALK * 2), heard)
    finally:
        engine.stop()
    text = normalise(session.transcript.text)
    assert text == normalise(expected_text(TALK * 2)), text
    assert "thank" not in text


class StuckOnce(ToneRecognizer):
    """A two-thread call that never returns (here, until the test ends), as CTranslate2's was
    seen to beside a busy CPU."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.stuck = 0

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        prompt: str | None = None,
        beam_size: int = 1,
        decoding: Decoding = PLAIN,
        wide: bool = False,
    ) -> list[Word]:
        if wide and not self.stuck:
            self.stuck += 1
            self.release.wait(120)
        return super().transcribe(audio, prompt=prompt, beam_size=beam_size)


async def test_a_step_that_never_returns_costs_a_pause_not_the_session(tmp_path: Path) -> None:
    """The lane gives the stuck step up and goes on with a new thread, the window is heard
    again on one thread, and the session ends with every word; no step goes wide again."""
    stuck = StuckOnce()
    lanes = InferenceScheduler(stall_s={REALTIME: 2.0, BATCH: 60.0})
    engine = InProcessEngine(tmp_path / "stuck", stuck, scheduler=lanes).start()
    try:
        heard = Heard()
        session = await stream(engine, tone_file(tmp_path / "talk.wav", TALK), heard)
    finally:
        stuck.release.set()
        engine.stop()
    assert stuck.stuck == 1 and lanes.stalls == 1
    assert stuck.gave_up_wide
    assert normalise(session.transcript.text) == normalise(expected_text(TALK))
    assert session.ended_cleanly


class StuckInBatch(ToneRecognizer):
    """A batch piece that never returns (here, until the test ends)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def transcribe_batch(
        self, audio: np.ndarray, decoding: Decoding = PLAIN
    ) -> Iterator[list[Word]]:
        self.release.wait(120)
        return super().transcribe_batch(audio, decoding)


async def test_a_batch_piece_that_never_returns_fails_its_job_saying_so(tmp_path: Path) -> None:
    from speechmatics.batch import AsyncClient, JobStatus

    stuck = StuckInBatch()
    lanes = InferenceScheduler(stall_s={REALTIME: 60.0, BATCH: 2.0})
    engine = InProcessEngine(tmp_path / "stuck", stuck, scheduler=lanes).start()
    try:
        async with AsyncClient(api_key=engine.api_key, url=engine.batch_url) as client:
            job = await client.submit_job(str(tone_file(tmp_path / "talk.wav", TALK)))
            async with asyncio.timeout(60):
                while (info := await client.get_job_info(job.id)).status == JobStatus.RUNNING:
                    await asyncio.sleep(0.2)
    finally:
        stuck.release.set()
        engine.stop()
    assert info.status == JobStatus.REJECTED and lanes.stalls == 1
    assert "stopped answering" in info.errors[-1].message, info.errors
