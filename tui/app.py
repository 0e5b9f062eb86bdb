"""The sm-tui Textual app: wiring between the controllers and the dashboard screen."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import IO, ClassVar

from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from tui.controllers.batch import BatchController
from tui.controllers.engine import EngineSupervisor
from tui.controllers.live import LiveController
from tui.core.target import EngineTarget
from tui.messages import EngineStatusChanged
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
        sample: bool = False,
    ) -> None:
        super().__init__()
        self.settings = settings
        paths = DataPaths(settings.data_dir).ensure()
        self.supervisor = EngineSupervisor(self, settings, target)
        self.batch = BatchController(self, settings, paths, self.supervisor)
        self.live = LiveController(self, settings, paths, self.supervisor, live, live_stream, raw)
        self.initial_files = files or []
        # The files are the default sample: queue it once, not on every run.
        self.queue_sample_once = sample

    @property
    def main(self) -> MainScreen:
        """The dashboard screen."""
        return self.get_screen("main")  # type: ignore[return-value]

    async def on_mount(self) -> None:
        self.install_screen(MainScreen(), "main")
        await self.push_screen("main")
        self.supervisor.start()
        self.batch.resume()
        self.batch.queue_files(self.initial_files, skip_known=self.queue_sample_once)
        self.main.default_source = self.live.source_label

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
            (
                "Compare batch and real-time",
                "Measure both on the selected file",
                main.action_compare_job,
            ),
            ("Save live transcript", "Write it to the exports folder", main.action_save_live),
            ("Restart engine", "Start the local engine again", self.action_restart_engine),
        ]
        for title, help_text, callback in commands:
            yield SystemCommand(title, help_text, callback)

    def tell(self, text: str, severity: str = "information") -> None:
        """Show a message: a toast, and the status line's notice."""
        level = severity if severity in ("information", "warning", "error") else "information"
        self.notify(text, severity=level, timeout=8 if level == "error" else 4)  # type: ignore[arg-type]
        if self.main.is_attached:
            self.main.query_one(StatusBar).notice = text

    @on(EngineStatusChanged)
    def _engine_status(self, event: EngineStatusChanged) -> None:
        bar = self.main.query_one(StatusBar)
        bar.engine = event.text
        bar.state = "ready" if event.ready else "failed" if event.failed else "starting"
        if self.supervisor.status_changed(event) and self.live.spec:
            self.live.toggle()  # --live: start as soon as the engine can take it
        if event.failed:
            self.tell(event.text, "error")

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """The one place that turns a worker's crash into something the user sees."""
        if event.state == WorkerState.ERROR:
            self.tell(f"{event.worker.description} failed: {event.worker.error}", "error")

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


def make_app(
    settings: Settings,
    files: list[Path] | None = None,
    live: str | None = None,
    live_stream: IO[bytes] | None = None,
    raw: str | None = None,
    target: EngineTarget | None = None,
    sample: bool = False,
) -> SmTuiApp:
    """Build the app from settings (nothing here reads the environment).

    Args:
        settings: The settings.
        files: Files to queue at start.
        live: Live source: a file path, ``-`` for stdin, or ``mic``.
        live_stream: The audio pipe when ``live`` is ``-``.
        raw: Raw PCM format of the pipe (``s16le:16000``), or None for a container stream.
        target: An engine to use instead of choosing one from the settings.
        sample: ``files`` is the default sample, queued only if the store does not have it.
    """
    return SmTuiApp(
        settings,
        files=files,
        live=live,
        live_stream=live_stream,
        raw=raw,
        target=target,
        sample=sample,
    )
