"""The recognition pump of a real-time session: audio in, steps on the inference thread, words out.

It knows nothing of WebSockets or messages: the protocol side (``rt_api``) feeds it audio and
control events and turns what it reports, through a ``PumpSink``, into protocol messages. Its
state is explicit: whether input is still open, and whether it waits, steps or has finished.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

import numpy as np

from tui.engine.asr import SpeechModel, Word
from tui.engine.streaming import StreamingRecognizer, Window
from tui.shared.audio import RATE

MIN_STEP_S = 0.3  # new audio that triggers a step
SHORT_STEP_S = 0.15  # …when max_delay is under a second
Speech = list[tuple[float, float]]
Infer = Callable[[Window], Awaitable[tuple[list[Word], Speech]]]
Label = Callable[[list[Word], Window], Awaitable[list[str]]]


class Input(enum.Enum):
    """Whether audio may still arrive."""

    OPEN = "open"
    CLOSED = "closed"  # EndOfStream came and the decoder drained: every sample is in


class Phase(enum.Enum):
    """What the pump is doing."""

    WAITING = "waiting"  # for enough new audio, an end or a forced end of utterance
    STEPPING = "stepping"  # a window is being transcribed
    FINISHED = "finished"  # the last window was flushed; nothing more will be said


class PumpSink(Protocol):
    """Where the pump's decisions go (the protocol side)."""

    def finals(self, words: list[Word], forced: bool, speakers: list[str] | None = None) -> None:
        """Words that became final (possibly none, when forced), with each one's speaker when
        the session diarizes."""

    def partial(self, words: list[Word], force: bool) -> None:
        """The current partial; ``force`` sends it even if unchanged."""

    def end_of_utterance(self, at: float | None, forced: bool) -> None:
        """An utterance ended at stream time ``at`` (None: where the last final ended)."""

    def finished(self) -> None:
        """Every word of the stream was sent."""


def infer_window(model: SpeechModel, window: Window) -> tuple[list[Word], Speech]:
    """Runs on the inference thread: voice activity first, then the model where there is speech."""
    speech = model.speech_regions(window.audio)
    if not speech:
        return [], []
    first = max(0.0, speech[0][0] - 0.2, window.skip_s)
    words = model.transcribe(
        window.audio[int(first * RATE) :], prompt=window.prompt, decoding=window.decoding
    )
    return [w.shifted(first) for w in words], speech


class RecognitionPump:
    """Steps a ``StreamingRecognizer`` as audio arrives, one window at a time.

    Args:
        stream: The session's decoding state.
        infer: Transcribes a window (on the engine's inference scheduler).
        sink: Hears the finals, partials and utterance ends.
    """

    def __init__(
        self,
        stream: StreamingRecognizer,
        infer: Infer,
        sink: PumpSink,
        on_step: Callable[[], None] | None = None,
        label: Label | None = None,
    ) -> None:
        self.stream = stream
        self.infer = infer
        self.sink = sink
        self.on_step = on_step
        self.label = label  # each final word's speaker (diarization)
        self.input = Input.OPEN
        self.phase = Phase.WAITING
        self.compute_ema = 0.3  # seconds a step has been taking, smoothed
        self._force_pending = False
        self._step_end = 0.0
        self._wake = asyncio.Event()

    def add_audio(self, samples: np.ndarray) -> None:
        """Take 16 kHz float32 samples (ignored once input is closed)."""
        if self.input is Input.OPEN:
            self.stream.add_audio(samples)
            if self._new_audio() >= self.min_step_s:
                self._wake.set()

    def close_input(self) -> None:
        """Every sample is in: the pump flushes and finishes."""
        self.input = Input.CLOSED
        self._wake.set()

    def force_end_of_utterance(self) -> None:
        """Finalise everything heard so far at the next step (ForceEndOfUtterance)."""
        self._force_pending = True
        self._wake.set()

    def _new_audio(self) -> float:
        return self.stream.audio_end - self._step_end

    def _due(self) -> bool:
        return (
            self.input is Input.CLOSED
            or self._force_pending
            or self._new_audio() >= self.min_step_s
        )

    @property
    def min_step_s(self) -> float:
        """New audio that triggers a step: less when ``max_delay`` is under a second."""
        return SHORT_STEP_S if self.stream.max_delay < 1.0 else MIN_STEP_S

    async def run(self) -> None:
        """Step until the last window is flushed."""
        while not self.finished:
            await self._wake.wait()
            self._wake.clear()
            while not self.finished and self._due():
                ending = self.input is Input.CLOSED
                forced, self._force_pending = self._force_pending, False
                window = self.stream.plan(flush=ending or forced)
                await self._step(window, forced)
                if ending and window.flush:
                    self.phase = Phase.FINISHED
                    self.sink.finished()

    @property
    def finished(self) -> bool:
        """True once the last window was flushed."""
        return self.phase is Phase.FINISHED

    async def _step(self, window: Window, forced: bool) -> None:
        self.phase = Phase.STEPPING
        started = time.monotonic()
        words, speech = await self.infer(window)
        self.compute_ema = 0.7 * self.compute_ema + 0.3 * (time.monotonic() - started)
        self.stream.step_cost = self.min_step_s + self.compute_ema
        self._step_end = window.end
        self.phase = Phase.WAITING
        update = self.stream.apply(window, words, speech)
        if self.on_step is not None:
            self.on_step()
        if update.finals or forced:
            speakers = None
            if update.finals and self.label is not None:
                speakers = await self.label(update.finals, window)
            self.sink.finals(update.finals, forced, speakers)
        self.sink.partial(update.partial, force=bool(update.finals) or forced)
        if forced:
            self.stream.force_end_of_utterance()
            self.sink.end_of_utterance(None, forced=True)
        elif update.end_of_utterance is not None:
            self.sink.end_of_utterance(update.end_of_utterance, forced=False)
