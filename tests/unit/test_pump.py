"""The real-time pump's steps on constructed timelines (a stand-in recogniser whose steps end
when the test says; no model, no clock), and the inference lanes' wide real-time steps."""

from __future__ import annotations

import asyncio
import itertools
import random
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tests.standin import ToneRecognizer, tone_speech
from tui.engine.realtime.pump import RecognitionPump, Speech, infer_window, untranscribed
from tui.engine.realtime.sessions import SessionLoad
from tui.engine.realtime.streaming import StreamingRecognizer, Window
from tui.engine.recognition.asr import Word
from tui.engine.recognition.scheduler import (
    BATCH,
    REALTIME,
    InferenceScheduler,
    InferenceStalled,
)
from tui.shared.audio import RATE

WORD_S = 0.5  # the stand-in speech says w0, w1, … one every half second
CHUNK_S = 0.05


def said(window: Window) -> tuple[list[Word], Speech]:
    """What a perfect recogniser hears in a window: each whole word, times from its start."""
    words = []
    index = int(window.start / WORD_S + 0.999)
    while (index + 1) * WORD_S - 0.1 <= window.end:
        start = index * WORD_S + 0.05
        words.append(Word(f" w{index}", start - window.start, start + 0.3 - window.start))
        index += 1
    return words, [(0.0, window.end - window.start)]


class Steps:
    """The recogniser stand-in: each step waits for the test to end it."""

    def __init__(self) -> None:
        self.under_way: list[tuple[Window, asyncio.Future[None]]] = []
        self.ended: list[Window] = []
        self.started = 0
        self.most_at_once = 0
        self.changed = asyncio.Event()

    async def infer(self, window: Window) -> tuple[list[Word], Speech]:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.under_way.append((window, done))
        self.started += 1
        self.most_at_once = max(self.most_at_once, len(self.under_way))
        self.changed.set()
        await done
        return said(window)

    def end(self, index: int) -> None:
        window, done = self.under_way.pop(index)
        self.ended.append(window)
        done.set_result(None)

    async def until(self, count: int) -> None:
        """Until ``count`` steps are under way."""
        async with asyncio.timeout(5):
            while len(self.under_way) < count:
                self.changed.clear()
                await self.changed.wait()


async def drain(steps: Steps, heard: Heard, rng: random.Random | None = None) -> None:
    """End the steps (in a random order with ``rng``) until the pump says it has finished."""
    async with asyncio.timeout(5):
        while not heard.ended.is_set():
            if steps.under_way:
                steps.end(rng.randrange(len(steps.under_way)) if rng else 0)
            await asyncio.sleep(0)


async def finish(
    pump: RecognitionPump, steps: Steps, heard: Heard, runner: asyncio.Task[None]
) -> None:
    """Close the input, end the steps left, and wait for the pump to stop."""
    pump.close_input()
    await drain(steps, heard)
    await runner


class Heard:
    def __init__(self) -> None:
        self.words: list[str] = []
        self.partials = 0
        self.ended = asyncio.Event()

    def finals(
        self,
        words: list[Word],
        forced: bool,
        speakers: list[str] | None = None,
        open_end: bool = False,
    ) -> None:
        self.words.extend(w.text.strip() for w in words)

    def partial(
        self,
        words: list[Word],
        force: bool,
        speakers: list[str | None] | None = None,
        heard: float = 0.0,
    ) -> None:
        self.partials += 1

    def end_of_utterance(self, at: float | None, forced: bool) -> None:
        pass

    def silence(self, until: float) -> None:
        pass

    def finished(self) -> None:
        assert not self.ended.is_set(), "finished twice"
        self.ended.set()


def pump_with() -> tuple[RecognitionPump, Steps, Heard]:
    steps, heard = Steps(), Heard()
    pump = RecognitionPump(StreamingRecognizer(max_delay=1.0), steps.infer, heard)
    return pump, steps, heard


async def feed(pump: RecognitionPump, seconds: float) -> None:
    """Audio as a live source gives it, a chunk at a time."""
    for _ in range(round(seconds / CHUNK_S)):
        pump.add_audio(np.zeros(round(CHUNK_S * 16000), dtype=np.float32))
        await asyncio.sleep(0)  # the pump's task runs between chunks, as between packets


async def test_one_step_at_a_time_and_the_next_takes_all_that_arrived() -> None:
    pump, steps, heard = pump_with()
    runner = asyncio.create_task(pump.run())
    await feed(pump, 2.0)
    await steps.until(1)
    assert steps.under_way[0][0].end < 1.0
    await feed(pump, 1.0)
    assert len(steps.under_way) == 1  # the next waits for this one's result
    steps.end(0)
    await steps.until(1)
    assert steps.under_way[0][0].end == pytest.approx(3.0)  # all the audio that arrived
    await finish(pump, steps, heard, runner)
    assert steps.most_at_once == 1
    assert heard.words == [f"w{i}" for i in range(6)]


async def test_the_end_waits_for_the_step_under_way_and_flushes() -> None:
    pump, steps, heard = pump_with()
    runner = asyncio.create_task(pump.run())
    await feed(pump, 1.0)
    await steps.until(1)
    pump.close_input()
    await feed(pump, 0.5)  # ignored: the input is closed
    assert len(steps.under_way) == 1
    assert not steps.under_way[0][0].flush
    steps.end(0)
    await steps.until(1)
    assert steps.under_way[0][0].flush
    steps.end(0)
    await runner
    assert heard.words == ["w0", "w1"]


async def test_every_word_once_in_order_whenever_steps_end() -> None:
    """A long stream whose steps end after random amounts of audio, seeded: the finals are
    every word of the speech once, in order."""
    for seed in range(5):
        rng = random.Random(seed)
        pump, steps, heard = pump_with()
        runner = asyncio.create_task(pump.run())
        for _ in range(200):  # 10 s of audio
            await feed(pump, CHUNK_S)
            if steps.under_way and rng.random() < 0.3:
                steps.end(0)
        pump.close_input()
        await drain(steps, heard, rng)
        await runner
        assert steps.most_at_once == 1
        assert heard.words == [f"w{i}" for i in range(20)], seed


def lane_call(started: threading.Event, release: threading.Event, wide: bool = False) -> bool:
    """A call that says it started, waits for the test, and tells whether it ran wide."""
    started.set()
    release.wait(5)
    return wide


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(5):
        while not condition():
            await asyncio.sleep(0.01)


async def test_a_real_time_step_runs_wide_only_when_the_other_lane_is_idle() -> None:
    scheduler = InferenceScheduler()
    release = threading.Event()
    try:
        release.set()
        assert await scheduler.run(REALTIME, lane_call, threading.Event(), release, widens=True)
        assert not await scheduler.run(REALTIME, lane_call, threading.Event(), release)
        release.clear()
        batch_started = threading.Event()
        batch = asyncio.ensure_future(scheduler.run(BATCH, lane_call, batch_started, release))
        await until(batch_started.is_set)
        step = asyncio.ensure_future(
            scheduler.run(REALTIME, lane_call, threading.Event(), release, widens=True)
        )
        await until(lambda: scheduler.busy_lanes() == 2)
        release.set()
        assert await step is False  # the batch lane was busy: one thread
        await batch
    finally:
        release.set()
        scheduler.close(wait_s=5)


async def test_work_that_comes_during_a_wide_step_waits_for_it_then_runs() -> None:
    scheduler = InferenceScheduler()
    release, wide_started, batch_started = threading.Event(), threading.Event(), threading.Event()
    try:
        step = asyncio.ensure_future(
            scheduler.run(REALTIME, lane_call, wide_started, release, widens=True)
        )
        await until(wide_started.is_set)
        assert scheduler.busy_lanes() == 2  # the step holds the batch lane too
        batch = asyncio.ensure_future(scheduler.run(BATCH, lane_call, batch_started, release))
        await until(lambda: scheduler.queued() == 0)  # the batch lane has taken it…
        assert not batch_started.is_set()  # …and waits for the lane the step holds
        release.set()
        assert await step is True
        await batch
        assert batch_started.is_set()
    finally:
        release.set()
        scheduler.close(wait_s=5)


def test_overlapping_calls_count_their_time_once() -> None:
    now = [0.0]
    load = SessionLoad(clock=lambda: now[0])
    with load.computing():
        now[0] = 0.2
        with load.computing():  # a second step beside the first
            now[0] = 0.5
            assert load.compute_s == pytest.approx(0.5)  # a spell under way counts already
        now[0] = 0.6
    now[0] = 1.0
    with load.computing():
        now[0] = 1.3
    assert load.compute_s == pytest.approx(0.9)


async def test_speakers_are_labelled_with_the_audio_heard_since_the_window() -> None:
    """A final at a window's edge is described by the audio around it: the labeller gets the
    window and what arrived while it was transcribed."""
    pump, steps, heard = pump_with()
    labelled: list[tuple[Window, Window]] = []  # what the labeller got, the step's window

    async def label(words: list[Word], window: Window) -> list[str]:
        labelled.append((window, steps.ended[-1]))
        return ["S1"] * len(words)

    pump.label = label
    runner = asyncio.create_task(pump.run())
    for _ in range(6):
        await feed(pump, 0.5)
        await steps.until(1)
        await feed(pump, 0.4)  # arrives while the step runs
        steps.end(0)
        await asyncio.sleep(0)
    await finish(pump, steps, heard, runner)
    assert labelled
    for got, step in labelled:
        assert got.start == step.start
        assert got.end - got.start == pytest.approx(len(got.audio) / 16000)  # one stretch
        assert np.array_equal(got.audio[: len(step.audio)], step.audio)
    assert all(got.end >= step.end + 0.4 for got, step in labelled if not step.flush)


@pytest.mark.parametrize(("took", "next_result_s"), [(0.1, 0.3 + 0.1), (1.2, 1.2 + 1.2)])
async def test_the_deadline_reckons_when_the_next_result_can_come(
    took: float, next_result_s: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A word is forced final when waiting for the next step would make it late. That step's
    window ends a step's new audio after this one, or a step's compute when steps take longer
    (all the audio that arrived meanwhile), and its result comes a compute after that."""
    import tui.engine.realtime.pump as pump_module

    clock = [100.0]
    monkeypatch.setattr(pump_module.time, "monotonic", lambda: clock[0])
    pump, steps, heard = pump_with()
    pump.compute_ema = took  # steps have been taking this long
    runner = asyncio.create_task(pump.run())
    await feed(pump, 2.0)
    await steps.until(1)
    clock[0] += took
    steps.end(0)
    await steps.until(1)
    assert pump.stream.step_cost == pytest.approx(next_result_s)
    await finish(pump, steps, heard, runner)


async def test_a_call_that_never_returns_is_given_up_and_the_lanes_go_on() -> None:
    scheduler = InferenceScheduler(stall_s={REALTIME: 0.5, BATCH: 60.0})
    started, release = threading.Event(), threading.Event()
    try:
        with pytest.raises(InferenceStalled) as stalled:
            await scheduler.run(REALTIME, lane_call, started, release, widens=True)
        assert stalled.value.wide  # it held the batch lane too…
        assert scheduler.stalls == 1 and scheduler.busy_lanes() == 0  # …and let it go
        done = threading.Event()
        done.set()
        assert await scheduler.run(BATCH, lane_call, threading.Event(), done) is False
        assert await scheduler.run(REALTIME, lane_call, threading.Event(), done) is False
        release.set()  # the stuck call returns at last: its result goes nowhere
        assert await scheduler.run(REALTIME, lane_call, threading.Event(), done, widens=True)
        assert scheduler.stalls == 1 and scheduler.busy_lanes() == 0
    finally:
        release.set()
        scheduler.close(wait_s=5)


def test_a_call_whose_caller_has_gone_leaves_its_lane_working() -> None:
    """The lanes are free before a result is handed over, and a caller whose event loop has
    closed (a session torn down mid-step) takes no lane with it: the lane's thread once died
    handing the result to the closed loop, with the lane still marked busy."""
    scheduler = InferenceScheduler()
    started, release = threading.Event(), threading.Event()
    gone = asyncio.new_event_loop()
    try:
        call = gone.create_task(scheduler.run(BATCH, lane_call, started, release))
        gone.run_until_complete(asyncio.sleep(0))
        assert started.wait(5)
        call.cancel()
        gone.run_until_complete(asyncio.gather(call, return_exceptions=True))
    finally:
        gone.close()
    release.set()

    async def again() -> bool:
        done = threading.Event()
        done.set()
        async with asyncio.timeout(5):
            return await scheduler.run(BATCH, lane_call, threading.Event(), done)

    try:
        assert asyncio.run(again()) is False
        assert scheduler.busy_lanes() == 0
    finally:
        scheduler.close()


class ClosesEarly(ToneRecognizer):
    """Writes what it hears up to the first sentence's end and stops there, as Whisper with a
    prompt does: a closing timestamp after "…the shutters.", though speech goes on."""

    def __init__(self) -> None:
        super().__init__()
        self.prompts: list[str | None] = []

    def transcribe(self, audio: np.ndarray, **options: Any) -> list[Word]:
        self.prompts.append(options.get("prompt"))
        words = super().transcribe(audio, delay=False)
        ends = [i for i, w in enumerate(words) if w.text.endswith(".")]
        return words[: ends[0] + 1] if ends else words


def test_speech_after_the_point_where_whisper_closed_its_text_is_decoded_too() -> None:
    audio = tone_speech(["alpha bravo", "charlie delta echo foxtrot"])
    model = ClosesEarly()
    window = Window(audio=audio, start=0.0, end=len(audio) / RATE, prompt="Before.", flush=False)
    words, _ = infer_window(model, window)  # type: ignore[arg-type]
    assert "".join(w.text for w in words) == " Alpha bravo. Charlie delta echo foxtrot."
    assert model.prompts == ["Before.", "Before. Alpha bravo."]  # what it wrote leads on
    assert all(a.end <= b.start for a, b in itertools.pairwise(words))


def test_a_short_sound_after_whisper_s_last_word_is_not_decoded_again() -> None:
    audio = tone_speech(["alpha bravo", "charlie"])  # 0.32 s of speech after the close
    model = ClosesEarly()
    window = Window(audio=audio, start=0.0, end=len(audio) / RATE, prompt="", flush=False)
    words, _ = infer_window(model, window)  # type: ignore[arg-type]
    assert "".join(w.text for w in words) == " Alpha bravo."
    assert len(model.prompts) == 1
    assert untranscribed([], [(0.0, 5.0)]) is None  # writing nothing is the stall rule's
