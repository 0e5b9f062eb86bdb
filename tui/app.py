"""The sm-tui Textual app: wiring between the controllers and the screens.

Controllers post what happened (``tui.messages``); the app hands it down to the dashboard
screen. The screen posts what the user asked for; the app passes it to a controller.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, ClassVar

from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from tui.controllers.batch import BatchController
from tui.controllers.engine import EngineSupervisor
from tui.controllers.live import Devices, LiveController
from tui.core.errors import Severity
from tui.core.target import EngineTarget
from tui.messages import (
    EngineStatusChanged,
    FinalReceived,
    JobChanged,
    JobRemoved,
    LevelMeasured,
    LiveEnded,
    LiveNoticed,
    LiveStarted,
    MicrophonesListed,
    PartialReceived,
)
from tui.paths import DataPaths
from tui.screens.main import MainScreen
from tui.settings import Settings


class SmTuiApp(App[int]):
    """Batch queue and live transcript side by side.

    Args:
        settings: Everything configurable.
        files: Files to queue at start.
        live: Live source: a file path, ``-`` for stdin, or ``mic``.
        live_stream: The audio pipe when ``live`` is ``-``.
        raw: Raw PCM format of the pipe (``s16le:16000``), or None for a container stream.
        target: An engine to use instead of choosing one from the settings.
        sample: ``files`` is the default sample, queued only if the store does not have it.
        list_devices: Lists input devices instead of PortAudio (tests: no microphone here).
        notices: What the user must be told at start (a broken store moved aside).
    """

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
        sample: bool = False,
        list_devices: Callable[[], Devices] | None = None,
        notices: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.notices = list(notices or [])
        self.settings = settings
        paths = DataPaths(settings.data_dir).ensure()
        self.supervisor = EngineSupervisor(self, settings, target)
        self.batch = BatchController(self, settings, paths, self.supervisor)
        self.live = LiveController(
            self, settings, paths, self.supervisor, live, live_stream, raw, list_devices
        )
        self.initial_files = files or []
        self.queue_sample_once = sample  # the files are the default sample: queue it once
        self.live_autostart = live is not None

    @property
    def main(self) -> MainScreen:
        """The dashboard screen."""
        return self.get_screen("main")  # type: ignore[return-value]

    async def on_mount(self) -> None:
        self.install_screen(MainScreen(), "main")
        await self.push_screen("main")
        self.main.default_source = self.live.source_label
        self.supervisor.start()
        self.batch.resume()
        self.batch.queue_files(self.initial_files, skip_known=self.queue_sample_once)
        for notice in [
            *self.notices,
            *([self.batch.store.notice] if self.batch.store.notice else []),
        ]:
            self.tell(notice, "error")

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        main = self.main
        commands = [
            ("Add files", "Queue audio files for batch transcription", main.action_add_files),
            ("Live: start or stop", "Microphone, stdin or the --live source", self.live.toggle),
            ("Live from a file", "Play a file at real speed", main.action_live_file),
            ("Choose microphone", "Pick the input device", self.live.pick_microphone),
            ("Export job", "Write txt, srt, vtt and json-v2", main.action_export_job),
            ("Retry job", "Queue a failed job again", main.action_retry_job),
            ("Cancel job", "Stop the selected job", main.action_cancel_job),
            ("Delete job", "Remove the selected job", main.action_delete_job),
            ("Compare batch and real-time", "Measure both on the selected file",
             main.action_compare_job),
            ("Save live transcript", "Write it to the exports folder", self.live.save),
            ("Restart engine", "Start the local engine again", self.action_restart_engine),
        ]  # fmt: skip
        for title, help_text, callback in commands:
            yield SystemCommand(title, help_text, callback)

    def tell(self, text: str, severity: Severity = "information") -> None:
        """Show a message: a toast, and the status line's notice."""
        self.notify(text, severity=severity, timeout=8 if severity == "error" else 4)
        if self.main.is_attached:
            self.main.show_notice(text)

    # --- up from the controllers, down to the screen ----------------------------------------

    @on(EngineStatusChanged)
    def _engine_status(self, event: EngineStatusChanged) -> None:
        self.main.show_engine(event.text, event.state)
        if event.state == "ready" and self.live_autostart:
            self.live_autostart = False
            self.live.toggle()  # --live: start as soon as the engine can take it
        if event.state in ("failed", "refused", "stopped"):
            self.tell(event.text, "error")

    @on(JobChanged)
    def _job_changed(self, event: JobChanged) -> None:
        self.main.show_job(event.job)

    @on(JobRemoved)
    def _job_removed(self, event: JobRemoved) -> None:
        self.main.forget_job(event.job_id)

    @on(LiveStarted)
    def _live_started(self, event: LiveStarted) -> None:
        self.main.live_started(event.source)

    @on(LevelMeasured)
    def _level(self, event: LevelMeasured) -> None:
        self.main.show_level(event.level, event.audio_s, event.words_per_minute)

    @on(PartialReceived)
    def _partial(self, event: PartialReceived) -> None:
        self.main.show_partial(event.text)

    @on(FinalReceived)
    def _final(self, event: FinalReceived) -> None:
        self.main.add_final(event.text)

    @on(LiveNoticed)
    def _noticed(self, event: LiveNoticed) -> None:
        self.tell(event.text, event.severity)

    @on(LiveEnded)
    def _live_ended(self, event: LiveEnded) -> None:
        self.main.live_ended()

    @on(MicrophonesListed)
    def _microphones(self, event: MicrophonesListed) -> None:
        from tui.screens.devices import DevicePicker

        names = {index: name for index, name, _ in event.devices}

        def chosen(index: int | None) -> None:
            if index is not None:
                self.live.use_microphone(index, names[index])
                self.main.default_source = self.live.source_label

        self.push_screen(DevicePicker(event.devices), chosen)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """The one place that turns a worker's crash into something the user sees."""
        if event.state == WorkerState.ERROR:
            self.tell(f"{event.worker.description} failed: {event.worker.error}", "error")

    # --- up from the screen, to the controllers ---------------------------------------------

    @on(MainScreen.FilesSubmitted)
    def _files_submitted(self, event: MainScreen.FilesSubmitted) -> None:
        self.batch.queue_files(event.paths)

    @on(MainScreen.LiveFileSubmitted)
    def _live_file(self, event: MainScreen.LiveFileSubmitted) -> None:
        self.live.start_file(event.path)

    @on(MainScreen.JobActionPressed)
    def _job_action(self, event: MainScreen.JobActionPressed) -> None:
        job, batch = event.job, self.batch
        if event.action == "compare":
            self._compare(job.path)
            return
        {"export": batch.export, "retry": batch.retry, "cancel": batch.cancel,
         "delete": batch.delete}[event.action](job)  # fmt: skip

    @on(MainScreen.LiveActionPressed)
    def _live_action(self, event: MainScreen.LiveActionPressed) -> None:
        live = self.live
        {"toggle": live.toggle, "save": live.save,
         "pick_microphone": live.pick_microphone}[event.action]()  # fmt: skip

    def _compare(self, path: Path) -> None:
        """Open the comparison screen for a file (reference: a .txt beside it, if any)."""
        from tui.core.references import sidecar_reference
        from tui.screens.compare import CompareScreen

        target = self.supervisor.target
        if target is None or not self.supervisor.ready.is_set():
            self.tell("the engine is not ready yet", "warning")
            return
        reference = sidecar_reference(path)
        self.push_screen(CompareScreen(path, target, reference, self.settings.max_delay))

    # --- the app's own keys -----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "restart_engine":
            return self.supervisor.restartable
        return True

    def action_restart_engine(self) -> None:
        self.supervisor.restart()

    async def action_quit(self) -> None:
        self.live.stop()
        self.supervisor.stop()
        self.exit(0)

    def stop_engine(self) -> None:
        """Stop the local engine if this app started it (also called after the app exits)."""
        self.supervisor.stop()

    def on_unmount(self) -> None:
        self.supervisor.stop()
        self.batch.close()


make_app = SmTuiApp
"""Build the app from settings (nothing here reads the environment): ``make_app(settings)``."""
