"""The batch queue in the dashboard: one worker per job, the store behind it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from tui.controllers.engine import EngineSupervisor
from tui.core.batch import BatchJob, JobState
from tui.core.queue import BatchQueue
from tui.core.store import JobStore
from tui.messages import JobChanged
from tui.paths import DataPaths
from tui.settings import Settings

if TYPE_CHECKING:
    from tui.app import SmTuiApp


class BatchController:
    """Queues, runs, retries, cancels, deletes, exports and compares jobs."""

    def __init__(
        self, app: SmTuiApp, settings: Settings, paths: DataPaths, engine: EngineSupervisor
    ) -> None:
        self.app = app
        self.settings = settings
        self.paths = paths
        self.engine = engine
        self.store = JobStore(paths.store)
        self.queue = BatchQueue(
            self.store, paths.exports, settings.batch_concurrency, self._changed
        )
        self.jobs: dict[int, BatchJob] = {job.id: job for job in self.store.all()}

    def resume(self) -> None:
        """Show the store as it was left and run what was unfinished."""
        for job in self.jobs.values():
            self.app.main.show_job(job)
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
        for job in self.queue.add(paths, self.settings.language):
            self.jobs[job.id] = job
            self.app.main.show_job(job)
            self._start(job)

    def _start(self, job: BatchJob) -> None:
        self.app.run_worker(self._run(job), group="batch", name=f"job-{job.id}",
                            description=f"batch {job.name}", exit_on_error=False)  # fmt: skip

    async def _run(self, job: BatchJob) -> None:
        await self.engine.ready.wait()
        assert self.engine.target is not None
        await self.queue.run(job, self.engine.target, self.engine.ready)

    def _changed(self, job: BatchJob) -> None:
        self.app.main.post_message(JobChanged(job.id))
        if job.state == JobState.DONE:
            self.app.tell(f"{job.name} done in {job.turnaround or 0:.1f}s")
        elif job.state == JobState.FAILED:
            self.app.tell(f"{job.name} failed: {job.error}", "error")

    def retry(self, job: BatchJob) -> None:
        """Queue a failed or cancelled job again."""
        self.queue.retry(job)
        self.app.main.show_job(job)
        self._start(job)

    def cancel(self, job: BatchJob) -> None:
        """Stop a job's worker (the engine's copy is left to expire)."""
        for worker in self.app.workers:
            if worker.name == f"job-{job.id}":
                worker.cancel()
        self.queue.cancel(job)
        self.app.main.show_job(job)

    def delete(self, job: BatchJob) -> None:
        """Forget a job."""
        self.cancel(job)
        self.queue.delete(job)
        self.jobs.pop(job.id, None)

    def export(self, job: BatchJob) -> None:
        """Write the job's transcript in every format to the exports folder."""
        from tui.core.exports import export_job

        try:
            written = export_job(job, self.paths.exports)
        except (OSError, ValueError) as exc:
            self.app.tell(f"export failed: {exc}", "error")
            return
        self.app.tell(f"exported {', '.join(p.name for p in written)} to {self.paths.exports}")

    def compare(self, path: Path) -> None:
        """Open the comparison screen for a file (reference: a .txt beside it, if any)."""
        from tui.screens.compare import CompareScreen

        if self.engine.target is None or not self.engine.ready.is_set():
            self.app.tell("the engine is not ready yet", "warning")
            return
        reference_file = path.with_suffix(".txt")
        reference = (
            reference_file.read_text(encoding="utf-8").strip() if reference_file.is_file() else None
        )
        self.app.push_screen(
            CompareScreen(path, self.engine.target, reference, self.settings.max_delay)
        )

    def close(self) -> None:
        """Close the store."""
        self.store.close()
