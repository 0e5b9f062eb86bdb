"""Batch jobs as the dashboard sees them, and running one through the batch SDK."""

from __future__ import annotations

import enum
import itertools
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_ids = itertools.count(1)


class JobState(enum.StrEnum):
    """Where a job is in its life."""

    QUEUED = "queued"
    UPLOADING = "uploading"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def active(self) -> bool:
        """True while the job is uploading or running."""
        return self in (JobState.UPLOADING, JobState.RUNNING)

    @property
    def finished(self) -> bool:
        """True once the job is done, failed or cancelled."""
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


class JobInputError(ValueError):
    """A file that cannot be transcribed; the message says why."""


@dataclass
class BatchJob:
    """One file in the queue."""

    path: Path
    size: int = 0
    duration: float | None = None
    id: int = field(default_factory=lambda: next(_ids))
    state: JobState = JobState.QUEUED
    error: str | None = None
    engine_job_id: str | None = None
    submitted_at: float | None = None  # wall clock (seconds since the epoch), kept across runs
    finished_at: float | None = None
    transcript: dict[str, Any] | None = None
    text: str = ""
    txt: str = ""
    srt: str = ""
    language: str = "en"
    engine: str = ""  # the engine's label when it was submitted
    created_at: float = field(default_factory=time.time)
    notice: str = ""  # something that went wrong beside the job itself (an export)
    engine_progress: float | None = None  # what the engine says it has done (not kept)

    @property
    def name(self) -> str:
        """The file's name."""
        return self.path.name

    def elapsed(self, now: float | None = None) -> float | None:
        """Seconds since submission, frozen when the job ends."""
        if self.submitted_at is None:
            return None
        end = self.finished_at if self.finished_at is not None else (now or time.time())
        return end - self.submitted_at

    @property
    def turnaround(self) -> float | None:
        """Submit to transcript, for finished jobs."""
        if self.submitted_at is None or self.finished_at is None or self.state != JobState.DONE:
            return None
        return self.finished_at - self.submitted_at

    @property
    def real_time_factor(self) -> float | None:
        """Turnaround divided by the audio's duration (below 1 is faster than real time)."""
        if self.turnaround is None or not self.duration:
            return None
        return self.turnaround / self.duration

    @property
    def entities(self) -> list[tuple[str, str]]:
        """The transcript's entities (numbers, dates, times, money…): each one's written form
        and what was said, as ``("$500", "five hundred dollars")``."""
        results = (self.transcript or {}).get("results") or []
        return [
            (
                _said(result.get("alternatives")),
                " ".join(
                    _said(item.get("alternatives")) for item in result.get("spoken_form") or []
                ),
            )
            for result in results
            if result.get("type") == "entity"
        ]

    @property
    def insights(self) -> list[str]:
        """The transcript's summary, sentiment and topics, a line each, when it has them."""
        transcript = self.transcript or {}
        lines = []
        summary = (transcript.get("summary") or {}).get("content")
        if summary:
            lines.append(f"Summary: {' '.join(str(summary).split())}")
        sentiment = (transcript.get("sentiment_analysis") or {}).get("summary") or {}
        overall = sentiment.get("overall") or {}
        if overall:
            counts = [
                f"{overall.get(f'{k}_count', 0)} {k}" for k in ("positive", "negative", "neutral")
            ]
            lines.append(f"Sentiment: {' · '.join(counts)} sentences")
        topics = ((transcript.get("topics") or {}).get("summary") or {}).get("overall") or {}
        if topics:
            lines.append(f"Topics: {', '.join(t for t, n in topics.items() if n) or 'none found'}")
        return lines

    def reset(self) -> None:
        """Back to queued, for a retry."""
        self.state, self.error, self.engine_job_id = JobState.QUEUED, None, None
        self.submitted_at = self.finished_at = None
        self.transcript, self.text, self.txt, self.srt = None, "", "", ""


def _said(alternatives: list[dict[str, Any]] | None) -> str:
    return str(alternatives[0].get("content", "")) if alternatives else ""


def inspect(path: Path) -> tuple[int, float]:
    """Size and duration of an audio file.

    Raises:
        JobInputError: Missing, empty, unreadable or not audio.
    """
    from tui.shared.audio import AudioDecodeError, probe_duration

    if not path.exists():
        raise JobInputError(f"{path.name} does not exist (in {path.parent})")
    if not path.is_file():
        raise JobInputError(f"{path} is not a file")
    size = path.stat().st_size
    if size == 0:
        raise JobInputError(f"{path.name} is empty")
    if not os.access(path, os.R_OK):
        raise JobInputError(f"{path.name} cannot be read (permission denied)")
    try:
        return size, probe_duration(path)
    except AudioDecodeError as exc:
        raise JobInputError(f"{path.name} is not audio: {exc}") from None
    except PermissionError:
        raise JobInputError(f"{path.name} cannot be read (permission denied)") from None


def without_nulls(value: Any) -> Any:
    """A JSON-like value with None entries removed (as the API writes json-v2)."""
    if isinstance(value, dict):
        return {str(k): without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value
