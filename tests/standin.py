"""A stand-in recogniser for fast, deterministic UI tests, run inside the real engine.

Speech here is made of tone bursts: each word of ``VOCABULARY`` is a burst at its own
frequency, so the stand-in "recognises" a word by the burst's dominant frequency, wherever a
window cuts the audio. The engine around it (HTTP, WebSocket, the streaming rules, the job
store, the SDK clients) is the real one; only Whisper is replaced.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from tests.helpers import write_wav
from tui.engine.recognition.asr import Decoding, Word
from tui.engine.recognition.capacity import StepCosts
from tui.engine.recognition.scheduler import InferenceScheduler
from tui.shared.audio import RATE

PLAIN = Decoding()  # English, transcribed, no hints

VOCABULARY = {
    "alpha": 400,
    "bravo": 520,
    "charlie": 640,
    "delta": 760,
    "echo": 880,
    "foxtrot": 1000,
    "golf": 1120,
    "hotel": 1240,
    "india": 1360,
    "juliet": 1480,
}
WORD_S = 0.32
GAP_S = 0.12
SENTENCE_GAP_S = 0.7
FRAME = RATE // 100  # 10 ms frames for the energy detector
THRESHOLD = 0.02  # frame RMS above this is a burst


def tone_speech(sentences: list[str]) -> np.ndarray:
    """Audio of sentences of vocabulary words ("alpha bravo. charlie"), as tone bursts."""
    parts = [np.zeros(int(0.3 * RATE), dtype=np.float32)]
    t = np.arange(int(WORD_S * RATE)) / RATE
    ramp = np.minimum(1.0, np.minimum(t, WORD_S - t) / 0.01)
    for sentence in sentences:
        for word in sentence.split():
            parts.append((0.3 * np.sin(2 * np.pi * VOCABULARY[word] * t) * ramp).astype(np.float32))
            parts.append(np.zeros(int(GAP_S * RATE), dtype=np.float32))
        parts.append(np.zeros(int(SENTENCE_GAP_S * RATE), dtype=np.float32))
    return np.concatenate(parts)


def tone_file(path: Path, sentences: list[str]) -> Path:
    """A WAV file of ``tone_speech``."""
    return write_wav(path, tone_speech(sentences))


def expected_text(sentences: list[str]) -> str:
    """What the stand-in writes for ``sentences``: capitalised, a full stop after each."""
    return " ".join(s.capitalize() + "." for s in sentences)


def _bursts(audio: np.ndarray, join_gap_s: float) -> list[tuple[int, int]]:
    """(start, end) sample indices of loud stretches, joining gaps shorter than ``join_gap_s``."""
    frames = len(audio) // FRAME
    if frames == 0:
        return []
    energy = np.sqrt(np.mean(audio[: frames * FRAME].reshape(frames, FRAME) ** 2, axis=1))
    loud = energy > THRESHOLD
    spans: list[tuple[int, int]] = []
    for index, on in enumerate(loud):
        if not on:
            continue
        if spans and index - spans[-1][1] <= join_gap_s * 100:
            spans[-1] = (spans[-1][0], index + 1)
        else:
            spans.append((index, index + 1))
    return [(a * FRAME, b * FRAME) for a, b in spans]


def _word_for(samples: np.ndarray) -> str:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    peak = float(np.fft.rfftfreq(len(samples), 1 / RATE)[int(np.argmax(spectrum))])
    return min(VOCABULARY, key=lambda w: abs(VOCABULARY[w] - peak))


class ToneRecognizer:
    """Recognises ``tone_speech``; ``delay_s`` makes each call as slow as a busy machine's."""

    name = "stand-in"
    multilingual = False

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.calls = 0
        self.gave_up_wide = False
        self.step_costs = StepCosts(wide=0.05 + delay_s, narrow=0.05 + delay_s)
        self.retimed: list[bool] = []  # each retime's ``wide``

    def speech_regions(self, audio: np.ndarray) -> list[tuple[float, float]]:
        return [(a / RATE, b / RATE) for a, b in _bursts(audio, join_gap_s=0.3)]

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        prompt: str | None = None,
        beam_size: int = 1,
        decoding: Decoding = PLAIN,
        wide: bool = False,
        delay: bool = True,
    ) -> list[Word]:
        self.calls += 1
        if self.delay_s and delay:
            time.sleep(self.delay_s)
        words: list[Word] = []
        bursts = _bursts(audio, join_gap_s=0.05)
        first_of_sentence = True
        for index, (start, end) in enumerate(bursts):
            if end - start < 0.05 * RATE:
                continue
            text = _word_for(audio[start:end])
            following = bursts[index + 1][0] if index + 1 < len(bursts) else len(audio)
            ends_sentence = following - end >= 0.4 * RATE
            text = text.capitalize() if first_of_sentence else text
            words.append(Word(f" {text}{'.' if ends_sentence else ''}", start / RATE, end / RATE))
            first_of_sentence = ends_sentence
        return words

    def transcribe_batch(
        self, audio: np.ndarray, decoding: Decoding = PLAIN
    ) -> Iterator[list[Word]]:
        """Lazily, a 30 s window at a time, each as slow as ``delay_s`` (as Whisper's are)."""
        words = self.transcribe(audio, delay=False)
        window = 30.0

        def segments() -> Iterator[list[Word]]:
            for start in np.arange(0.0, max(len(audio) / RATE, 0.01), window):
                if self.delay_s:
                    time.sleep(self.delay_s)
                yield [w for w in words if start <= w.start < start + window]

        return segments()

    def detect_language(self, audio: np.ndarray) -> str:
        return "en"

    def widen(self) -> None:
        pass

    @property
    def widens(self) -> bool:
        return not self.gave_up_wide

    def give_up_wide(self) -> None:
        self.gave_up_wide = True

    def retime(self, wide: bool = False) -> None:
        self.retimed.append(wide)


class InProcessEngine:
    """The real engine (``tui.engine``) with a stand-in recogniser, served from a thread.

    Offers what ``EngineProcess`` offers the tests: ``batch_url``, ``rt_url``, ``api_key``.
    """

    def __init__(
        self,
        data: Path,
        recognizer: object | None = None,
        api_key: str = "k",
        load_enhanced: object | None = None,
        scheduler: InferenceScheduler | None = None,
    ) -> None:
        from tui.engine.server import build_engine, job_queue
        from tui.settings import Settings

        self.api_key = api_key
        self.engine = build_engine(
            Settings(data_dir=data, engine_api_key=api_key),
            recognizer=recognizer or ToneRecognizer(),  # type: ignore[arg-type]
            load_enhanced=load_enhanced,  # type: ignore[arg-type]
        )
        if scheduler is not None:  # e.g. one that gives up on a call sooner
            self.engine.scheduler.close()
            self.engine.scheduler = scheduler
        self.jobs = job_queue(self.engine)
        """The engine's batch jobs (tests look inside)."""
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._serve, name="test-engine", daemon=True)

    @property
    def batch_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v2"

    @property
    def rt_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v2"

    def start(self) -> InProcessEngine:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the in-process engine did not start")
        return self

    def _serve(self) -> None:
        from tui.engine.server import serve

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()

            def ready(port: int) -> None:
                self.port = port
                self._ready.set()

            await serve(self.engine, "127.0.0.1", 0, ready=ready, stop=self._stop, jobs=self.jobs)

        asyncio.run(main())

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
