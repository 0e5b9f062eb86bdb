"""The recognition pump of a real-time session: audio in, steps on the inference thread, words out.

It knows nothing of WebSockets or messages: the protocol side (``api``) feeds it audio and
control events and turns what it reports, through a ``PumpSink``, into protocol messages. Its
state is explicit: whether input is still open, and whether it waits, steps or has finished.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from tui.engine.realtime.streaming import (
    PROMPT_CHARS,
    StreamingRecognizer,
    Window,
    in_order,
    voiced,
)
from tui.engine.recognition.asr import SpeechModel, Word
from tui.shared.audio import RATE

log = logging.getLogger("sm_tui.engine.rt.steps")  # one line a step at DEBUG

MIN_STEP_S = 0.3  # new audio that triggers a step
SHORT_STEP_S = 0.15  # …when max_delay is under a second
UNTRANSCRIBED_S = 1.0  # speech after Whisper's last word that it is decoded again for
Speech = list[tuple[float, float]]
Infer = Callable[[Window], Awaitable[tuple[list[Word], Speech]]]
Label = Callable[[list[Word], Window], Awaitable[list[str]]]
Peek = Callable[[list[Word], Window], Awaitable[list[str | None]]]


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

    def finals(
        self,
        words: list[Word],
        forced: bool,
        speakers: list[str] | None = None,
        open_end: bool = False,
    ) -> None:
        """Words that became final (possibly none, when forced), with each one's speaker when
        the session diarizes; ``open_end``: the last word's trailing mark is held (it may
        follow at the start of the next finals)."""

    def partial(
        self,
        words: list[Word],
        force: bool,
        speakers: list[str | None] | None = None,
        heard: float = 0.0,
    ) -> None:
        """The current partial; ``force`` sends it even if unchanged; ``speakers``: each
        word's voice (None: the last final's); ``heard``: the stream time the step heard to."""

    def end_of_utterance(self, at: float | None, forced: bool) -> None:
        """An utterance ended at stream time ``at`` (None: where the last final ended)."""

    def silence(self, until: float) -> None:
        """Nothing was said after the last final up to stream time ``until``."""

    def finished(self) -> None:
        """Every word of the stream was sent."""


def infer_window(
    model: SpeechModel, window: Window, wide: bool = False
) -> tuple[list[Word], Speech]:
    """Runs on the inference thread: voice activity first, then the model where there is speech
    (on both cores when ``wide``)."""
    speech = model.speech_regions(window.audio)
    if not speech:
        return [], []
    first = max(0.0, speech[0][0] - 0.2, window.skip_s)
    began = time.monotonic()
    words = _decode(model, window, first, window.prompt, wide)
    rest = untranscribed(words, speech)
    if rest is not None:
        # Whisper ended its text (a closing timestamp: "nothing said after this") with speech
        # still to come: decode that speech, with what it wrote as the prompt.
        said = _text(words)
        prompt = f"{window.prompt} {said}".strip()[-PROMPT_CHARS:]
        more = _decode(model, window, rest, prompt, wide)
        log.debug("decoded again from %.2f s of the window: %.80r", rest, _text(more))
        words = in_order([*words, *more], 0.0)
    model.step_costs.observe(time.monotonic() - began, wide)  # what capacity is reckoned from
    return words, speech


def _decode(
    model: SpeechModel, window: Window, first: float, prompt: str, wide: bool
) -> list[Word]:
    """The window's words from ``first`` seconds on, with times relative to the window."""
    words = model.transcribe(
        window.audio[int(first * RATE) :], prompt=prompt, decoding=window.decoding, wide=wide
    )
    return [w.shifted(first) for w in words]


def untranscribed(words: list[Word], speech: Speech) -> float | None:
    """Where the speech Whisper left out starts (seconds into the window), when it left out at
    least ``UNTRANSCRIBED_S`` of it after its last word; else None. Whisper ends a window's text
    with a closing timestamp where it thinks the speech stops, and faster-whisper then decodes
    nothing after it. With a prompt it does so at a sentence's end followed by a short pause
    ("…and closed the shutters." with 4 s of speech after it), and the next window, starting
    at the same place, ended there again: the words waited for the stall rule (4–5 s)."""
    if not words:
        return None  # nothing at all is the stall rule's
    last = words[-1].end
    after = sum(max(0.0, end - max(start, last)) for start, end in speech)
    return last if after >= UNTRANSCRIBED_S else None


def _text(words: list[Word]) -> str:
    return "".join(w.text for w in words).strip()


@dataclass
class Step:
    """A window under way on the inference scheduler."""

    window: Window
    forced: bool  # ForceEndOfUtterance asked for it
    ending: bool  # planned after the input closed
    task: asyncio.Task[tuple[list[Word], Speech]]
    started: float


class RecognitionPump:
    """Steps a ``StreamingRecognizer`` as audio arrives.

    One step is under way at a time. The next starts when its result is in and enough new
    audio has arrived (all that arrived meanwhile goes into it); a flush (the end, or
    ForceEndOfUtterance) waits for the step under way. On an idle machine the scheduler runs
    each step on both cores (``InferenceScheduler.run``'s ``widens``).

    Args:
        stream: The session's decoding state.
        infer: Transcribes a window (on the engine's inference scheduler).
        sink: Hears the finals, partials and utterance ends.
        on_step: Called after each step's result is applied.
        label: Each final word's speaker (diarization).
        peek: The speakers of a partial's leading words, changing no voice (diarization);
            the words it cannot name yet wait a step.
    """

    def __init__(
        self,
        stream: StreamingRecognizer,
        infer: Infer,
        sink: PumpSink,
        on_step: Callable[[], None] | None = None,
        label: Label | None = None,
        peek: Peek | None = None,
    ) -> None:
        self.stream = stream
        self.infer = infer
        self.sink = sink
        self.on_step = on_step
        self.label = label
        self.peek = peek
        self.input = Input.OPEN
        self.phase = Phase.WAITING
        self.compute_ema = 0.3  # seconds a step has been taking, smoothed
        self._force_pending = False
        self._step_end = 0.0
        self._step: Step | None = None
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

    @property
    def min_step_s(self) -> float:
        """New audio that triggers a step: less when ``max_delay`` is under a second."""
        return SHORT_STEP_S if self.stream.max_delay < 1.0 else MIN_STEP_S

    def _may_start(self) -> bool:
        """Whether the next step should start now."""
        if self._step is not None:
            return False
        if self.input is Input.CLOSED or self._force_pending:
            return True
        return self._new_audio() >= self.min_step_s

    async def run(self) -> None:
        """Step until the last window is flushed."""
        try:
            while not self.finished:
                if self._may_start():
                    self._start()
                    continue
                await self._wait()
                step = self._step
                if step is not None and step.task.done():
                    self._step = None
                    await self._finish(step)
        finally:
            if self._step is not None:
                self._step.task.cancel()

    @property
    def finished(self) -> bool:
        """True once the last window was flushed."""
        return self.phase is Phase.FINISHED

    def _start(self) -> None:
        ending = self.input is Input.CLOSED
        forced, self._force_pending = self._force_pending, False
        window = self.stream.plan(flush=ending or forced)
        self._step_end = window.end
        task = asyncio.ensure_future(self.infer(window))
        self._step = Step(window, forced, ending, task, time.monotonic())
        self.phase = Phase.STEPPING

    async def _wait(self) -> None:
        """Until audio, an end or a force arrives, or the step under way has its result."""
        waiter = asyncio.ensure_future(self._wake.wait())
        pending: set[asyncio.Future[Any]] = {waiter}
        if self._step is not None:
            pending.add(self._step.task)
        try:
            await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        self._wake.clear()

    def _heard(self, window: Window) -> Window:
        """The window with the audio that arrived after it, when labelling speakers: a final
        at its edge is then described by the audio around it, not just before it."""
        if self.label is None:
            return window
        later = self.stream.audio_after(window.end)
        return replace(
            window, audio=np.concatenate([window.audio, later]), end=window.end + len(later) / RATE
        )

    async def _finish(self, step: Step) -> None:
        """Apply a step's result."""
        words, speech = step.task.result()
        window, forced = step.window, step.forced
        took = time.monotonic() - step.started
        self.compute_ema = 0.7 * self.compute_ema + 0.3 * took
        # The next result comes one step's compute after the next window's end, which is this
        # window's end and the audio that arrives meanwhile: a step's new audio, or, when steps
        # take longer than that, a step's compute (base at max_delay 3 was final 1 s late).
        self.stream.step_cost = max(self.min_step_s, self.compute_ema) + self.compute_ema
        self.phase = Phase.WAITING
        heard = self._heard(window)
        update = self.stream.apply(window, words, speech)
        log.debug(
            "step %.2f-%.2f s (%.1f s of audio, %.1f s received): %.2f s, %d final, %d partial;"
            " heard %.80r, final %.80r",
            window.start,
            window.end,
            window.end - window.start,
            self.stream.audio_end,
            took,
            len(update.finals),
            len(update.partial),
            "".join(w.text for w in words),
            "".join(w.text for w in update.finals),
        )
        if self.on_step is not None:
            self.on_step()
        if update.finals or forced:
            speakers = None
            if update.finals and self.label is not None:
                speakers = await self.label(update.finals, heard)
            self.sink.finals(update.finals, forced, speakers, open_end=self.stream.holding)
        partial, voices = update.partial, None
        if partial and self.peek is not None:
            # Words whose voice cannot be told yet wait a step (their final comes anyway).
            # With known speakers no partial is "UU", not even before the first final.
            voices = await self.peek(voiced(partial, window, speech), heard)
            partial = partial[: len(voices)]
        withheld = len(partial) < len(update.partial)
        # After finals the partial is sent, shortened if need be: AddTranscript's follower.
        if partial or not withheld or update.finals or forced:
            self.sink.partial(
                partial, force=bool(update.finals) or forced, speakers=voices, heard=window.end
            )
        if update.silent_to is not None and not forced:
            self.sink.silence(update.silent_to)
        if forced:
            self.stream.force_end_of_utterance()
            self.sink.end_of_utterance(None, forced=True)
        elif update.end_of_utterance is not None:
            self.sink.end_of_utterance(update.end_of_utterance, forced=False)
        if step.ending and window.flush:
            self.phase = Phase.FINISHED
            self.sink.finished()
