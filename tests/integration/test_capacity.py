"""Which model a real-time session runs, how many sessions the engine serves, and a first
session that waits for its model: the real engine with stand-in recognisers and the rt SDK."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.helpers import normalise
from tests.integration.rt_helpers import pcm, stream
from tests.standin import InProcessEngine, ToneRecognizer, expected_text, tone_file
from tui.engine.realtime import session_models
from tui.engine.recognition.capacity import StepCosts
from tui.shared.extensions import CAPACITY_PATH

pytestmark = pytest.mark.paced

SENTENCES = ["alpha bravo charlie", "delta echo"]


class Slow(ToneRecognizer):
    """An enhanced model whose real-time steps take ``wide`` seconds on both cores."""

    name = "slow-enhanced"

    def __init__(self, wide: float) -> None:
        super().__init__()
        self.step_costs = StepCosts(wide=wide, narrow=wide * 1.7)


class TimedLow(StepCosts):
    """Costs timed at ``timed`` on both cores, as a model's load can time them beside nothing,
    while every step it runs takes ``real`` (the machine got busy, or the timing was lucky)."""

    def __init__(self, timed: float, real: float) -> None:
        super().__init__(wide=timed, narrow=timed * 1.7, timed=timed)
        self.real = real

    def observe(self, seconds: float, wide: bool) -> None:
        super().observe(self.real if wide else self.real * 1.7, wide)


class Underestimated(ToneRecognizer):
    """An enhanced model timed at 0.3 s a step (it keeps max_delay 1) whose steps take 0.9 s;
    timed again, it says 0.3 s again (what took 0.9 s has gone: it ran beside it)."""

    name = "underestimated-enhanced"

    def __init__(self) -> None:
        super().__init__()
        self.step_costs = TimedLow(timed=0.3, real=0.9)
        self.timed_again = threading.Event()

    def retime(self, wide: bool = False) -> None:
        super().retime(wide)
        self.step_costs.narrow = 0.3 * 1.7
        if wide:
            self.step_costs.wide = self.step_costs.timed = 0.3
        self.timed_again.set()


@pytest.fixture
def loading(tmp_path: Path) -> Iterator[tuple[InProcessEngine, threading.Event]]:
    """An engine whose enhanced model takes until the test lets it finish loading (past the
    SDK's 5 s wait for RecognitionStarted), and steps at 1.0 s on both cores once loaded."""
    let_go = threading.Event()

    def load() -> Slow:
        let_go.wait(30)
        return Slow(wide=1.0)

    engine = InProcessEngine(tmp_path / "engine", load_enhanced=load).start()
    yield engine, let_go
    let_go.set()
    engine.stop()


async def test_recognition_starts_before_a_slow_model_has_loaded(
    loading: tuple[InProcessEngine, threading.Event], tmp_path: Path
) -> None:
    """The SDK gives up after 5 s without RecognitionStarted; the first enhanced session of
    an engine waits longer than that for its model. It starts, and no audio is lost."""
    engine, let_go = loading
    audio = pcm(tone_file(tmp_path / "a.wav", SENTENCES))
    threading.Timer(6.0, let_go.set).start()
    got = await stream(engine, audio, paced=False, model="enhanced", max_delay=4.0)
    assert normalise(got.final_text) == normalise(expected_text(SENTENCES))
    assert got.of("Error") == []


async def test_enhanced_falls_back_where_its_steps_cannot_keep_max_delay(
    loading: tuple[InProcessEngine, threading.Event], tmp_path: Path
) -> None:
    """A step of 1.0 s cannot keep max_delay 1.0 (0.575 s at most) but keeps 4.0: the session
    runs the standard model and is told why, or runs the enhanced one, and is told so."""
    engine, let_go = loading
    let_go.set()
    audio = pcm(tone_file(tmp_path / "a.wav", SENTENCES))
    fast = await stream(engine, audio, paced=False, model="enhanced", max_delay=1.0)
    quality, usage = fast.of("Info")[:2]
    assert quality["type"] == "recognition_quality"
    assert "stand-in" in quality["reason"] and "operating point enhanced" in quality["reason"]
    assert "from max_delay 1.9" in quality["reason"], quality["reason"]
    assert usage["type"] == "concurrent_session_usage" and usage["usage"] == 1
    assert normalise(fast.final_text) == normalise(expected_text(SENTENCES))

    loose = await stream(engine, audio, paced=False, model="enhanced", max_delay=4.0)
    quality, usage = loose.of("Info")[:2]
    assert "slow-enhanced" in quality["reason"] and "operating point" not in quality["reason"]
    assert usage["quota"] == 2 and "later" not in usage["reason"]


async def test_the_capacity_endpoint_gives_each_loaded_model_s_figures(
    loading: tuple[InProcessEngine, threading.Event], tmp_path: Path
) -> None:
    engine, let_go = loading
    let_go.set()
    # the enhanced model loads, but this session runs the standard one: its costs stay as timed
    await stream(
        engine,
        pcm(tone_file(tmp_path / "a.wav", ["alpha"])),
        paced=False,
        model="enhanced",
        max_delay=1.0,
    )
    url = engine.batch_url.removesuffix("/v2") + CAPACITY_PATH
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as refused:
            assert refused.status == 401
        async with http.get(url, headers={"Authorization": f"Bearer {engine.api_key}"}) as answer:
            body: dict[str, Any] = await answer.json()
    assert body["sessions"] == 0 and body["max_sessions"] >= 1
    enhanced = body["models"]["enhanced"]
    assert enhanced["model"] == "slow-enhanced"
    assert enhanced["sessions_within_max_delay"] == {"0.7": 0, "1": 0, "2": 1, "4": 2}
    assert body["models"]["standard"]["sessions_within_max_delay"]["1"] >= 1


async def test_a_session_whose_enhanced_steps_prove_too_slow_changes_model_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The timing made as a model loads said base keeps max_delay 1; its steps then took
    longer. After a few steps the session runs the standard model, its Infos say so, and no
    word is lost at the change."""
    models: list[Underestimated] = []

    def load() -> Underestimated:
        models.append(Underestimated())
        return models[-1]

    monkeypatch.setattr(session_models, "IDLE_S", 0.2)  # the engine waits 5 s of no session
    engine = InProcessEngine(tmp_path / "engine", load_enhanced=load).start()
    try:
        sentences = [*SENTENCES, "foxtrot golf hotel", "india juliet", "alpha echo golf"]
        audio = pcm(tone_file(tmp_path / "a.wav", sentences))
        got = await stream(engine, audio, model="enhanced", max_delay=1.0)
        # With no session left, the model its steps said too slow is timed again; the next
        # session is given it, as the first was (not refused it for good).
        (model,) = models
        assert await asyncio.to_thread(model.timed_again.wait, 30), "timed again when idle"
        assert model.retimed == [True]  # on both cores: nothing else ran
        again = await stream(
            engine,
            pcm(tone_file(tmp_path / "b.wav", SENTENCES)),
            paced=False,
            model="enhanced",
            max_delay=1.0,
        )
    finally:
        engine.stop()
    quality = next(i for i in again.of("Info") if i["type"] == "recognition_quality")
    assert "underestimated-enhanced" in quality["reason"], quality["reason"]
    qualities = [i for i in got.of("Info") if i["type"] == "recognition_quality"]
    assert len(qualities) == 2, qualities
    first, then = qualities
    assert "underestimated-enhanced" in first["reason"]
    assert "operating point" not in first["reason"]
    assert "stand-in" in then["reason"], then["reason"]
    assert "runs underestimated-enhanced, whose steps take" in then["reason"]
    assert "more than max_delay 1 allows" in then["reason"]
    assert normalise(got.final_text) == normalise(expected_text(sentences))
    assert got.of("Error") == []
