"""The comparison screen: one file through batch and real-time at once, then the figures."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.console import Group
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from tui.core.target import EngineTarget

if TYPE_CHECKING:
    from tui.core.compare import ComparisonSummary, TextKind
from tui.widgets.live_transcript import LiveTranscript


@dataclass
class CompareTextArrived(Message):
    """Text from one side of the comparison: kind is partial, final or batch."""

    kind: TextKind
    text: str


class CompareScreen(Screen[None]):
    """Both transcripts as they arrive; the measured table, a latency sparkline and a diff."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back", tooltip="Return to the dashboard"),
    ]

    def __init__(
        self, path: Path, target: EngineTarget, reference: str | None, max_delay: float
    ) -> None:
        super().__init__()
        self.path, self.target, self.reference, self.max_delay = path, target, reference, max_delay
        self.summary: ComparisonSummary | None = None

    def compose(self) -> ComposeResult:
        yield Label(
            f"Comparing {self.path.name}: batch and real-time (paced at 1x)", id="compare-title"
        )
        with Horizontal(id="compare-sides"):
            with Vertical(classes="panel"):
                yield Label("Batch", classes="panel-title")
                yield Static("uploading…", id="compare-batch")
            with Vertical(classes="panel"):
                yield Label("Real-time", classes="panel-title")
                yield LiveTranscript(id="compare-realtime", placeholder="streaming…")
        with VerticalScroll(id="compare-results"):
            yield Static("measuring…", id="compare-figures")
        yield Footer()

    def on_mount(self) -> None:
        self.run_comparison()

    @work(group="compare", description="comparison", exit_on_error=False)
    async def run_comparison(self) -> None:
        from tui.core.compare import compare

        result = await compare(
            self.target, self.path, self.reference, self.max_delay,
            on_text=lambda kind, text: self.post_message(CompareTextArrived(kind, text)),
        )  # fmt: skip
        summary = self.summary = result.summary()
        self.show_figures(summary)

    def on_compare_text_arrived(self, event: CompareTextArrived) -> None:
        realtime = self.query_one("#compare-realtime", LiveTranscript)
        if event.kind == "partial":
            realtime.set_partial(event.text)
        elif event.kind == "final":
            realtime.add_final(event.text)
        else:
            self.query_one("#compare-batch", Static).update(event.text)

    def show_figures(self, summary: ComparisonSummary) -> None:
        """The measured table, the guide's table, the sparkline and the diff."""
        from tui.core.report import diff_text, figures_table, guide_table, sparkline

        width = max(20, self.size.width - 50)  # room for the label and the "max" note
        self.query_one("#compare-figures", Static).update(
            Group(
                figures_table(summary),
                sparkline(summary, width=width),
                diff_text(summary.batch.transcript, summary.realtime.transcript),
                guide_table(summary),
            )
        )

    def action_close(self) -> None:
        self.dismiss()
