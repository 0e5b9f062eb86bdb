"""How far a running batch job has got, and how long it has left.

The local engine says how much of the audio it has transcribed (``tui.shared.extensions``);
the time left is then the time so far scaled by what remains. The Speechmatics batch API
reports no progress, so there it is estimated: the audio's length times the real-time factor
observed on this engine's finished jobs (the median of the newest ones), or an assumed factor
until one has finished. Estimates never reach 100% before the job does, and say which basis
they come from.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass

from tui.core.batch import BatchJob, JobState

ASSUMED_RTF = 0.25  # turnaround / audio length until a job on this engine has finished
NEWEST = 10  # finished jobs that make the observed factor
CAP = 0.99  # an estimate never says done


@dataclass(frozen=True)
class Progress:
    """An estimate for a running job."""

    fraction: float
    """0 to 0.99."""
    remaining_s: float
    """Seconds left; 0 once the job takes longer than expected."""
    basis: str
    """"engine" (it said how far it got), "observed" (this engine's speed) or "assumed"."""
    overdue: bool = False
    """The job has taken longer than the estimate."""

    def short(self) -> str:
        """``42% 1m10s`` (or ``99%``): for a table cell."""
        return (
            f"{self.fraction:.0%}"
            if self.overdue
            else f"{self.fraction:.0%} {clock(self.remaining_s)}"
        )

    def describe(self) -> str:
        """``42% ~1m10s left`` (or ``99% any moment``)."""
        if self.overdue:
            return f"{self.fraction:.0%} any moment"
        return f"{self.fraction:.0%} ~{clock(self.remaining_s)} left"


def clock(seconds: float) -> str:
    """``45s``, ``3m05s``, ``1h02m``."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def observed_rtf(jobs: Iterable[BatchJob], engine: str) -> float | None:
    """The median real-time factor of the newest jobs this engine finished, if any."""
    done = sorted(
        (j for j in jobs if j.state == JobState.DONE and j.engine == engine and j.finished_at),
        key=lambda j: j.finished_at or 0.0,
    )
    factors = [f for j in done[-NEWEST:] if (f := j.real_time_factor) is not None and f > 0]
    return statistics.median(factors) if factors else None


def estimate(job: BatchJob, rtf: float | None, now: float | None = None) -> Progress | None:
    """The estimate for a running job (None when it is not running or its length is unknown)."""
    if job.state != JobState.RUNNING or not job.duration or job.submitted_at is None:
        return None
    elapsed = max(0.0, (now if now is not None else time.time()) - job.submitted_at)
    done = job.engine_progress
    if done is not None and done > 0:
        return Progress(
            fraction=min(CAP, done),
            remaining_s=elapsed * (1 - done) / done,
            basis="engine",
            overdue=done >= 1.0,
        )
    factor = rtf if rtf is not None else ASSUMED_RTF
    expected = max(job.duration * factor, 1.0)
    return Progress(
        fraction=min(CAP, elapsed / expected),
        remaining_s=max(0.0, expected - elapsed),
        basis="observed" if rtf is not None else "assumed",
        overdue=elapsed >= expected,
    )
