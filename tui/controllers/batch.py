"""The batch queue in the dashboard: one worker per job, the store behind it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from tui.controllers.engine import EngineSupervisor
from tui.controllers.host import Host
from tui.core.batch import BatchJob, JobState
from tui.core.queue import BatchQueue
from tui.core.store import JobStore
from tui.messages import JobChanged, JobRemoved
from tui.paths import DataPaths
from tui.settings import Settings

if TYPE_CHECKING:
    from textual.worker import Worker


class BatchController:
    """Queues, runs, retries, cancels, deletes and exports jobs; owns the jobs."""

    def __init__(
        self, host: Host, settings: Settings, paths: DataPaths, engine: EngineSupervisor
    ) -> None:
        self.host = host
        self.settings = settings
        self.paths = paths
        self.engine = engine
        self.store = JobStore(paths.store)
        self.queue = BatchQueue(
            self.store,
            paths.exports,
            settings.batch_concurrency,
            self._changed,
            lambda text: self.host.tell(text, "warning"),
        )
        self.jobs: dict[int, BatchJob] = {job.id: job for job in self.store.all()}
        self._workers: dict[int, Worker[None]] = {}

    def resume(self) -> None:
        """Show the store as it was left and run what was unfinished."""
        for job in self.jobs.values():
            self._announce(job)
            if job.state in (JobState.QUEUED, JobState.UPLOADING, JobState.RUNNING):
                self._start(job)

    def queue_files(self, paths: Iterable[Path], skip_known: bool = False) -> None:
        """Add files to the queue; each runs as its own worker when a slot is free.

        Args:
            paths: The files.
            skip_known: Leave out files the store already has (the sample queued by default).
        """
        if skip_known:
            known = {job.path for job in self.jobs.values()}
            paths = [p for p in paths if Path(p).expanduser().absolute() not in known]
        for job in self.queue.add(paths, self.engine.choices.language):
            self.jobs[job.id] = job
            self._announce(job)
            self._start(job)

    def _announce(self, job: BatchJob) -> None:
        self.host.post_message(JobChanged(job, job.state))

    def _start(self, job: BatchJob) -> None:
        self._workers[job.id] = self.host.run_worker(
            self._run(job),
            group="batch",
            name=f"job-{job.id}",
            description=f"batch {job.name}",
            exit_on_error=False,
        )

    async def _run(self, job: BatchJob) -> None:
        await self.queue.run(job, lambda: self.engine.target, self.engine.ready)

    def _changed(self, job: BatchJob) -> None:
        self._announce(job)
        if job.state == JobState.DONE:
            self.host.tell(f"{job.name} done in {job.turnaround or 0:.1f}s")
            if job.notice:
                self.host.tell(job.notice, "warning")
        elif job.state == JobState.FAILED:
            self.host.tell(f"{job.name} failed: {job.error}", "error")

    def retry(self, job: BatchJob) -> None:
        """Queue a failed or cancelled job again."""
        self.queue.retry(job)
        self._announce(job)
        self._start(job)

    def cancel(self, job: BatchJob) -> None:
        """Stop a job: its worker here, and its work on the engine (deleted there, forced)."""
        self._stop_worker(job)
        self._stop_on_engine(job)
        self.queue.cancel(job)
        self._announce(job)

    def _stop_on_engine(self, job: BatchJob) -> None:
        target, engine_job_id = self.engine.target, job.engine_job_id
        if target is None or engine_job_id is None or job.state.finished:
            return

        async def stop() -> None:
            from tui.core.batch_run import stop_on_engine

            problem = await stop_on_engine(target, engine_job_id)
            if problem:
                self.host.tell(
                    f"{job.name}: the engine could not be told to stop: {problem}", "warning"
                )

        self.host.run_worker(
            stop(), group="batch", description=f"stopping {job.name}", exit_on_error=False
        )

    def _stop_worker(self, job: BatchJob) -> None:
        worker = self._workers.pop(job.id, None)
        if worker is not None:
            worker.cancel()

    def delete(self, job: BatchJob) -> None:
        """Forget a job (a running one is stopped on the engine first)."""
        self._stop_worker(job)
        self._stop_on_engine(job)
        self.queue.delete(job)
        self.jobs.pop(job.id, None)
        self.host.post_message(JobRemoved(job.id))

    def export(
        self, job: BatchJob, formats: tuple[str, ...] = ("txt", "srt", "vtt", "json")
    ) -> None:
        """Write the job's transcript in each format (all four unless told) to the exports folder."""
        from tui.core.exports import export_job

        try:
            written = export_job(job, self.paths.exports, formats)
        except (OSError, ValueError) as exc:
            self.host.tell(f"export failed: {exc}", "error")
            return
        kinds = ", ".join(p.suffix.lstrip(".") for p in written)
        self.host.tell(f"exported {written[0].stem} as {kinds} to {self.paths.exports}")
        self.host.deliver(written)

    def close(self) -> None:
        """Close the store."""
        self.store.close()
