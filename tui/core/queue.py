"""The batch queue shared by the dashboard and ``sm-tui batch``: store, concurrency, exports."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from pathlib import Path

from tui.core.batch import BatchJob, JobState
from tui.core.batch_run import run_job
from tui.core.exports import export_job
from tui.core.store import JobStore
from tui.core.target import EngineTarget


class BatchQueue:
    """Jobs kept in the store and run at most ``concurrency`` at a time.

    Args:
        store: Where jobs live.
        exports: Where finished transcripts are written (all four formats).
        concurrency: Jobs running at once.
        on_change: Called after every change of a job (already saved).
    """

    def __init__(
        self,
        store: JobStore,
        exports: Path,
        concurrency: int,
        on_change: Callable[[BatchJob], None] | None = None,
    ) -> None:
        self.store = store
        self.exports = exports
        self.slots = asyncio.Semaphore(concurrency)
        self.on_change = on_change

    def add(self, paths: Iterable[Path], language: str = "en") -> list[BatchJob]:
        """Put files in the queue (absolute paths, so a later run finds them)."""
        return [
            self.store.add(BatchJob(path=Path(p).expanduser().absolute(), language=language))
            for p in paths
        ]

    def _changed(self, job: BatchJob) -> None:
        self.store.save(job)
        if job.state == JobState.DONE:
            with contextlib.suppress(OSError, ValueError):
                export_job(job, self.exports)
        if self.on_change is not None:
            self.on_change(job)

    async def run(
        self, job: BatchJob, target: EngineTarget, ready: asyncio.Event | None = None
    ) -> None:
        """Run one job when a slot is free (and the engine is ready)."""
        async with self.slots:
            if ready is not None:
                await ready.wait()
            if job.state not in (JobState.QUEUED, JobState.UPLOADING, JobState.RUNNING):
                return
            await run_job(job, target, self._changed)

    def cancel(self, job: BatchJob) -> None:
        """Mark a job cancelled (its worker is stopped by whoever runs it)."""
        job.state, job.error = JobState.CANCELLED, None
        self.store.save(job)

    def retry(self, job: BatchJob) -> None:
        """Back to the queue."""
        job.reset()
        self.store.save(job)

    def delete(self, job: BatchJob) -> None:
        """Forget a job."""
        self.store.delete(job.id)
