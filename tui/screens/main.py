"""The dashboard: the batch queue beside the live transcript.

The screen shows what the app hands it (jobs, live text, levels, the engine's status) and asks
for things with messages (``FilesSubmitted``, ``JobActionPressed``, ``LiveActionPressed``); it
never imports the app or a controller.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, TextArea

from tui.core.batch import BatchJob, JobState
from tui.core.levels import Level, PeakHold
from tui.core.progress import estimate, observed_rtf
from tui.messages import EngineState
from tui.widgets.job_table import JobTable, human_size, seconds
from tui.widgets.level_meter import LevelMeter
from tui.widgets.live_transcript import LiveTranscript
from tui.widgets.path_input import PathInput, split_paths
from tui.widgets.status_bar import StatusBar

NARROW = 120  # below this many columns the panels stack
SHOWN = 6  # entities listed in the job pane; the rest are counted
JobAction = Literal["export", "retry", "cancel", "delete", "compare", "compare_sides"]
LiveAction = Literal["toggle", "save", "pick_microphone", "compare"]


class MainScreen(Screen[None]):
    """Batch queue, live panel, status line and footer."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add_files", "Add", tooltip="Queue audio files: type or paste their paths"),
        Binding("space", "toggle_live", "Live", tooltip="Start or stop the live session"),
        Binding("f", "live_file", "File", show=False, tooltip="Play a file live, at real speed"),
        Binding("m", "pick_microphone", "Mic", show=False, tooltip="Choose the input device"),
        Binding("e", "export_job", "Export", tooltip="Write the job as txt, srt, vtt and json-v2"),
        Binding("r", "retry_job", "Retry", tooltip="Queue a failed or cancelled job again"),
        Binding("x", "cancel_job", "Cancel", tooltip="Stop a queued or running job"),
        Binding(
            "d",
            "delete_job",
            "Del",
            show=False,
            tooltip="Remove the job from the queue (asks first)",
        ),
        Binding(
            "s",
            "save_live",
            "Save",
            show=False,
            tooltip="Save the live transcript (txt, srt, vtt, json) and its audio",
        ),
        Binding(
            "c",
            "compare_job",
            "Compare",
            tooltip="Batch vs real-time on the selected file, measured; in the live panel, "
            "batch on the audio of the session that ended",
        ),
        Binding(
            "C",
            "compare_sides",
            "More sides",
            show=False,
            tooltip="Compare the selected file on more sides: models, max_delay, engines",
        ),
        Binding("z", "zoom", "Zoom", tooltip="Give the focused panel the whole screen, or share"),
        Binding(
            "tab",
            "app.focus_next",
            "Panel",
            show=False,
            tooltip="Move to the next panel (shift+tab: back)",
        ),
        Binding(
            "escape",
            "back",
            "Back",
            show=False,
            tooltip="Close the path box, or leave the zoomed panel",
        ),
    ]
    HELP_GROUPS: ClassVar[dict[str, str]] = {
        "add_files": "Batch queue",
        "export_job": "Batch queue",
        "retry_job": "Batch queue",
        "cancel_job": "Batch queue",
        "delete_job": "Batch queue",
        "compare_job": "Batch queue",
        "compare_sides": "Batch queue",
        "toggle_live": "Live panel",
        "live_file": "Live panel",
        "pick_microphone": "Live panel",
        "save_live": "Live panel",
    }
    """Which panel each key acts on (the rest work everywhere on this screen)."""

    @dataclass
    class FilesSubmitted(Message):
        """The user asked for files to be queued."""

        paths: list[Path]

    @dataclass
    class LiveFileSubmitted(Message):
        """The user asked for a file to be played live."""

        path: Path

    @dataclass
    class JobActionPressed(Message):
        """The user asked for something to be done to a job."""

        action: JobAction
        job: BatchJob

    @dataclass
    class LiveActionPressed(Message):
        """The user asked to start or stop, save, or choose the microphone."""

        action: LiveAction

    input_mode: reactive[str] = reactive("batch")
    """What the path input adds to: 'batch' queues files, 'live' plays one live."""
    live_running: reactive[bool] = reactive(False)
    """Whether a live session is running."""
    live_comparable: reactive[bool] = reactive(False)
    """Whether a live session ended with its audio kept (``c`` in the live panel compares it)."""
    engine_ready: reactive[bool] = reactive(False)
    """Whether the engine takes work (compare needs it)."""
    default_source: reactive[str] = reactive("microphone")
    """What space starts: the microphone, stdin, or the --live file."""
    zoomed: reactive[str] = reactive("")
    """The panel that has the whole screen: "batch", "live", or "" when they share it."""

    def __init__(self) -> None:
        super().__init__()
        self.jobs: dict[int, BatchJob] = {}
        """The jobs shown, as the app handed them down."""
        self.peak_hold = PeakHold()
        self._live_source = ""
        self._live_audio_s: float | None = None
        self._live_wpm = 0.0
        self._live_lag = (0.0, 0.0)
        self._live_compute: float | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Horizontal(id="panels"):
            with Vertical(id="batch-panel", classes="panel"):
                yield JobTable(id="jobs")
                yield PathInput(id="path-input")
                yield TextArea(id="job-transcript", read_only=True, soft_wrap=True)
            with Vertical(id="live-panel", classes="panel"):
                yield LevelMeter(id="meter")
                yield LiveTranscript(id="live-transcript")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#path-input").display = False
        self.query_one("#job-transcript", TextArea).text = "Select a job to see its transcript."
        self.set_interval(0.5, self._tick_jobs)
        self._show_live_title()  # whole from the first frame, not after the first level
        self._show_queue_title()
        self.query_one(JobTable).focus()

    def watch_default_source(self) -> None:
        if self.is_mounted:
            self._show_live_title()

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
            if self._live_focused():
                return self.live_comparable and not self.live_running and self.engine_ready
            return job is not None and job.path.is_file() and self.engine_ready
        if action == "live_file":
            return not self.live_running
        return True

    def watch_engine_ready(self) -> None:
        self.refresh_bindings()

    # --- what the app hands down --------------------------------------------------------------

    def show_engine(self, text: str, state: EngineState) -> None:
        """The status line's engine part."""
        bar = self.query_one(StatusBar)
        bar.engine, bar.state = text, state
        self.engine_ready = state == "ready"

    def show_notice(self, text: str, severity: str = "information") -> None:
        """The status line's latest notice, whole."""
        bar = self.query_one(StatusBar)
        bar.notice, bar.severity = text, severity

    def show_job(self, job: BatchJob) -> None:
        """Add or refresh a job's row, and the transcript pane if it is selected."""
        self.jobs[job.id] = job
        self._show_row(job)
        self._show_queue_title()
        if self.selected_job is job:
            self.show_selected_transcript()
        self.refresh_bindings()

    def forget_job(self, job_id: int) -> None:
        """Drop a deleted job's row."""
        self.jobs.pop(job_id, None)
        self.query_one(JobTable).remove_job(job_id)
        self._show_queue_title()
        self.show_selected_transcript()
        self.refresh_bindings()

    def live_started(self, source: str) -> None:
        """A session began: reset the panel."""
        self.live_running = True
        self._live_source, self._live_audio_s, self._live_wpm = source, 0.0, 0.0
        self.query_one(LiveTranscript).clear()
        self.query_one(LevelMeter).active = True
        self._show_live_title()

    def show_level(
        self,
        level: Level,
        audio_s: float,
        words_per_minute: float,
        behind_s: float = 0.0,
        backlog_s: float = 0.0,
        compute_ratio: float | None = None,
    ) -> None:
        """The newest block's level, the session's clock, and how far the engine trails."""
        meter = self.query_one(LevelMeter)
        meter.rms_db, meter.peak_db = level.rms_db, level.peak_db
        meter.hold_db = self.peak_hold.update(level.peak_db, time.monotonic())
        meter.clipped = level.clipped or (meter.clipped and meter.hold_db > -1.0)
        self._live_audio_s, self._live_wpm = audio_s, words_per_minute
        self._live_lag = (behind_s, backlog_s)
        self._live_compute = compute_ratio
        self._show_live_title()

    def show_partial(self, text: str) -> None:
        """The live partial."""
        self.query_one(LiveTranscript).set_partial(text)

    def add_final(self, text: str) -> None:
        """Live text that became final."""
        self.query_one(LiveTranscript).add_final(text)

    def live_ended(self) -> None:
        """The session ended."""
        self.live_running = False
        self.query_one(LevelMeter).active = False
        self._show_live_title()
        self.refresh_bindings()

    # --- batch --------------------------------------------------------------------------------

    @property
    def selected_job(self) -> BatchJob | None:
        """The job under the table's cursor."""
        job_id = self.query_one(JobTable).selected_job_id
        return self.jobs.get(job_id) if job_id is not None else None

    def show_selected_transcript(self) -> None:
        """Show the selected job's transcript, or why there is none."""
        job = self.selected_job
        pane = self.query_one("#job-transcript", TextArea)
        if job is None:
            pane.text = "Press a to add audio files (? lists every key)."
            return
        size = f" · {human_size(job.size)}" if job.size else ""
        head = f"{job.path}{size} · {seconds(job.duration)} of audio"
        by = f"\n{job.engine}" if job.engine else ""  # where, and on which model
        if job.state == JobState.DONE:
            notice = "".join(f"\n⚠ {line}" for line in job.notice.splitlines())
            words = len(job.text.split())
            entities = job.entities
            found = "".join(f"\n◆ {written} ({said})" for written, said in entities[:SHOWN])
            found += f"\n◆ and {len(entities) - SHOWN} more" if len(entities) > SHOWN else ""
            insights = "".join(f"\n{line}" for line in job.insights)
            pane.text = f"{head} · {words} words{by}{notice}{found}{insights}\n\n{job.text}"
        elif job.error:
            pane.text = f"{head}{by}\n\n{job.state.value}: {job.error}"
        else:
            progress = estimate(job, observed_rtf(self.jobs.values(), job.engine))
            how = f" {progress.describe()} ({progress.basis})" if progress else "…"
            pane.text = f"{head}{by}\n\n{job.state.value}{how}"

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

    def action_back(self) -> None:
        """Escape: close the path box, else leave the zoomed panel."""
        if self.query_one("#path-input").display:
            self.action_leave_input()
        elif self.zoomed:
            self.zoomed = ""

    def action_zoom(self) -> None:
        """Zoom the panel that has the focus, or share the screen again."""
        if self.zoomed:
            self.zoomed = ""
            return
        live = self.query_one("#live-panel")
        focused = self.focused
        in_live = focused is not None and live in focused.ancestors_with_self
        self.zoomed = "live" if in_live else "batch"

    def watch_zoomed(self, zoomed: str) -> None:
        self.set_class(zoomed == "batch", "zoom-batch")
        self.set_class(zoomed == "live", "zoom-live")
        if zoomed == "live":
            self.query_one(LiveTranscript).focus()
        elif zoomed == "batch":
            self.query_one(JobTable).focus()

    @on(Input.Submitted, "#path-input")
    def _paths_submitted(self, event: Input.Submitted) -> None:
        paths = split_paths(event.value)
        self.action_leave_input()
        if not paths:
            return
        if self.input_mode == "live":
            self.post_message(self.LiveFileSubmitted(paths[0]))
        else:
            self.post_message(self.FilesSubmitted(paths))

    def on_paste(self, event: object) -> None:
        """Pasting paths anywhere on the screen queues them."""
        text = getattr(event, "text", "")
        if text and not self.query_one("#path-input").has_focus:
            self.post_message(self.FilesSubmitted(split_paths(text)))

    def _job_action(self, action: JobAction) -> None:
        if (job := self.selected_job) is not None:
            self.post_message(self.JobActionPressed(action, job))

    def action_export_job(self) -> None:
        self._job_action("export")

    def action_compare_job(self) -> None:
        if self._live_focused():
            self.post_message(self.LiveActionPressed("compare"))
        else:
            self._job_action("compare")

    def action_compare_sides(self) -> None:
        self._job_action("compare_sides")

    def _live_focused(self) -> bool:
        """Whether the focus is in the live panel (the keys then act on the live session)."""
        focused = self.focused
        if focused is None:
            return False
        panel = self.query_one("#live-panel")
        return focused is panel or panel in focused.ancestors

    def action_retry_job(self) -> None:
        self._job_action("retry")

    def action_cancel_job(self) -> None:
        self._job_action("cancel")

    def action_delete_job(self) -> None:
        self._job_action("delete")

    # --- live ---------------------------------------------------------------------------------

    def action_pick_microphone(self) -> None:
        self.post_message(self.LiveActionPressed("pick_microphone"))

    def action_toggle_live(self) -> None:
        self.post_message(self.LiveActionPressed("toggle"))

    def action_save_live(self) -> None:
        self.post_message(self.LiveActionPressed("save"))

    def _show_queue_title(self) -> None:
        counts: dict[str, int] = {}
        for job in self.jobs.values():
            counts[job.state.value] = counts.get(job.state.value, 0) + 1
        said = " ".join(f"{n} {state}" for state, n in counts.items())
        self.query_one("#batch-panel").border_title = (
            f"Batch queue · {said}" if said else ("Batch queue")
        )

    def _show_live_title(self) -> None:
        panel = self.query_one("#live-panel")
        if self._live_audio_s is not None:
            clock = time.strftime("%M:%S", time.gmtime(self._live_audio_s))
            state = "live" if self.live_running else "ended"
            behind, backlog = self._live_lag
            parts = [f"Live · {state} {self._live_source}", clock]
            if not (self.live_running and self.has_class("narrow")):  # 80 columns: lag first
                parts.append(f"{self._live_wpm:.0f} wpm")
            if self.live_running:
                parts.append(f"lag {behind:.1f}s, {backlog:.1f}s unfinal")
                if self._live_compute is not None:
                    parts.append(f"cpu {self._live_compute:.2f}×")
            text = " · ".join(parts)
        else:
            text = f"Live · idle (space: {self.default_source}, f: file)"
        if panel.border_title != text:
            panel.border_title = text

    def _show_row(self, job: BatchJob) -> None:
        progress = estimate(job, observed_rtf(self.jobs.values(), job.engine))
        self.query_one(JobTable).show_job(job, progress)

    def _tick_jobs(self) -> None:
        """Running jobs' elapsed time and estimates move on."""
        for job in self.jobs.values():
            if job.state.active:
                self._show_row(job)
        selected = self.selected_job
        if selected is not None and selected.state.active:
            self.show_selected_transcript()
