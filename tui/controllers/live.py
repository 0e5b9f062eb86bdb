"""Live sessions in the dashboard: choosing the source, running the session worker."""

from __future__ import annotations

import time
from pathlib import Path
from typing import IO, TYPE_CHECKING

from tui.controllers.engine import EngineSupervisor
from tui.core.live import LiveSession
from tui.core.sources import AudioSource, SourceError
from tui.paths import DataPaths
from tui.settings import Settings

if TYPE_CHECKING:
    from tui.app import SmTuiApp

NO_MICROPHONE = (
    "no microphone found: press f to play a file live, or pipe audio to `sm-tui --live -`"
)


class LiveController:
    """Starts and stops live sessions from the microphone, stdin or a file."""

    def __init__(
        self,
        app: SmTuiApp,
        settings: Settings,
        paths: DataPaths,
        engine: EngineSupervisor,
        spec: str | None,
        stream: IO[bytes] | None,
        raw: str | None,
    ) -> None:
        self.app = app
        self.settings = settings
        self.paths = paths
        self.engine = engine
        self.spec = spec
        self.stream = stream
        self.raw = raw
        self.mic_device: int | None = None

    @property
    def source_label(self) -> str:
        """What space starts."""
        if self.spec == "-":
            return "stdin"
        if self.spec and self.spec != "mic":
            return Path(self.spec).name
        return "microphone"

    def toggle(self) -> None:
        """Start a session from the configured source, or stop the running one."""
        main = self.app.main
        if main.live_running and main.session is not None:
            main.session.stop()
            self.app.tell("stopping: waiting for the last words…")
            return
        from tui.core.sources import FileSource, MicrophoneSource, PipeSource, input_devices

        try:
            if self.spec == "-" and self.stream is not None:
                self._start(PipeSource(self.stream, self.raw), "stdin")
            elif self.spec and self.spec != "mic":
                self._start(FileSource(Path(self.spec)), Path(self.spec).name)
            else:
                if not input_devices():
                    raise SourceError(NO_MICROPHONE)
                self._start(MicrophoneSource(self.mic_device), "microphone")
        except SourceError as exc:
            self.app.tell(str(exc), "error")

    def pick_microphone(self) -> None:
        """Choose the input device the microphone source uses."""
        from tui.core.sources import input_devices
        from tui.screens.devices import DevicePicker

        try:
            devices = input_devices()
        except SourceError as exc:
            self.app.tell(str(exc), "error")
            return
        if not devices:
            self.app.tell(NO_MICROPHONE, "error")
            return

        def chosen(index: int | None) -> None:
            if index is not None:
                self.mic_device = index
                name = next(n for i, n, _ in devices if i == index)
                self.app.main.default_source = f"mic {name}"[:30]
                self.app.tell(f"microphone: {name}")

        self.app.push_screen(DevicePicker(devices), chosen)

    def start_file(self, path: Path) -> None:
        """Play a file live at real speed."""
        from tui.core.sources import FileSource

        if self.app.main.live_running:
            self.app.tell("a live session is running: press space to stop it first", "warning")
            return
        try:
            self._start(FileSource(path), path.name)
        except SourceError as exc:
            self.app.tell(str(exc), "error")

    def _start(self, source: AudioSource, name: str) -> None:
        from tui.listener import ScreenListener

        if self.engine.target is None or not self.engine.ready.is_set():
            self.app.tell("the engine is not ready yet", "warning")
            return
        session = LiveSession(
            self.engine.target, source, ScreenListener(self.app.main), self.settings.max_delay,
            self.settings.language, max_session_s=self.settings.max_session_s,
        )  # fmt: skip
        self.app.main.live_started(session, name)
        self.app.run_worker(self._run(session), group="live", name="live",
                            description=f"live from {name}", exit_on_error=False)  # fmt: skip

    async def _run(self, session: LiveSession) -> None:
        from tui.messages import LiveEnded

        try:
            await session.run()
        finally:
            self.app.main.post_message(LiveEnded(session.ended_cleanly))

    def stop(self) -> None:
        """Stop a running session's capture (it then flushes)."""
        main = self.app.main
        if main.live_running and main.session is not None:
            main.session.stop()

    def save(self, text: str) -> None:
        """Write the live transcript to the exports folder."""
        from tui.core.exports import export_text

        if not text:
            self.app.tell("nothing to save yet", "warning")
            return
        path = export_text(text, self.paths.exports, time.strftime("live-%Y%m%d-%H%M%S"))
        self.app.tell(f"saved the live transcript to {path}")
