"""The batch queue: one row per job, in five columns that fit the 68 cells a panel has at 120
columns, a running job's progress included."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from tui.core.batch import BatchJob, JobState
from tui.core.progress import Progress

COLUMNS = ("File", "Audio", "Status", "Time", "RTF")
NAME_CELLS = 20  # longer names end in … (the detail pane has the whole path)
STATE_STYLES = {
    JobState.QUEUED: "dim",
    JobState.UPLOADING: "cyan",
    JobState.RUNNING: "yellow",
    JobState.DONE: "green",
    JobState.FAILED: "bold red",
    JobState.CANCELLED: "dim",
}


def human_size(size: int) -> str:
    """1.2 MB style."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def seconds(value: float | None) -> str:
    """4.2s, 3m05s, or a dash."""
    if value is None:
        return "–"
    if value < 60:
        return f"{value:.1f}s"
    return f"{int(value // 60)}m{int(value % 60):02d}s"


def short(name: str, cells: int = NAME_CELLS) -> str:
    """A name cut to ``cells`` with an ellipsis."""
    return name if len(name) <= cells else name[: cells - 1] + "…"


class JobTable(DataTable[str | Text]):
    """Shows jobs; knows nothing of how they run. Failure reasons are in the detail pane."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for column in COLUMNS:
            self.add_column(column, key=column)

    def show_job(self, job: BatchJob, progress: Progress | None = None) -> None:
        """Add or refresh a job's row (with the running job's estimate, if there is one)."""
        key = str(job.id)
        status = Text(job.state.value, style=STATE_STYLES[job.state])
        if progress is not None:
            status.append(f" {progress.short()}", style="yellow")
        rtf = job.real_time_factor
        cells: list[str | Text] = [
            short(job.name),
            seconds(job.duration),
            status,
            seconds(job.elapsed()),
            f"{rtf:.2f}" if rtf is not None else "–",
        ]
        if key in self.rows:
            for column, value in zip(COLUMNS, cells, strict=True):
                self.update_cell(key, column, value, update_width=True)
        else:
            self.add_row(*cells, key=key)

    def remove_job(self, job_id: int) -> None:
        """Drop a job's row."""
        if str(job_id) in self.rows:
            self.remove_row(str(job_id))

    @property
    def selected_job_id(self) -> int | None:
        """The job under the cursor."""
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return int(key.value) if key.value is not None else None
