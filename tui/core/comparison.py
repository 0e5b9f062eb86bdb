"""What a comparison measures, and how: word timings, each side's figures, and the clocks that
turn message arrivals into latencies. No SDK here: ``tui.core.compare`` runs the sides.

Every figure comes from monotonic clocks on this side of the API:

* batch turnaround: from the start of the upload to the transcript in hand;
* a word's real-time latency: when the message carrying it arrived, minus when the audio up
  to that word's ``end_time`` had been sent (the stream is paced at 1x, as if live);
* partial lag: a partial's arrival minus when the audio up to its ``end_time`` had been sent;
* pacing: audio seconds sent divided by the wall-clock seconds it took, which should be 1.00.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from tui.core.wer import normalise, wer
from tui.shared.transcripts import WORDS


@dataclass
class WordTiming:
    """One final word and when it was seen."""

    word: str
    start_time: float
    end_time: float
    partial_first_seen_s: float | None  # since the stream started
    final_arrival_s: float
    latency_s: float  # final arrival minus the time its audio had been sent


@dataclass
class RealtimeResult:
    """What the real-time side measured."""

    transcript: str = ""
    first_partial_s: float | None = None
    partial_lags_s: list[float] = field(default_factory=list)
    words: list[WordTiming] = field(default_factory=list)
    pacing: float = 0.0
    audio_s: float = 0.0
    session_s: float = 0.0
    errors: list[str] = field(default_factory=list)
    behind_max_s: float = 0.0  # the most audio sent that the engine had not answered for
    infos: list[str] = field(default_factory=list)  # what the engine's Info messages said

    @property
    def latencies(self) -> list[float]:
        """Final-word latencies in order."""
        return [w.latency_s for w in self.words]


@dataclass
class BatchResult:
    """What the batch side measured."""

    transcript: str = ""
    turnaround_s: float = 0.0
    error: str | None = None
    job_id: str | None = None  # the engine's


TextKind = Literal["partial", "final", "batch", "status"]
"""Which side a piece of text shown during a comparison comes from ("status": the batch job's)."""
OnText = Callable[[TextKind, str], object]


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0–100) by linear interpolation, None for no values."""
    if not values:
        return None
    return float(np.percentile(np.array(values), q))


@dataclass(frozen=True)
class BatchFigures:
    """The batch side's figures."""

    turnaround_s: float
    turnaround_ratio: float | None
    transcript: str
    words_per_minute: float | None
    error: str | None


@dataclass(frozen=True)
class RealtimeFigures:
    """The real-time side's figures (seconds, on this side's monotonic clock)."""

    first_partial_s: float | None
    partial_lag_p50_s: float | None
    partial_lag_p95_s: float | None
    final_latency_p50_s: float | None
    final_latency_p95_s: float | None
    final_latency_max_s: float | None
    behind_max_s: float
    pacing: float
    session_s: float
    transcript: str
    words_per_minute: float | None
    errors: list[str]
    words: list[WordTiming]
    infos: list[str] = field(default_factory=list)  # the engine's Info: model, capacity


@dataclass(frozen=True)
class WerFigures:
    """Word error rates: each side against the reference, and the two sides against each other."""

    batch: float | None
    realtime: float | None
    between: float | None


@dataclass(frozen=True)
class ComparisonSummary:
    """Every figure of one comparison, with names that say what they are."""

    file: str
    engine: str
    audio_s: float
    max_delay_s: float
    batch: BatchFigures
    realtime: RealtimeFigures
    wer: WerFigures
    reference: str | None

    def to_json(self) -> dict[str, Any]:
        """The JSON form (``sm-tui compare --json``)."""
        return asdict(self)


@dataclass
class Comparison:
    """A file through both modes."""

    file: str
    audio_s: float
    engine: str
    max_delay: float
    batch: BatchResult
    realtime: RealtimeResult
    reference: str | None = None

    def summary(self) -> ComparisonSummary:
        """Every figure, rounded for reading."""
        rt, batch = self.realtime, self.batch
        minutes = self.audio_s / 60 if self.audio_s else 0

        def per_minute(text: str) -> float | None:
            return round(len(text.split()) / minutes, 1) if minutes else None

        ratio = round(batch.turnaround_s / self.audio_s, 3) if self.audio_s else None
        reference = self.reference
        return ComparisonSummary(
            file=self.file,
            engine=self.engine,
            audio_s=round(self.audio_s, 3),
            max_delay_s=self.max_delay,
            batch=BatchFigures(
                turnaround_s=round(batch.turnaround_s, 3),
                turnaround_ratio=ratio,
                transcript=batch.transcript,
                words_per_minute=per_minute(batch.transcript),
                error=batch.error,
            ),
            realtime=RealtimeFigures(
                first_partial_s=_r(rt.first_partial_s),
                partial_lag_p50_s=_r(percentile(rt.partial_lags_s, 50)),
                partial_lag_p95_s=_r(percentile(rt.partial_lags_s, 95)),
                final_latency_p50_s=_r(percentile(rt.latencies, 50)),
                final_latency_p95_s=_r(percentile(rt.latencies, 95)),
                final_latency_max_s=_r(max(rt.latencies) if rt.latencies else None),
                behind_max_s=round(rt.behind_max_s, 3),
                pacing=round(rt.pacing, 4),
                session_s=round(rt.session_s, 3),
                transcript=rt.transcript,
                words_per_minute=per_minute(rt.transcript),
                errors=list(rt.errors),
                words=list(rt.words),
                infos=list(rt.infos),
            ),
            wer=WerFigures(
                batch=_r(wer(reference, batch.transcript)) if reference else None,
                realtime=_r(wer(reference, rt.transcript)) if reference else None,
                between=_r(wer(batch.transcript, rt.transcript)) if batch.transcript else None,
            ),
            reference=reference,
        )


def _r(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None


class SendClock:
    """When the audio up to each point had been sent."""

    def __init__(self) -> None:
        self.audio: list[float] = []  # audio seconds sent so far, after each chunk
        self.wall: list[float] = []  # monotonic time right after each chunk was sent

    def record(self, audio_s: float, wall: float) -> None:
        """Audio up to ``audio_s`` had been sent at ``wall``."""
        self.audio.append(audio_s)
        self.wall.append(wall)

    def sent_by(self, wall: float) -> float:
        """Audio seconds sent by monotonic time ``wall``."""
        index = bisect.bisect_right(self.wall, wall)
        return self.audio[index - 1] if index else 0.0

    def sent_at(self, audio_s: float) -> float | None:
        """When the audio up to ``audio_s`` had been sent (None if it never was)."""
        index = bisect.bisect_left(self.audio, audio_s - 1e-6)
        return self.wall[index] if index < len(self.wall) else None


def final_words(message: dict[str, Any]) -> list[tuple[str, float, float]]:
    """(content, start, end) of the word results in a transcript message."""
    return [
        (str(r["alternatives"][0]["content"]), float(r["start_time"]), float(r["end_time"]))
        for r in message.get("results", [])
        if r.get("type") in WORDS and r.get("alternatives")
    ]


class RealtimeTimeline:
    """Collects a session's messages with arrival times and turns them into figures."""

    def __init__(self, clock: SendClock, on_text: OnText | None = None) -> None:
        self.clock = clock
        self.started: float | None = None
        self.partials: list[tuple[float, dict[str, Any]]] = []
        self.finals: list[tuple[float, dict[str, Any]]] = []
        self.errors: list[str] = []
        self.infos: list[str] = []
        self.on_text = on_text

    def partial(self, message: dict[str, Any]) -> None:
        self.partials.append((time.monotonic(), message))
        if self.on_text is not None:
            self.on_text("partial", str(message["metadata"]["transcript"]))

    def final(self, message: dict[str, Any]) -> None:
        self.finals.append((time.monotonic(), message))
        if self.on_text is not None:
            self.on_text("final", str(message["metadata"]["transcript"]))

    def result(self, audio_s: float, pacing: float, session_s: float) -> RealtimeResult:
        """The figures, from what was collected."""
        started = self.started or 0.0
        out = RealtimeResult(
            audio_s=audio_s,
            pacing=pacing,
            session_s=session_s,
            errors=self.errors,
            infos=self.infos,
        )
        out.transcript = "".join(str(m["metadata"]["transcript"]) for _, m in self.finals).strip()
        seen = [(t, m) for t, m in self.partials if m.get("results")]
        if seen:
            out.first_partial_s = seen[0][0] - started
        for arrived, message in seen:
            sent = self.clock.sent_at(float(message["metadata"]["end_time"]))
            if sent is not None:
                out.partial_lags_s.append(arrived - sent)
        answered = 0.0  # how far the engine had answered, at each message's arrival
        for arrived, message in sorted(self.partials + self.finals, key=lambda m: m[0]):
            answered = max(answered, float(message["metadata"]["end_time"]))
            out.behind_max_s = max(out.behind_max_s, self.clock.sent_by(arrived) - answered)
        for arrived, message in self.finals:
            for word, start, end in final_words(message):
                sent = self.clock.sent_at(end)
                latency = arrived - sent if sent is not None else arrived - (started + end)
                out.words.append(
                    WordTiming(
                        word,
                        start,
                        end,
                        self._first_partial(word, start),
                        arrived - started,
                        latency,
                    )
                )
        return out

    def _first_partial(self, word: str, start: float) -> float | None:
        """When a partial first showed this word (near the same time), since the start."""
        key = normalise(word)
        for arrived, message in self.partials:
            for content, other_start, _ in final_words(message):
                if normalise(content) == key and abs(other_start - start) < 0.6:
                    return arrived - (self.started or 0.0)
        return None
