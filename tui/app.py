"""The sm-tui Textual app: wiring between the controllers and the screens.

Controllers post what happened (``tui.messages``); the app hands it down to the dashboard
screen. The screen posts what the user asked for; the app passes it to a controller.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from functools import partial
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
from tui.core.batch import BatchJob
from tui.core.errors import Severity
from tui.core.live import LiveSession, live_language
from tui.core.progress import clock
from tui.core.target import Choices, EngineTarget
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
from tui.screens.ask import Ask
from tui.screens.help import HelpRow, HelpScreen
from tui.screens.main import MainScreen
from tui.screens.messages import MessagesScreen, Notice
from tui.settings import Settings

FORMAT_KEYS = {
    "t": ("txt",),
    "s": ("srt",),
    "v": ("vtt",),
    "j": ("json",),
    "a": ("txt", "srt", "vtt", "json"),
}
FORMAT_ANSWERS = [("t", "txt"), ("s", "srt"), ("v", "vtt"), ("j", "json-v2"), ("a", "all four")]
LONG_COMPARISON_S = 300.0  # a comparison of a longer file asks first: it takes as long as the file


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
        Binding("q", "quit", "Quit", tooltip="Stop everything and leave (work is kept)"),
        Binding("question_mark,f1", "help", "Help", tooltip="This list of keys"),
        Binding(
            "h",
            "history",
            "History",
            show=False,
            tooltip="Latency and WER of every kept comparison, over time",
        ),
        Binding(
            "n", "messages", "Messages", show=False, tooltip="Every message shown so far, whole"
        ),
        Binding(
            "o",
            "options",
            "Options",
            show=False,
            tooltip="Language, models and speaker labels for new jobs and live sessions",
        ),
        Binding(
            "ctrl+p",
            "command_palette",
            "Commands",
            show=False,
            tooltip="Search every action by name",
        ),
        Binding(
            "ctrl+r",
            "restart_engine",
            "Restart engine",
            show=False,
            tooltip="Start the local engine again (jobs resume)",
        ),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
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
        self.notice_log: deque[Notice] = deque(maxlen=500)
        """Every message shown this run, for the messages screen."""
        self.settings = settings
        paths = self.paths = DataPaths(settings.data_dir).ensure()
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
        self.live.remote = self.is_web
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
        for command in super().get_system_commands(screen):
            if command.title != "Keys":  # ours groups the keys by panel, and Escape closes it
                yield command
        yield SystemCommand("Keys", "Every key, grouped by panel (? or F1)", self.action_help)
        yield SystemCommand("Messages", "Every message shown so far (n)", self.action_messages)
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
            ("Save live transcript", "txt, srt, vtt or json-v2", main.action_save_live),
            ("Restart engine", "Start the local engine again", self.action_restart_engine),
        ]
        for title, help_text, callback in commands:
            yield SystemCommand(title, help_text, callback)

    def deliver(self, paths: Sequence[Path]) -> None:
        """In a browser, exports are downloads too (several files in one zip: a browser lets a
        page start one download per key press); in a terminal they are already on disk."""
        if not self.is_web or not paths:
            return
        from tui.core.exports import bundle

        try:
            one = paths[0] if len(paths) == 1 else bundle(list(paths), self.paths.exports)
        except OSError as exc:
            self.tell(f"could not bundle the files for the browser: {exc}", "error")
            return
        self.deliver_binary(one, open_method="download")

    def _remember(self, text: str, severity: Severity) -> None:
        """Keep a message for the messages screen (n)."""
        self.notice_log.append((time.strftime("%H:%M:%S"), severity, text))

    def tell(self, text: str, severity: Severity = "information") -> None:
        """Show a message, whole, on the status line (no toast: it would cover the panels)."""
        self._remember(text, severity)
        if self.main.is_attached:
            self.main.show_notice(text, severity)
        if self.screen is not self.main:  # another screen is on top: a toast there
            self.notify(text, severity=severity, timeout=8 if severity == "error" else 4)

    # --- up from the controllers, down to the screen ----------------------------------------

    @on(EngineStatusChanged)
    def _engine_status(self, event: EngineStatusChanged) -> None:
        self.main.show_engine(event.text, event.state)
        if event.state == "ready" and self.live_autostart:
            self.live_autostart = False
            self.live.toggle()  # --live: start as soon as the engine can take it
        if event.state in ("failed", "refused", "stopped"):
            self.tell(event.text, "error")
        elif event.state == "unreachable":  # the status line says so; n has the whole text
            self._remember(event.text, "warning")

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
        self.main.show_level(
            event.level,
            event.audio_s,
            event.words_per_minute,
            event.behind_s,
            event.backlog_s,
            event.compute_ratio,
        )

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
        recording = self.live.recording
        self.main.live_comparable = recording is not None and recording.error is None
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
            self._compare(job)
        elif event.action == "compare_sides":
            self._compare_sides(job)
        elif event.action == "delete":
            what = "stops it on the engine and forgets it" if job.state.active else "forgets it"
            self.ask(
                f"Delete {job.name}? This {what}; the audio file stays where it is.",
                [("y", "Delete"), ("n", "Keep")],
                {"y": lambda: batch.delete(job)},
            )
        elif event.action == "export" and self.is_web:  # one download: one format, or a zip
            self.ask(
                f"Download the transcript of {job.name} as:",
                FORMAT_ANSWERS,
                {key: partial(batch.export, job, chosen) for key, chosen in FORMAT_KEYS.items()},
            )
        else:
            {"export": batch.export, "retry": batch.retry, "cancel": batch.cancel}[event.action](
                job
            )

    @on(MainScreen.LiveActionPressed)
    def _live_action(self, event: MainScreen.LiveActionPressed) -> None:
        live = self.live
        if event.action == "save":
            self._save_live()
        elif event.action == "compare":
            self._compare_live()
        elif event.action == "toggle" and not live.running and live.unsaved:
            self.ask(
                f"The last live transcript ({live.word_count} words) is not saved. "
                "A new session starts with an empty one.",
                [("s", "Save it, then start"), ("d", "Discard it and start")],
                {"s": self._save_then_start, "d": live.toggle},
            )
        else:
            {"toggle": live.toggle, "pick_microphone": live.pick_microphone}[event.action]()

    def _compare_live(self) -> None:
        """Batch on the audio of the live session that ended, beside what it measured."""
        target, session, recording = self.supervisor.target, self.live.session, self.live.recording
        if target is None or session is None or recording is None or recording.error:
            self.tell("no live session with its audio kept to compare", "warning")
            return
        self.tell(f"running batch on the live session's audio ({recording.path.name})…")
        self.run_worker(
            self._open_live_comparison(target, session, recording.path),
            group="compare-live",
            exit_on_error=False,
        )

    async def _open_live_comparison(
        self, target: EngineTarget, session: LiveSession, recording: Path
    ) -> None:
        from tui.core.compare import compare_live
        from tui.core.references import sidecar_reference
        from tui.screens.compare import CompareScreen

        language = live_language(self.live.engine.choices.language)
        try:
            result = await compare_live(
                target, session, recording, sidecar_reference(recording), language
            )
        except Exception as exc:  # said, never a traceback
            self.tell(f"could not compare the live session: {exc}", "error")
            return
        self.push_screen(
            CompareScreen(
                recording,
                target,
                result.reference,
                session.max_delay,
                self.paths.comparisons,
                session.audio_seconds,
                result=result,
                title=f"The live session ({recording.name}) beside batch on the audio it kept",
            )
        )

    def _save_then_start(self) -> None:
        if self.live.save():  # not saved: nothing is discarded
            self.live.toggle()

    def _save_live(self) -> None:
        if not self.live.transcript:
            self.tell("nothing to save yet", "warning")
            return
        self.ask(
            "Save the live transcript as:",
            FORMAT_ANSWERS,
            {key: partial(self.live.save, chosen) for key, chosen in FORMAT_KEYS.items()},
        )

    def ask(
        self, question: str, answers: list[tuple[str, str]], then: dict[str, Callable[[], object]]
    ) -> None:
        """Ask the user; run what the chosen answer maps to (nothing on Escape)."""

        def answered(key: str | None) -> None:
            if key in then:
                then[key]()

        self.push_screen(Ask(question, answers), answered)

    def _compare(self, job: BatchJob) -> None:
        """Open the comparison screen for a file (reference: a .txt beside it, if any).

        A long file is played at real speed, so its length is said and confirmed first.
        """
        target = self.supervisor.target
        if target is None or not self.supervisor.ready.is_set():
            self.tell("the engine is not ready yet", "warning")
            return
        if job.duration and job.duration > LONG_COMPARISON_S:
            self.ask(
                f"{job.name} is {clock(job.duration)} long. The real-time side plays it at real "
                f"speed, so the comparison takes {clock(job.duration)}.",
                [("y", "Compare"), ("n", "Not now")],
                {"y": lambda: self._open_compare(job)},
            )
        else:
            self._open_compare(job)

    def _compare_sides(self, job: BatchJob) -> None:
        """Open the sides of a comparison (the two of ``c`` to start with), to add more."""
        from tui.core.matrix import Configuration
        from tui.core.references import sidecar_reference
        from tui.screens.matrix import MatrixScreen

        target = self.supervisor.target
        if target is None or not self.supervisor.ready.is_set():
            self.tell("the engine is not ready yet", "warning")
            return
        where = "local" if target.local else "speechmatics"
        choices = self.supervisor.choices
        sides = [
            Configuration("batch", choices.batch_model, where),
            Configuration("realtime", choices.rt_model, where, self.settings.max_delay),
        ]
        self.push_screen(
            MatrixScreen(
                job.path,
                sides,
                target,
                self.settings,
                sidecar_reference(job.path),
                self.paths.comparisons,
            )
        )

    def _open_compare(self, job: BatchJob) -> None:
        from tui.core.references import sidecar_reference
        from tui.screens.compare import CompareScreen

        target = self.supervisor.target
        if target is None:
            return
        from tui.core.progress import observed_rtf

        reference = sidecar_reference(job.path)
        rtf = observed_rtf(self.batch.jobs.values(), target.label)
        self.push_screen(
            CompareScreen(
                job.path,
                target,
                reference,
                self.settings.max_delay,
                self.paths.comparisons,
                job.duration,
                rtf,
            )
        )

    # --- the app's own keys -----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "restart_engine":
            return self.supervisor.restartable
        return True

    def action_help(self) -> None:
        """The keys, grouped by panel."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.help_rows()))

    def help_rows(self) -> list[HelpRow]:
        """Every key of the dashboard, the comparison screens and the app, by group."""
        from tui.screens.compare import CompareScreen
        from tui.screens.matrix import MatrixScreen

        def rows(bindings: list[BindingType], group: Callable[[str], str]) -> list[HelpRow]:
            out = []
            for binding in bindings:
                if isinstance(binding, Binding):
                    keys = ", ".join(
                        self.get_key_display(Binding(key, binding.action))
                        for key in binding.key.split(",")
                    )
                    out.append(
                        (group(binding.action), keys, binding.tooltip or binding.description)
                    )
            return out

        main = rows(MainScreen.BINDINGS, lambda a: MainScreen.HELP_GROUPS.get(a, "Dashboard"))
        order = ["Batch queue", "Live panel", "Dashboard"]
        main.sort(key=lambda row: order.index(row[0]))
        return [
            *main,
            *rows(CompareScreen.BINDINGS, lambda _: "Comparison screen"),
            *rows(MatrixScreen.BINDINGS, lambda _: "More sides (C)"),
            *rows(self.BINDINGS, lambda _: "Everywhere"),
        ]

    def action_history(self) -> None:
        """The kept comparisons."""
        from tui.core.history import matrix_runs, runs
        from tui.screens.history import HistoryScreen

        if not isinstance(self.screen, HistoryScreen):
            found, problems = runs(self.paths.comparisons)
            matrix = matrix_runs(self.paths.comparisons)
            self.push_screen(HistoryScreen(found, problems, matrix))

    def action_options(self) -> None:
        from tui.screens.options import OptionsScreen

        def chosen(choices: Choices | None) -> None:
            if choices is not None and choices != self.supervisor.choices:
                self.supervisor.choices = choices
                self.tell(f"new jobs and live sessions: {choices.label}")

        self.push_screen(OptionsScreen(self.supervisor.choices), chosen)

    def action_messages(self) -> None:
        """Every message shown this run."""
        if not isinstance(self.screen, MessagesScreen):
            self.push_screen(MessagesScreen(list(self.notice_log)))

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
