"""Live sessions in the dashboard: the source, the session worker, and the live state.

The controller owns the session: what is running, from which source, and its stitched
transcript (in stream order, across reconnects), which is what saving writes.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from tui.controllers.engine import EngineSupervisor
from tui.controllers.host import Host
from tui.core.errors import Severity
from tui.core.levels import Level
from tui.core.live import LiveSession, live_language
from tui.core.recording import Recorder
from tui.core.sources import AudioSource, SourceError
from tui.messages import (
    FinalReceived,
    LevelMeasured,
    LiveEnded,
    LiveNoticed,
    LiveStarted,
    MicrophonesListed,
    PartialReceived,
)
from tui.paths import DataPaths
from tui.settings import Settings

Devices = list[tuple[int, str, int]]
NO_MICROPHONE = (
    "no microphone found: press f to play a file live, or pipe audio to `sm-tui --live -`"
)


class MessageListener:
    """Turns a live session's callbacks into messages for the app (on the app's loop)."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.session: LiveSession | None = None

    def partial(self, text: str) -> None:
        self.host.post_message(PartialReceived(text))

    def final(self, text: str) -> None:
        self.host.post_message(FinalReceived(text))

    def level(self, level: Level) -> None:
        session = self.session
        if session is None:
            self.host.post_message(LevelMeasured(level, 0.0, 0.0))
            return
        self.host.post_message(
            LevelMeasured(
                level,
                session.audio_seconds,
                session.words_per_minute,
                session.behind_seconds,
                session.backlog_seconds,
                session.compute_ratio,
            )
        )

    def notice(self, severity: Severity, text: str) -> None:
        self.host.post_message(LiveNoticed(severity, text))


class LiveController:
    """Starts and stops live sessions from the microphone, stdin or a file.

    Args:
        host: The app.
        settings: max_delay, language and the session limit.
        paths: Where saved transcripts go.
        engine: The engine to stream to.
        spec: The ``--live`` source: a file, ``-`` for stdin, ``mic``, or None.
        stream: The audio pipe when ``spec`` is ``-``.
        raw: Raw PCM format of the pipe, or None for a container stream.
        list_devices: Lists input devices (PortAudio's, unless a test gives its own).
    """

    def __init__(
        self,
        host: Host,
        settings: Settings,
        paths: DataPaths,
        engine: EngineSupervisor,
        spec: str | None,
        stream: IO[bytes] | None,
        raw: str | None,
        list_devices: Callable[[], Devices] | None = None,
    ) -> None:
        self.host = host
        self.settings = settings
        self.paths = paths
        self.engine = engine
        self.spec = spec
        self.stream = stream
        self.raw = raw
        self.list_devices = list_devices or _portaudio_devices
        self.mic_device: int | None = None
        self.mic_name: str | None = None
        self.session: LiveSession | None = None
        self.recording: Recorder | None = None
        """Where the running (or last) session's audio is kept."""
        self.running = False
        self.source_name = ""
        self.saved_words = 0  # how many of the session's words the last save held
        self.stdin_ended = False  # stdin can be read once: after it ends there is nothing more
        self.remote = False
        """The user is in a browser: the microphone and stdin are the server's, and say so."""

    @property
    def source_label(self) -> str:
        """What space starts."""
        server = "server's " if self.remote else ""
        if self.spec == "-":
            return f"{server}stdin"
        if self.spec and self.spec != "mic":
            return Path(self.spec).name
        return f"{server}mic {self.mic_name}"[:40] if self.mic_name else f"{server}microphone"

    @property
    def transcript(self) -> str:
        """The session's final text, stitched in stream order."""
        return self.session.transcript.text if self.session is not None else ""

    @property
    def word_count(self) -> int:
        """Final words in the session so far."""
        return self.session.transcript.word_count if self.session is not None else 0

    @property
    def unsaved(self) -> bool:
        """The last session has words that no save holds."""
        return self.word_count > self.saved_words

    def toggle(self) -> None:
        """Start a session from the configured source, or stop the running one."""
        if self.running and self.session is not None:
            self.session.stop()
            self.host.tell("stopping: waiting for the last words…")
            return
        from tui.core.sources import FileSource, MicrophoneSource, PipeSource

        try:
            if self.spec == "-" and self.stdin_ended:
                raise SourceError(
                    "stdin has ended: there is no more audio to read from it. Press f to play a "
                    "file live, or run sm-tui --live - again with new audio"
                )
            if self.spec == "-" and self.stream is not None:
                self._start(PipeSource(self.stream, self.raw), "stdin")
            elif self.spec and self.spec != "mic":
                self._start(FileSource(Path(self.spec)), Path(self.spec).name)
            else:
                if not self.list_devices():
                    raise SourceError(self._no_microphone)
                self._start(MicrophoneSource(self.mic_device), self.source_label)
        except SourceError as exc:
            self.host.tell(str(exc), "error")

    def pick_microphone(self) -> None:
        """List the input devices, for the user to pick one (``use_microphone``)."""
        try:
            devices = self.list_devices()
        except SourceError as exc:
            self.host.tell(str(exc), "error")
            return
        if not devices:
            self.host.tell(self._no_microphone, "error")
            return
        self.host.post_message(MicrophonesListed(devices))

    @property
    def _no_microphone(self) -> str:
        if self.remote:
            return (
                "the server has no microphone (live audio comes from the machine sm-tui web "
                "runs on, not this browser): press f to play a server file live"
            )
        return NO_MICROPHONE

    def use_microphone(self, index: int, name: str) -> None:
        """The microphone the next session uses."""
        self.mic_device, self.mic_name = index, name
        self.host.tell(f"microphone: {name}")

    def start_file(self, path: Path) -> None:
        """Play a file live at real speed."""
        from tui.core.sources import FileSource

        if self.running:
            self.host.tell("a live session is running: press space to stop it first", "warning")
            return
        try:
            self._start(FileSource(path), path.name)
        except SourceError as exc:
            self.host.tell(str(exc), "error")

    def _start(self, source: AudioSource, name: str) -> None:
        if self.engine.target is None or not self.engine.ready.is_set():
            self.host.tell("the engine is not ready yet", "warning")
            return
        listener = MessageListener(self.host)
        session = LiveSession(
            self.engine.target,
            source,
            listener,
            max_delay=self.settings.max_delay,
            language=live_language(self.engine.choices.language),
            max_session_s=self.settings.max_session_s,
        )
        listener.session = session
        self.recording = self._record(source, name)
        self.session, self.running, self.source_name = session, True, name
        self.saved_words = 0
        self.host.post_message(LiveStarted(name))
        self.host.run_worker(
            self._run(session),
            group="live",
            name="live",
            description=f"live from {name}",
            exit_on_error=False,
        )

    def _record(self, source: AudioSource, name: str) -> Recorder | None:
        """Keep what the session hears in ``<data dir>/recordings`` as it streams (FLAC)."""
        from tui.core.recording import Recorder, RecordingError, recording_name

        if not self.settings.keep_recordings:
            return None
        try:
            recorder = Recorder(self.paths.recordings / recording_name(Path(name).stem))
        except RecordingError as exc:
            self.host.tell(f"{exc}: this session's audio is not kept", "warning")
            return None

        def stopped(text: str) -> None:  # the capture thread: posting is safe from any thread
            self.host.post_message(LiveNoticed("warning", text))

        recorder.on_error = stopped
        source.taps.append(recorder.write_block)
        return recorder

    async def _run(self, session: LiveSession) -> None:
        recording = self.recording
        try:
            await session.run()
        finally:
            if recording is not None:
                recording.close()
            if session is self.session:
                self.running = False
            from tui.core.sources import PipeSource

            if isinstance(session.source, PipeSource):
                self.stdin_ended = True
            self.host.post_message(LiveEnded(session.ended_cleanly))

    def stop(self) -> None:
        """Stop a running session's capture (it then flushes)."""
        if self.running and self.session is not None:
            self.session.stop()

    def save(self, formats: tuple[str, ...] = ("txt",)) -> list[Path]:
        """Write the stitched live transcript to the exports folder in each format."""
        from tui.core.exports import export_live

        text, session = self.transcript, self.session
        if not text or session is None:
            self.host.tell("nothing to save yet", "warning")
            return []
        name = time.strftime("live-%Y%m%d-%H%M%S")
        document = session.transcript.json_v2(live_language(self.engine.choices.language))
        try:
            written = export_live(text, document, self.paths.exports, name, formats)
        except OSError as exc:
            self.host.tell(f"could not save the live transcript: {exc}", "error")
            return []
        if self.recording is not None and self.recording.path.is_file():
            audio = self.paths.exports / f"{name}{self.recording.path.suffix}"
            try:
                shutil.copyfile(self.recording.path, audio)  # all heard so far, while it runs
                written.append(audio)
            except OSError as exc:
                self.host.tell(f"could not save the audio: {exc}", "warning")
        self.saved_words = self.word_count
        kinds = ", ".join(p.suffix.lstrip(".") for p in written)
        self.host.tell(f"saved the live transcript as {name} ({kinds}) in {self.paths.exports}")
        self.host.deliver(written)
        return written


def _portaudio_devices() -> Devices:
    from tui.core.sources import input_devices

    return input_devices()
