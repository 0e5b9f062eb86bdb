"""The batch queue shared by the dashboard and ``sm-tui batch``: store, concurrency, exports.

Two processes may share a data folder (the dashboard and ``sm-tui batch``, or two of either):
each job is claimed in the store with a lease its runner renews, so no job runs twice. A
runner that dies stops renewing, and after ``LEASE_S`` its jobs are free to take.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from collections.abc import Callable, Iterable
from pathlib import Path

from tui.core.batch import BatchJob, JobState
from tui.core.batch_run import run_job
from tui.core.exports import export_job
from tui.core.store import JobStore, StoreError
from tui.core.target import EngineTarget

LEASE_S = 30.0
Target = EngineTarget | Callable[[], EngineTarget | None]


class BatchQueue:
    """Jobs kept in the store and run at most ``concurrency`` at a time.

    Args:
        store: Where jobs live.
        exports: Where finished transcripts are written (all four formats).
        concurrency: Jobs running at once.
        on_change: Called after every change of a job (already saved).
        on_problem: Told of what went wrong beside a job (the store, a claim by another process).
    """

    def __init__(
        self,
        store: JobStore,
        exports: Path,
        concurrency: int,
        on_change: Callable[[BatchJob], None] | None = None,
        on_problem: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.exports = exports
        self.slots = asyncio.Semaphore(concurrency)
        self.on_change = on_change
        self.on_problem = on_problem
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        """Who this process is, in the store's leases."""

    def add(self, paths: Iterable[Path], language: str = "en") -> list[BatchJob]:
        """Put files in the queue (absolute paths, so a later run finds them)."""
        return [
            self.store.add(BatchJob(path=Path(p).expanduser().absolute(), language=language))
            for p in paths
        ]

    def _tell(self, text: str) -> None:
        if self.on_problem is not None:
            self.on_problem(text)

    def _changed(self, job: BatchJob) -> None:
        if job.state == JobState.DONE:
            try:
                export_job(job, self.exports)
                job.notice = ""
            except (OSError, ValueError) as exc:
                reason = getattr(exc, "strerror", None) or str(exc)
                job.notice = f"the transcript could not be exported to {self.exports}: {reason}"
        try:
            self.store.save(job)
        except StoreError as exc:
            self._tell(str(exc))
        if self.on_change is not None:
            self.on_change(job)

    async def run(self, job: BatchJob, target: Target, ready: asyncio.Event | None = None) -> bool:
        """Run one job when a slot is free (and the engine is ready), unless another has it.

        Returns:
            False if the job was not run here: finished already, or another process has it.
        """
        engine: Callable[[], EngineTarget | None] = target if callable(target) else (lambda: target)
        async with self.slots:
            if job.state not in (JobState.QUEUED, JobState.UPLOADING, JobState.RUNNING):
                return False
            try:
                claimed = self.store.claim(job.id, self.owner, LEASE_S)
            except StoreError as exc:
                self._tell(str(exc))
                return False
            if not claimed:
                self._tell(f"{job.name} is being run by another sm-tui on this data folder")
                return False
            if not self._still_to_do(job):  # another process finished it meanwhile
                with contextlib.suppress(StoreError):
                    self.store.release(job.id, self.owner)
                return False
            renewing = asyncio.create_task(self._renew(job))
            try:
                await self._run_until_finished(job, engine, ready)
            finally:
                renewing.cancel()
                with contextlib.suppress(StoreError):
                    self.store.release(job.id, self.owner)
        return True

    async def _run_until_finished(
        self,
        job: BatchJob,
        engine: Callable[[], EngineTarget | None],
        ready: asyncio.Event | None,
    ) -> None:
        """Run the job; if the engine stopped answering, again once it is back (with a ready
        event to wait on; without one, the job is left for the next run)."""
        delay = 1.0
        while await run_job(job, engine, self._changed, ready) == "interrupted":
            if ready is None:
                self._tell(f"{job.name}: {job.notice}")
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)

    def _still_to_do(self, job: BatchJob) -> bool:
        """Take the store's word for the job (the one authority across processes)."""
        try:
            stored = self.store.get(job.id)
        except StoreError:
            return False
        if stored is None or stored.state not in (
            JobState.QUEUED,
            JobState.UPLOADING,
            JobState.RUNNING,
        ):
            if stored is not None:  # shown as the other process left it
                job.state, job.error, job.text = stored.state, stored.error, stored.text
                job.transcript, job.txt, job.srt = stored.transcript, stored.txt, stored.srt
            return False
        job.engine_job_id = stored.engine_job_id  # poll what another run submitted
        return True

    async def _renew(self, job: BatchJob) -> None:
        while True:
            await asyncio.sleep(LEASE_S / 3)
            with contextlib.suppress(StoreError):
                self.store.renew(job.id, self.owner, LEASE_S)

    def cancel(self, job: BatchJob) -> None:
        """Mark a job cancelled (its worker is stopped by whoever runs it)."""
        job.state, job.error = JobState.CANCELLED, None
        self._save(job)

    def retry(self, job: BatchJob) -> None:
        """Back to the queue."""
        job.reset()
        self._save(job)

    def delete(self, job: BatchJob) -> None:
        """Forget a job."""
        try:
            self.store.delete(job.id)
        except StoreError as exc:
            self._tell(str(exc))

    def _save(self, job: BatchJob) -> None:
        try:
            self.store.save(job)
        except StoreError as exc:
            self._tell(str(exc))
