"""The dashboard: the batch queue beside the live transcript."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Label, TextArea

from tui.core.batch import BatchJob, JobState
from tui.core.levels import PeakHold
from tui.messages import (
    FinalReceived,
    JobChanged,
    LevelMeasured,
    LiveEnded,
    LiveNoticed,
    PartialReceived,
)
from tui.widgets.job_table import JobTable
from tui.widgets.level_meter import LevelMeter
from tui.widgets.live_transcript import LiveTranscript
from tui.widgets.path_input import PathInput, split_paths
from tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from tui.app import SmTuiApp
    from tui.core.live import LiveSession

NARROW = 120  # below this many columns the panels stack


class MainScreen(Screen[None]):
    """Batch queue, live panel, status line and footer."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add_files", "Add", tooltip="Type or paste audio file paths"),
        Binding("space", "toggle_live", "Live", tooltip="Start or stop the live session"),
        Binding("f", "live_file", "File", tooltip="Play a file live at real speed"),
        Binding("m", "pick_microphone", "Mic", tooltip="Choose the input device"),
        Binding("e", "export_job", "Export", tooltip="Write txt, srt, vtt and json-v2"),
        Binding("r", "retry_job", "Retry", tooltip="Queue a failed job again"),
        Binding("x", "cancel_job", "Cancel", tooltip="Stop a queued or running job"),
        Binding("d", "delete_job", "Del", tooltip="Remove the job from the queue"),
        Binding("s", "save_live", "Save", tooltip="Write the live transcript to a file"),
        Binding(
            "c",
            "compare_job",
            "Compare",
            tooltip="Batch vs real-time on the selected file, measured",
        ),
        Binding("escape", "leave_input", "Back", show=False),
    ]

    input_mode: reactive[str] = reactive("batch")
    """What the path input adds to: 'batch' queues files, 'live' plays one live."""
    live_running: reactive[bool] = reactive(False)
    """Whether a live session is running."""
    default_source: reactive[str] = reactive("microphone")
    """What space starts: the microphone, stdin, or the --live file."""

    def __init__(self) -> None:
        super().__init__()
        self.session: LiveSession | None = None
        self.peak_hold = PeakHold()

    @property
    def tui(self) -> SmTuiApp:
        """The app, typed."""
        from tui.app import SmTuiApp

        assert isinstance(self.app, SmTuiApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Horizontal(id="panels"):
            with Vertical(id="batch-panel", classes="panel"):
                yield Label("Batch queue", classes="panel-title")
                yield JobTable(id="jobs")
                yield PathInput(id="path-input")
                yield TextArea(id="job-transcript", read_only=True, soft_wrap=True)
            with Vertical(id="live-panel", classes="panel"):
                yield Label("Live  ·  idle", id="live-title", classes="panel-title")
                yield LevelMeter(id="meter")
                yield LiveTranscript(id="live-transcript")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#path-input").display = False
        self.query_one("#job-transcript", TextArea).text = "Select a job to see its transcript."
        self.set_interval(0.5, self._tick)
        self._tick()  # the title is whole from the first frame, not after the first tick
        self.query_one(JobTable).focus()

    def watch_default_source(self) -> None:
        if self.is_mounted:
            self._tick()

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW, "narrow")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out what does not apply to the selected job or the live state."""
        job = self.selected_job
        if action == "export_job":
            return job is not None and job.state == JobState.DONE
        if action == "retry_job":
            return job is not None and job.state in (JobState.FAILED, JobState.CANCELLED)
        if action == "cancel_job":
            return job is not None and (job.state == JobState.QUEUED or job.state.active)
        if action == "delete_job":
            return job is not None
        if action == "compare_job":
            return job is not None and job.path.is_file() and self.tui.supervisor.ready.is_set()
        if action == "live_file":
            return not self.live_running
        return True

    # --- batch ------------------------------------------------------------------------------

    @property
    def selected_job(self) -> BatchJob | None:
        """The job under the table's cursor."""
        job_id = self.query_one(JobTable).selected_job_id
        return self.tui.batch.jobs.get(job_id) if job_id is not None else None

    def show_job(self, job: BatchJob) -> None:
        """Refresh a job's row, and the transcript pane if it is selected."""
        self.query_one(JobTable).show_job(job)
        if self.selected_job is job:
            self.show_selected_transcript()
        self.refresh_bindings()

    def show_selected_transcript(self) -> None:
        """Show the selected job's transcript, or why there is none."""
        job = self.selected_job
        pane = self.query_one("#job-transcript", TextArea)
        if job is None:
            pane.text = "Press a to add audio files."
        elif job.state == JobState.DONE:
            pane.text = f"{job.name} · {job.txt.count(' ') + 1} words\n\n{job.text}"
        elif job.error:
            pane.text = f"{job.name} failed: {job.error}"
        else:
            pane.text = f"{job.name}: {job.state.value}…"

    @on(JobChanged)
    def _job_changed(self, event: JobChanged) -> None:
        job = self.tui.batch.jobs.get(event.job_id)
        if job is not None:
            self.show_job(job)

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        self.show_selected_transcript()
        self.refresh_bindings()

    def action_add_files(self) -> None:
        self._open_input("batch")

    def action_live_file(self) -> None:
        self._open_input("live")

    def _open_input(self, mode: str) -> None:
        self.input_mode = mode
        box = self.query_one("#path-input", PathInput)
        box.border_title = "Queue audio files" if mode == "batch" else "Play a file live"
        box.display = True
        box.focus()

    def action_leave_input(self) -> None:
        box = self.query_one("#path-input", PathInput)
        box.value, box.display = "", False
        self.query_one(JobTable).focus()

    @on(Input.Submitted, "#path-input")
    def _paths_submitted(self, event: Input.Submitted) -> None:
        paths = split_paths(event.value)
        self.action_leave_input()
        if not paths:
            return
        if self.input_mode == "live":
            self.tui.live.start_file(paths[0])
        else:
            self.tui.batch.queue_files(paths)

    def on_paste(self, event: object) -> None:
        """Pasting paths anywhere on the screen queues them."""
        text = getattr(event, "text", "")
        if text and not self.query_one("#path-input").has_focus:
            self.tui.batch.queue_files(split_paths(text))

    def action_export_job(self) -> None:
        if (job := self.selected_job) is not None:
            self.tui.batch.export(job)

    def action_compare_job(self) -> None:
        if (job := self.selected_job) is not None:
            self.tui.batch.compare(job.path)

    def action_retry_job(self) -> None:
        if (job := self.selected_job) is not None:
            self.tui.batch.retry(job)

    def action_cancel_job(self) -> None:
        if (job := self.selected_job) is not None:
            self.tui.batch.cancel(job)

    def action_delete_job(self) -> None:
        if (job := self.selected_job) is not None:
            self.tui.batch.delete(job)
            self.query_one(JobTable).remove_job(job.id)
            self.show_selected_transcript()

    # --- live -------------------------------------------------------------------------------

    def action_pick_microphone(self) -> None:
        self.tui.live.pick_microphone()

    def action_toggle_live(self) -> None:
        self.tui.live.toggle()

    def action_save_live(self) -> None:
        self.tui.live.save(self.query_one(LiveTranscript).text)

    def live_started(self, session: LiveSession, source_name: str) -> None:
        """A session began: reset the panel."""
        self.session = session
        self.live_running = True
        self.query_one(LiveTranscript).clear()
        self.query_one(LevelMeter).active = True
        self._live_source = source_name
        self._tick()

    @on(LevelMeasured)
    def _level(self, event: LevelMeasured) -> None:
        meter = self.query_one(LevelMeter)
        meter.rms_db, meter.peak_db = event.level.rms_db, event.level.peak_db
        meter.hold_db = self.peak_hold.update(event.level.peak_db, time.monotonic())
        meter.clipped = event.level.clipped or (meter.clipped and meter.hold_db > -1.0)

    @on(PartialReceived)
    def _partial(self, event: PartialReceived) -> None:
        self.query_one(LiveTranscript).set_partial(event.text)

    @on(FinalReceived)
    def _final(self, event: FinalReceived) -> None:
        self.query_one(LiveTranscript).add_final(event.text)

    @on(LiveNoticed)
    def _noticed(self, event: LiveNoticed) -> None:
        self.tui.tell(event.text, severity=event.severity)

    @on(LiveEnded)
    def _live_ended(self, event: LiveEnded) -> None:
        self.live_running = False
        self.query_one(LevelMeter).active = False
        self._tick()
        self.refresh_bindings()

    def _tick(self) -> None:
        """Refresh the timers: live clock and words per minute, running jobs' elapsed time."""
        title = self.query_one("#live-title", Label)
        session = self.session
        if session is not None and session.started_at is not None:
            clock = time.strftime("%M:%S", time.gmtime(session.audio_seconds))
            state = "live" if self.live_running else "ended"
            title.update(
                f"Live  ·  {state} {self._live_source}  ·  {clock}  ·  {session.words_per_minute:.0f} wpm"
            )
        elif not self.live_running:
            title.update(f"Live  ·  idle (space: {self.default_source}, f: file)")
        table = self.query_one(JobTable)
        for job in self.tui.batch.jobs.values():
            if job.state.active:
                table.show_job(job)
