"""``sm-tui batch``'s progress: a live block of lines on a terminal, plain lines otherwise."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Iterable
from typing import TextIO

from tui.core.batch import BatchJob, JobState
from tui.core.progress import clock, estimate, observed_rtf

PLAIN_EVERY_S = 15.0  # without a terminal, a running job's line is repeated this often


def job_line(job: BatchJob, rtf: float | None, now: float | None = None) -> str:
    """``talk.wav  running 42% ~1m10s left (engine)  32s so far``."""
    now = time.time() if now is None else now
    elapsed = job.elapsed(now)
    spent = f"  {clock(elapsed)} so far" if elapsed is not None else ""
    progress = estimate(job, rtf, now)
    if progress is None:
        return f"{job.name}  {job.state.value}{spent}"
    basis = {
        "engine": "as the engine reports",
        "observed": "estimated from this engine's speed",
        "assumed": "estimated, speed assumed",
    }[progress.basis]
    return f"{job.name}  running {progress.describe()} ({basis}){spent}"


class ProgressLines:
    """Shows each unfinished job's progress until ``stop``.

    Args:
        jobs: The jobs being run.
        history: Every job the store knows (the finished ones give the speed).
        out: Where the lines go (a terminal gets one redrawn block).
    """

    def __init__(
        self,
        jobs: list[BatchJob],
        history: Callable[[], Iterable[BatchJob]],
        out: TextIO | None = None,
    ) -> None:
        self.jobs = jobs
        self.history = history
        self.out = out or sys.stdout
        self.tty = self.out.isatty()
        self._drawn = 0
        self._said: dict[int, tuple[str, float]] = {}

    def _rtf(self, job: BatchJob) -> float | None:
        return observed_rtf(self.history(), job.engine)

    async def run(self) -> None:
        """Redraw (terminal, twice a second) or print what changed (plain) until cancelled."""
        try:
            while True:
                self.tick()
                await asyncio.sleep(0.5)
        finally:
            self.clear()

    def tick(self, now: float | None = None) -> None:
        """One update."""
        now = time.time() if now is None else now
        active = [j for j in self.jobs if not j.state.finished]
        if self.tty:
            self.clear()
            lines = [f"  {job_line(job, self._rtf(job), now)}" for job in active]
            self.out.write("".join(line + "\n" for line in lines))
            self.out.flush()
            self._drawn = len(lines)
            return
        for job in active:
            said, at = self._said.get(job.id, ("", 0.0))
            if job.state.value != said or (
                job.state == JobState.RUNNING and now - at >= PLAIN_EVERY_S
            ):
                self._said[job.id] = (job.state.value, now)
                print(job_line(job, self._rtf(job), now), file=self.out, flush=True)

    def clear(self) -> None:
        """Take the terminal block away (before a transcript is printed, and at the end)."""
        if self.tty and self._drawn:
            self.out.write("\x1b[1A\x1b[2K" * self._drawn)
            self.out.flush()
            self._drawn = 0
