"""The sm-tui Textual app: wiring between the headless core and the dashboard screen."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import IO, ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from tui.core.batch import BatchJob, JobState
from tui.core.engine_process import EngineProcess
from tui.core.queue import BatchQueue
from tui.core.store import JobStore
from tui.core.target import EngineTarget
from tui.messages import EngineStatusChanged, JobChanged
from tui.paths import DataPaths
from tui.screens.main import MainScreen
from tui.settings import Settings
from tui.widgets.status_bar import StatusBar


class SmTuiApp(App[int]):
    """Batch queue and live transcript side by side."""

    CSS_PATH = "app.tcss"
    TITLE = "sm-tui"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", tooltip="Stop everything and leave"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("ctrl+r", "restart_engine", "Restart engine", show=False),
    ]

    def __init__(
        self,
        settings: Settings,
        files: list[Path] | None = None,
        live: str | None = None,
        live_stream: IO[bytes] | None = None,
        raw: str | None = None,
        target: EngineTarget | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.paths = DataPaths(settings.data_dir).ensure()
        self.store = JobStore(self.paths.store)
        self.queue = BatchQueue(
            self.store, self.paths.exports, settings.batch_concurrency, self._job_changed
        )
        self.jobs: dict[int, BatchJob] = {job.id: job for job in self.store.all()}
        self.target: EngineTarget | None = target
        self.engine: EngineProcess | None = None
        self.ready = asyncio.Event()
        self.initial_files = files or []
        self.live_spec = live
        self.live_stream = live_stream
        self.raw = raw
        self.live_worker: Worker[None] | None = None
        self.engine_watch: Timer | None = None
        self.mic_device: int | None = None

    @property
    def main(self) -> MainScreen:
        """The dashboard screen."""
        return self.get_screen("main")  # type: ignore[return-value]

    async def on_mount(self) -> None:
        self.install_screen(MainScreen(), "main")
        await self.push_screen("main")
        self.start_engine()
        for job in self.jobs.values():  # the store as it was left
            self.main.show_job(job)
            if job.state in (JobState.QUEUED, JobState.UPLOADING, JobState.RUNNING):
                self._start_job(job)
        self.queue_files(self.initial_files)
        self.main.default_source = self._source_label()

    def _source_label(self) -> str:
        if self.live_spec == "-":
            return "stdin"
        if self.live_spec and self.live_spec != "mic":
            return Path(self.live_spec).name
        return "microphone"

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        main = self.main
        yield SystemCommand(
            "Add files", "Queue audio files for batch transcription", main.action_add_files
        )
        yield SystemCommand(
            "Live: start or stop", "Microphone, stdin or the --live source", self.toggle_live
        )
        yield SystemCommand("Live from a file", "Play a file at real speed", main.action_live_file)
        yield SystemCommand("Choose microphone", "Pick the input device", self.pick_microphone)
        yield SystemCommand("Export job", "Write txt, srt, vtt and json-v2", main.action_export_job)
        yield SystemCommand("Retry job", "Queue a failed job again", main.action_retry_job)
        yield SystemCommand("Cancel job", "Stop the selected job", main.action_cancel_job)
        yield SystemCommand("Delete job", "Remove the selected job", main.action_delete_job)
        yield SystemCommand(
            "Compare batch and real-time",
            "Measure both on the selected file",
            main.action_compare_job,
        )
        yield SystemCommand(
            "Save live transcript", "Write it to the exports folder", main.action_save_live
        )
        yield SystemCommand(
            "Restart engine", "Start the local engine again", self.action_restart_engine
        )

    def tell(self, text: str, severity: str = "information") -> None:
        """Show a message: a toast, and the status line's notice."""
        level = severity if severity in ("information", "warning", "error") else "information"
        self.notify(text, severity=level, timeout=8 if level == "error" else 4)  # type: ignore[arg-type]
        if self.main.is_attached:
            self.main.query_one(StatusBar).notice = text

    # --- engine -----------------------------------------------------------------------------

    def start_engine(self) -> None:
        """Use Speechmatics when a key is set; otherwise start the local engine."""
        from tui.core.target import remote_target

        if self.target is not None:  # given (an engine someone else runs)
            self.post_message(EngineStatusChanged(self.target.label, ready=True))
            return
        if not self.settings.uses_local_engine:
            self.target = remote_target(self.settings)
            self.post_message(EngineStatusChanged(self.target.label, ready=True))
            return
        self.post_message(
            EngineStatusChanged(f"starting the local engine ({self.settings.engine_model})…")
        )
        self._run_local_engine()

    @work(thread=True, group="engine", description="starting the local engine", exit_on_error=False)
    def _run_local_engine(self) -> None:
        from tui.core.engine_process import EngineStartError, start_engine
        from tui.core.target import local_target

        def progress(line: str) -> None:
            shown = line.split(": ", 1)[-1][:70]
            self.post_message(EngineStatusChanged(f"local engine starting · {shown}"))

        try:
            engine = start_engine(self.settings, on_progress=progress)
        except EngineStartError as exc:
            self.post_message(EngineStatusChanged(f"{exc} — ctrl+r retries", failed=True))
            return
        self.engine = engine
        self.target = local_target(
            engine.batch_url, engine.rt_url, engine.api_key, self.settings.engine_model
        )
        self.post_message(
            EngineStatusChanged(self.target.label + f" · {engine.batch_url}", ready=True)
        )

    @on(EngineStatusChanged)
    def _engine_status(self, event: EngineStatusChanged) -> None:
        bar = self.main.query_one(StatusBar)
        bar.engine = event.text
        bar.state = "ready" if event.ready else "failed" if event.failed else "starting"
        if event.ready:
            first = not self.ready.is_set() and self.engine_watch is None
            self.ready.set()
            if self.engine_watch is None:
                self.engine_watch = self.set_interval(2.0, self._watch_engine, name="engine-watch")
            if first and self.live_spec:  # --live: start as soon as the engine can take it
                self.toggle_live()
        elif event.failed:
            self.tell(event.text, "error")

    def _watch_engine(self) -> None:
        if self.engine is not None and not self.engine.alive and self.ready.is_set():
            self.ready.clear()
            self.post_message(
                EngineStatusChanged(
                    f"the local engine stopped (log: {self.engine.log_path}) — ctrl+r restarts",
                    failed=True,
                )
            )

    def action_restart_engine(self) -> None:
        if not self.settings.uses_local_engine or (self.engine is None and self.ready.is_set()):
            return
        self.ready.clear()
        if self.engine is not None:
            self.engine.stop()
            self.engine = None
        self.start_engine()

    def stop_engine(self) -> None:
        """Stop the local engine if this app started it."""
        if self.engine is not None:
            self.engine.stop()
            self.engine = None

    async def action_quit(self) -> None:
        if self.main.live_running and self.main.session is not None:
            self.main.session.stop()
        self.stop_engine()
        self.exit(0)

    def on_unmount(self) -> None:
        self.stop_engine()
        self.store.close()

    # --- batch ------------------------------------------------------------------------------

    def queue_files(self, paths: Iterable[Path]) -> None:
        """Add files to the queue; each runs as its own worker when a slot is free."""
        for job in self.queue.add(paths, self.settings.language):
            self.jobs[job.id] = job
            self.main.show_job(job)
            self._start_job(job)

    def _start_job(self, job: BatchJob) -> None:
        self.run_worker(self._run_job(job), group="batch", name=f"job-{job.id}",
                        description=f"batch {job.name}", exit_on_error=False)  # fmt: skip

    async def _run_job(self, job: BatchJob) -> None:
        await self.ready.wait()
        assert self.target is not None
        await self.queue.run(job, self.target, self.ready)

    def _job_changed(self, job: BatchJob) -> None:
        self.main.post_message(JobChanged(job.id))
        if job.state == JobState.DONE:
            self.tell(f"{job.name} done in {job.turnaround or 0:.1f}s")
        elif job.state == JobState.FAILED:
            self.tell(f"{job.name} failed: {job.error}", "error")

    def retry_job(self, job: BatchJob) -> None:
        """Queue a failed or cancelled job again."""
        self.queue.retry(job)
        self.main.show_job(job)
        self._start_job(job)

    def cancel_job(self, job: BatchJob) -> None:
        """Stop a job's worker (the engine's copy is left to expire)."""
        for worker in self.workers:
            if worker.name == f"job-{job.id}":
                worker.cancel()
        self.queue.cancel(job)
        self.main.show_job(job)

    def delete_job(self, job: BatchJob) -> None:
        """Forget a job."""
        self.cancel_job(job)
        self.queue.delete(job)
        self.jobs.pop(job.id, None)

    def export_job(self, job: BatchJob) -> None:
        """Write the job's transcript in every format to the exports folder."""
        from tui.core.exports import export_job

        try:
            written = export_job(job, self.paths.exports)
        except (OSError, ValueError) as exc:
            self.tell(f"export failed: {exc}", "error")
            return
        self.tell(f"exported {', '.join(p.name for p in written)} to {self.paths.exports}")

    def compare_file(self, path: Path) -> None:
        """Open the comparison screen for a file (reference: a .txt beside it, if any)."""
        from tui.screens.compare import CompareScreen

        if self.target is None or not self.ready.is_set():
            self.tell("the engine is not ready yet", "warning")
            return
        reference_file = path.with_suffix(".txt")
        reference = (
            reference_file.read_text(encoding="utf-8").strip() if reference_file.is_file() else None
        )
        self.push_screen(CompareScreen(path, self.target, reference, self.settings.max_delay))

    # --- live -------------------------------------------------------------------------------

    def toggle_live(self) -> None:
        """Start a session from the configured source, or stop the running one."""
        if self.main.live_running and self.main.session is not None:
            self.main.session.stop()
            self.tell("stopping: waiting for the last words…")
            return
        from tui.core.sources import FileSource, MicrophoneSource, PipeSource, SourceError

        try:
            if self.live_spec == "-" and self.live_stream is not None:
                self._start_live(PipeSource(self.live_stream, self.raw), "stdin")
            elif self.live_spec and self.live_spec != "mic":
                self._start_live(FileSource(Path(self.live_spec)), Path(self.live_spec).name)
            else:
                from tui.core.sources import input_devices

                if not input_devices():
                    raise SourceError(
                        "no microphone found: press f to play a file live, or pipe audio to `sm-tui --live -`"
                    )
                self._start_live(MicrophoneSource(self.mic_device), "microphone")
        except SourceError as exc:
            self.tell(str(exc), "error")

    def pick_microphone(self) -> None:
        """Choose the input device the microphone source uses."""
        from tui.core.sources import SourceError, input_devices
        from tui.screens.devices import DevicePicker

        try:
            devices = input_devices()
        except SourceError as exc:
            self.tell(str(exc), "error")
            return
        if not devices:
            self.tell(
                "no microphone found: press f to play a file live, or pipe audio to `sm-tui --live -`",
                "error",
            )
            return

        def chosen(index: int | None) -> None:
            if index is not None:
                self.mic_device = index
                name = next(n for i, n, _ in devices if i == index)
                self.main.default_source = f"mic {name}"[:30]
                self.tell(f"microphone: {name}")

        self.push_screen(DevicePicker(devices), chosen)

    def start_live_file(self, path: Path) -> None:
        """Play a file live at real speed."""
        from tui.core.sources import FileSource, SourceError

        if self.main.live_running:
            self.tell("a live session is running: press space to stop it first", "warning")
            return
        try:
            self._start_live(FileSource(path), path.name)
        except SourceError as exc:
            self.tell(str(exc), "error")

    def _start_live(self, source: object, name: str) -> None:
        from tui.core.live import LiveSession
        from tui.core.sources import AudioSource
        from tui.listener import ScreenListener

        assert isinstance(source, AudioSource)
        if self.target is None or not self.ready.is_set():
            self.tell("the engine is not ready yet", "warning")
            return
        session = LiveSession(
            self.target,
            source,
            ScreenListener(self.main),
            self.settings.max_delay,
            self.settings.language,
        )
        self.main.live_started(session, name)
        self.live_worker = self.run_worker(self._run_live(session), group="live", name="live",
                                           description=f"live from {name}", exit_on_error=False)  # fmt: skip

    async def _run_live(self, session: object) -> None:
        from tui.core.live import LiveSession
        from tui.messages import LiveEnded

        assert isinstance(session, LiveSession)
        try:
            await session.run()
        finally:
            self.main.post_message(LiveEnded(session.ended_cleanly))

    def save_live(self, text: str) -> None:
        """Write the live transcript to the exports folder."""
        from tui.core.exports import export_text

        if not text:
            self.tell("nothing to save yet", "warning")
            return
        import time

        path = export_text(text, self.paths.exports, time.strftime("live-%Y%m%d-%H%M%S"))
        self.tell(f"saved the live transcript to {path}")

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """The one place that turns a worker's crash into something the user sees."""
        if event.state == WorkerState.ERROR:
            self.tell(f"{event.worker.description} failed: {event.worker.error}", "error")


def make_app(
    settings: Settings,
    files: list[Path] | None = None,
    live: str | None = None,
    live_stream: IO[bytes] | None = None,
    raw: str | None = None,
    target: EngineTarget | None = None,
) -> SmTuiApp:
    """Build the app from settings (nothing here reads the environment).

    Args:
        settings: The settings.
        files: Files to queue at start.
        live: Live source: a file path, ``-`` for stdin, or ``mic``.
        live_stream: The audio pipe when ``live`` is ``-``.
        raw: Raw PCM format of the pipe (``s16le:16000``), or None for a container stream.
        target: An engine to use instead of choosing one from the settings.
    """
    return SmTuiApp(
        settings, files=files, live=live, live_stream=live_stream, raw=raw, target=target
    )
