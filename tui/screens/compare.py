"""The comparison screen: one file through batch and real-time at once, then the figures.

The figures end in a verdict computed from them. A reference transcript (a ``.txt`` beside the
audio, or typed or pasted here with ``r``) adds WER against it; every comparison is kept in the
data folder, and ``h`` shows the history of them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static

from tui.core.progress import ASSUMED_RTF, clock
from tui.core.target import EngineTarget
from tui.widgets.live_transcript import LiveTranscript

if TYPE_CHECKING:
    from tui.core.comparison import Comparison, ComparisonSummary, TextKind


@dataclass
class CompareTextArrived(Message):
    """Text from one side of the comparison: kind is partial, final, batch or status."""

    kind: TextKind
    text: str


class CompareScreen(Screen[None]):
    """Both transcripts as they arrive; then the verdict, the figures, a sparkline and a diff.

    Args:
        path: The audio file.
        target: The engine both sides use.
        reference: The reference transcript, if one is known.
        max_delay: Real-time ``max_delay``.
        history: The folder every comparison is kept in.
        audio_s: The file's length, for the batch side's estimate.
        rtf: The batch real-time factor observed on this engine, if any.
        result: A comparison already made, to show rather than run.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back", tooltip="Return to the dashboard (stops a run)"),
        Binding(
            "r",
            "reference",
            "Reference",
            tooltip="Type or paste the reference transcript, or a .txt file's path",
        ),
        Binding("h", "app.history", "History", tooltip="Latency and WER over kept comparisons"),
    ]

    def __init__(
        self,
        path: Path,
        target: EngineTarget,
        reference: str | None,
        max_delay: float,
        history: Path | None = None,
        audio_s: float | None = None,
        rtf: float | None = None,
        result: Comparison | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title or f"Comparing {path.name}: batch and real-time (paced at 1x)"
        self.path, self.target, self.reference, self.max_delay = path, target, reference, max_delay
        self.history, self.audio_s, self.rtf = history, audio_s, rtf
        self.result = result
        self.summary: ComparisonSummary | None = None
        self.kept: Path | None = None
        self._transcribing_since: float | None = None

    def compose(self) -> ComposeResult:
        yield Label(self.title_text, id="compare-title")
        with Horizontal(id="compare-sides"):
            with Vertical(classes="panel"):
                yield Label("Batch", classes="panel-title")
                yield Static("uploading…", id="compare-batch")
            with Vertical(classes="panel"):
                yield Label("Real-time", classes="panel-title")
                yield LiveTranscript(id="compare-realtime", placeholder="streaming…")
        reference = Input(
            placeholder="the reference transcript, or the path of a .txt holding it",
            id="compare-reference",
        )
        reference.display = False
        yield reference
        with VerticalScroll(id="compare-results"):
            yield Static("measuring…", id="compare-figures")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        if self.result is not None:
            batch, realtime = self.result.batch, self.result.realtime
            self.query_one("#compare-batch", Static).update(batch.transcript or str(batch.error))
            self.query_one("#compare-realtime", LiveTranscript).add_final(realtime.transcript)
            self._settle(self.result)
            return
        self.set_interval(0.5, self._show_batch_progress)
        self.run_comparison()

    @work(group="compare", description="comparison", exit_on_error=False)
    async def run_comparison(self) -> None:
        from tui.core.compare import compare
        from tui.shared.audio import AudioDecodeError

        try:
            result = self.result = await compare(
                self.target,
                self.path,
                self.reference,
                self.max_delay,
                on_text=lambda kind, text: self.post_message(CompareTextArrived(kind, text)),
            )
        except AudioDecodeError as exc:  # not audio, or gone: said, not "measuring…" for ever
            said = f"{self.path.name} is not audio: {exc}. Compare a file that plays."
            self.query_one("#compare-batch", Static).update(said)
            self.query_one("#compare-figures", Static).update(Text(said, style="red"))
            return
        # After the texts still queued (the batch side's among them), so its progress line
        # never stands beside a verdict.
        self.call_later(self._settle, result)

    def _settle(self, result: Comparison) -> None:
        """Figures from the result; kept in the history (again, when the reference changes)."""
        from tui.core.history import keep

        summary = self.summary = result.summary()
        if self.history is not None:
            try:
                self.kept = keep(summary, self.history, path=self.kept)
            except OSError as exc:
                self.notify(f"could not keep this comparison: {exc}", severity="warning")
        self.show_figures(summary)

    def on_compare_text_arrived(self, event: CompareTextArrived) -> None:
        realtime = self.query_one("#compare-realtime", LiveTranscript)
        if event.kind == "partial":
            realtime.set_partial(event.text)
        elif event.kind == "final":
            realtime.add_final(event.text)
        elif event.kind == "status":
            self._transcribing_since = time.monotonic()
            self._show_batch_progress()
        else:
            self._transcribing_since = None
            self.query_one("#compare-batch", Static).update(event.text)

    def _show_batch_progress(self) -> None:
        """``transcribing · 12s · ~40%``: the estimate from the audio's length and a factor."""
        since = self._transcribing_since
        if since is None:
            return
        elapsed = time.monotonic() - since
        text = f"transcribing · {clock(elapsed)}"
        if self.audio_s:
            expected = max(1.0, self.audio_s * (self.rtf if self.rtf is not None else ASSUMED_RTF))
            text += f" · ~{min(0.99, elapsed / expected):.0%} (estimated)"
        self.query_one("#compare-batch", Static).update(Text(text, style="yellow"))

    def show_figures(self, summary: ComparisonSummary) -> None:
        """The verdict, the measured table, the sparkline, the diff and the guide's table."""
        from tui.core.report import report

        width = max(20, self.size.width - 50)  # room for the label and the "max" note
        hint = "" if summary.reference else "  (r: give a reference transcript for WER)"
        self.query_one("#compare-figures", Static).update(report(summary, width, hint))

    def action_reference(self) -> None:
        box = self.query_one("#compare-reference", Input)
        box.display = True
        box.focus()

    @on(Input.Submitted, "#compare-reference")
    def _reference_given(self, event: Input.Submitted) -> None:
        from tui.core.references import reference_text

        box = self.query_one("#compare-reference", Input)
        box.display, box.value = False, ""
        try:
            reference = reference_text(event.value.strip()) or None
        except (OSError, UnicodeDecodeError) as exc:
            self.notify(f"could not read the reference: {exc}", severity="error")
            return
        self.reference = reference
        if self.result is not None:
            self.result.reference = reference
            self._settle(self.result)
        else:
            self.notify("reference kept: WER is shown when the comparison ends")

    def action_close(self) -> None:
        box = self.query_one("#compare-reference", Input)
        if box.display:
            box.display, box.value = False, ""
            return
        self.dismiss()
