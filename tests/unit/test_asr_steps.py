"""A real-time window's decode: its tokens capped by its audio, and a loop decoded once more
without the prompt (base looped to Whisper's 224 tokens on the story, 3 s a step, for nothing).

The faster-whisper model is a stand-in that records what it is asked: what is under test is
what the recogniser asks of it and what it keeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tui.engine.recognition.asr import Decoding, Recognizer, step_tokens
from tui.engine.recognition.one_pass import keeps_tail
from tui.shared.audio import RATE


@dataclass
class Said:
    word: str
    start: float = 0.0
    end: float = 0.5
    probability: float = 0.9


@dataclass
class Segment:
    text: str
    compression_ratio: float
    words: list[Said]
    avg_logprob: float = -0.3
    no_speech_prob: float = 0.05

    @property
    def tokens(self) -> list[int]:
        return list(range(len(self.text.split())))


LOOP = Segment(" the rain " * 40, 18.7, [Said(" the"), Said(" rain")] * 40)
HEARD = Segment(" The rain fell.", 1.1, [Said(" The"), Said(" rain"), Said(" fell.")])


@dataclass
class Whisper:
    """Loops whenever it is given a prompt, as base did on the story."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    def transcribe(self, audio: np.ndarray, **options: Any) -> tuple[list[Segment], None]:
        self.calls.append(options)
        return [LOOP if options.get("initial_prompt") else HEARD], None


def recogniser(model: Whisper) -> Recognizer:
    made = Recognizer.__new__(Recognizer)
    made._model, made._wide = model, None
    return made


def test_a_window_decodes_to_at_most_what_its_audio_can_hold() -> None:
    english = step_tokens(4.0, Decoding())
    assert english is not None and 40 <= english <= 64  # a loop stops far short of 224
    assert step_tokens(8.0, Decoding()) == english + 40  # longer windows hold more words
    assert step_tokens(4.0, Decoding(language="de", task="translate")) == english
    assert step_tokens(4.0, Decoding(language="ja")) is None  # more tokens a word: Whisper's
    whisper = Whisper()
    recogniser(whisper).transcribe(np.zeros(4 * RATE, dtype=np.float32))
    assert whisper.calls[0]["max_new_tokens"] == english


def test_a_loop_is_decoded_again_without_the_prompt() -> None:
    whisper = Whisper()
    words = recogniser(whisper).transcribe(
        np.zeros(3 * RATE, dtype=np.float32), prompt="Before that, the sky went dark."
    )
    assert [w.text for w in words] == [" The", " rain", " fell."]
    assert [bool(call["initial_prompt"]) for call in whisper.calls] == [True, False]


def test_a_loop_without_a_prompt_is_dropped_and_not_decoded_again() -> None:
    whisper = Whisper()
    model = recogniser(whisper)
    whisper.transcribe = lambda audio, **options: (whisper.calls.append(options), ([LOOP], None))[1]  # type: ignore[method-assign]
    assert model.transcribe(np.zeros(3 * RATE, dtype=np.float32), prompt="Before.") == []
    assert len(whisper.calls) == 2  # with the prompt, then once without: never more
    whisper.calls.clear()
    assert model.transcribe(np.zeros(3 * RATE, dtype=np.float32)) == []
    assert len(whisper.calls) == 1


@dataclass
class Timed(Segment):
    start: float = 0.0
    seek: int = 0  # the window's start, in 10 ms frames


@dataclass
class File:
    """A batch stretch: with the text before, its second window loops; without, it does not."""

    calls: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    def transcribe(self, audio: np.ndarray, **options: Any) -> tuple[Any, None]:
        self.calls.append((len(audio) / RATE, options))
        heard = Timed(" The rain fell.", 1.1, [Said(" The", 1.0, 1.4), Said(" rain", 1.4, 1.9)])
        if not options["condition_on_previous_text"]:
            return iter([heard]), None
        loop = Timed(LOOP.text, LOOP.compression_ratio, LOOP.words, start=30.0, seek=3000)
        return iter([heard, loop, heard]), None


def test_a_batch_stretch_is_decoded_with_the_text_before_and_a_loop_again_without() -> None:
    whisper = File()
    windows = recogniser(whisper).transcribe_batch(np.zeros(50 * RATE, dtype=np.float32))
    assert whisper.calls == []  # lazy: nothing is decoded before it is drawn
    words = [word for window in windows for word in window]
    assert [(w.text, w.start) for w in words] == [
        (" The", 1.0),
        (" rain", 1.4),
        (" The", 31.0),
        (" rain", 31.4),
    ]
    assert [
        (round(seconds), call["condition_on_previous_text"]) for seconds, call in whisper.calls
    ] == [
        (50, True),
        (20, False),  # from the looping window's start, the rest without
    ]
    assert all(call["temperature"] == 0.0 for _, call in whisper.calls)  # the same text every run


def test_a_loop_in_the_first_window_is_not_decoded_again() -> None:
    """The first window had no text before it: without it, Whisper writes the same loop."""

    @dataclass
    class LoopsAtOnce(File):
        def transcribe(self, audio: np.ndarray, **options: Any) -> tuple[Any, None]:
            self.calls.append((len(audio) / RATE, options))
            return iter([Timed(LOOP.text, LOOP.compression_ratio, LOOP.words)]), None

    whisper = LoopsAtOnce()
    words = [
        w for window in recogniser(whisper).transcribe_batch(np.zeros(20 * RATE)) for w in window
    ]
    assert len(words) == len(LOOP.words)  # batch_loops keeps it once, later
    assert [call["condition_on_previous_text"] for _, call in whisper.calls] == [True]


@dataclass
class Shortened(Whisper):
    """Loops where its encoder hears the shortened input of a real-time window (within
    ``one_pass``), as base translated espeak-ng's German on an AMD EPYC, and not on Whisper's
    30 s; or (``always``) on both, or (``partly``) on both, its 30 s decode hearing a
    sentence before the loop."""

    always: bool = False
    partly: bool = False

    def transcribe(self, audio: np.ndarray, **options: Any) -> tuple[list[Segment], None]:
        self.calls.append({**options, "within_one_pass": keeps_tail()})
        if self.partly:
            return ([LOOP] if keeps_tail() else [HEARD, LOOP]), None
        return [LOOP if keeps_tail() or self.always else HEARD], None


def test_a_sentence_is_translated_on_whispers_own_window_and_a_loop_there_once_more() -> None:
    german = Decoding(language="de", task="translate")
    whisper = Shortened()
    words = recogniser(whisper).transcribe(np.zeros(5 * RATE, dtype=np.float32), decoding=german)
    assert [w.text for w in words] == [" The", " rain", " fell."]
    assert [call["within_one_pass"] for call in whisper.calls] == [False]
    assert whisper.calls[0]["task"] == "translate"
    looping = Shortened(always=True)
    assert recogniser(looping).transcribe(np.zeros(5 * RATE), decoding=german) == []
    assert [call["within_one_pass"] for call in looping.calls] == [False, True]  # then no more
    partly = recogniser(Shortened(partly=True)).transcribe(np.zeros(5 * RATE), decoding=german)
    assert [w.text for w in partly] == [" The", " rain", " fell."]  # what did not loop stays
    steps = Shortened()
    assert recogniser(steps).transcribe(np.zeros(5 * RATE)) == []  # a step: within one_pass
    assert [call["within_one_pass"] for call in steps.calls] == [True]
