"""Comparing more than two sides of one file: the sides are listed first (add one with ``a``,
drop one with ``d``), then ``s`` runs them one after another, and the screen shows each
configuration's figures, latency against WER with the Pareto front, and the verdict, as
``sm-tui compare --model … --max-delay …`` prints them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Label, Static
from textual_plotext import PlotextPlot

from tui.core.matrix import Configuration, MatrixInputError, parse_side, verdict

if TYPE_CHECKING:
    from tui.core.matrix_run import Matrix
    from tui.core.target import EngineTarget
    from tui.settings import Settings


class MatrixScreen(Screen[None]):
    """The sides of a comparison, then their figures.

    Args:
        path: The audio file.
        sides: The sides to start with (the two of ``c``).
        target: The dashboard's engine; the sides on ``local`` (or on its kind) use it.
        settings: Prices, language and the key for other targets.
        reference: The reference transcript, if one is known.
        history: The folder matrix runs are kept in.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back", tooltip="Return to the dashboard (stops a run)"),
        Binding("a", "add_side", "Add side", tooltip="Add a side: mode, model, max_delay, target"),
        Binding("d", "drop_side", "Drop side", tooltip="Drop the highlighted side"),
        Binding("s", "start", "Start", tooltip="Run every side, one after another"),
        Binding("h", "app.history", "History", tooltip="Latency and WER over kept comparisons"),
    ]

    def __init__(
        self,
        path: Path,
        sides: list[Configuration],
        target: EngineTarget,
        settings: Settings,
        reference: str | None,
        history: Path | None,
    ) -> None:
        super().__init__()
        self.path, self.sides, self.target, self.settings = path, sides, target, settings
        self.reference, self.history = reference, history
        self.matrix: Matrix | None = None
        self.running = False

    def compose(self) -> ComposeResult:
        yield Label(
            f"Comparing {self.path.name}: a add a side · d drop · s start", id="matrix-title"
        )
        yield DataTable(id="matrix-sides", cursor_type="row", zebra_stripes=True)
        side = Input(
            placeholder="realtime enhanced 2 local · batch standard speechmatics · rt standard 0.7",
            id="matrix-side",
        )
        side.display = False
        yield side
        with VerticalScroll(id="matrix-results"):
            yield Static("", id="matrix-progress")
            yield Static("", id="matrix-figures")
            plot = PlotextPlot(id="matrix-plot")
            plot.display = False
            yield plot
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one("#matrix-sides", DataTable)
        table.add_columns("#", "mode", "model", "max_delay", "target")
        self._show_sides()
        table.focus()

    def _show_sides(self) -> None:
        table = self.query_one("#matrix-sides", DataTable)
        table.clear()
        for index, side in enumerate(self.sides, 1):
            delay = "–" if side.max_delay is None else f"{side.max_delay:g} s"
            table.add_row(str(index), side.mode, side.model, delay, side.target)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("add_side", "drop_side", "start"):
            return not self.running and self.matrix is None
        return True

    def action_add_side(self) -> None:
        box = self.query_one("#matrix-side", Input)
        box.display = True
        box.focus()

    @on(Input.Submitted, "#matrix-side")
    def _side_given(self, event: Input.Submitted) -> None:
        box = self.query_one("#matrix-side", Input)
        try:
            side = parse_side(event.value, self.settings.max_delay, self._default_target)
        except MatrixInputError as exc:
            self.notify(str(exc), severity="error", timeout=8)
            return
        box.display, box.value = False, ""
        if side in self.sides:
            self.notify(f"{side.label} is already a side", severity="warning")
        else:
            self.sides.append(side)
            self._show_sides()
        self.query_one("#matrix-sides", DataTable).focus()

    @property
    def _default_target(self) -> str:
        return "local" if self.target.local else "speechmatics"

    def action_drop_side(self) -> None:
        table = self.query_one("#matrix-sides", DataTable)
        if len(self.sides) > 1 and 0 <= table.cursor_row < len(self.sides):
            del self.sides[table.cursor_row]
            self._show_sides()
        else:
            self.notify("a comparison keeps at least one side", severity="warning")

    def action_start(self) -> None:
        if self.query_one("#matrix-side", Input).display:
            return
        self.running = True
        self.refresh_bindings()
        self.run_matrix()

    @work(group="matrix", description="comparison matrix", exit_on_error=False)
    async def run_matrix(self) -> None:
        import asyncio

        from tui.core.compare import load_pcm
        from tui.core.history import keep_matrix
        from tui.core.matrix_report import matrix_json
        from tui.core.matrix_run import FileAudio, Matrix, open_targets, run_matrix
        from tui.core.target import OpenedTarget

        progress = self.query_one("#matrix-progress", Static)
        try:
            pcm = await asyncio.to_thread(load_pcm, self.path)
            matrix = self.matrix = Matrix(
                list(self.sides), [FileAudio(self.path, pcm, self.reference)]
            )
            wanted = list(dict.fromkeys(side.target for side in self.sides))
            ours = self._default_target
            opened = await open_targets(
                [t for t in wanted if t != ours], self.settings, progress.update
            )
            if ours in wanted:
                opened[ours] = OpenedTarget(self.target)  # the dashboard's own, not closed here

            def say(text: str) -> None:
                progress.update(text)
                self._show_figures()

            try:
                await run_matrix(matrix, opened, self.settings, 1, say)
            finally:
                for name, target in opened.items():
                    if name != ours:
                        await asyncio.to_thread(target.close)
        except MatrixInputError as exc:
            progress.update(Text(f"{exc}; nothing was run", style="red"))
            return
        finally:
            self.running = False
        progress.update("done")
        self._show_figures()
        if self.history is not None:
            figures = matrix.figures(self.settings)
            files = [{"file": self.path.name, "audio_s": round(matrix.files[0].audio_s, 3)}]
            body = matrix_json(figures, files, "dashboard", True, 2.0)
            try:
                keep_matrix(body, self.history)
            except OSError as exc:
                self.notify(f"could not keep this comparison: {exc}", severity="warning")

    def _show_figures(self) -> None:
        from tui.core.matrix_report import draw, matrix_table

        if self.matrix is None:
            return
        figures = self.matrix.figures(self.settings)
        if not figures:
            return
        lines = Text("\n".join(verdict(figures)))
        table = matrix_table(figures, "★ on the Pareto front")
        self.query_one("#matrix-figures", Static).update(Group(table, lines))
        plot = self.query_one("#matrix-plot", PlotextPlot)
        plot.display = any(f.ok for f in figures)
        plot.plt.clear_data()
        draw(plot.plt, figures)
        plot.refresh()

    def action_close(self) -> None:
        box = self.query_one("#matrix-side", Input)
        if box.display:
            box.display, box.value = False, ""
            self.query_one("#matrix-sides", DataTable).focus()
            return
        self.workers.cancel_group(self, "matrix")
        self.dismiss()
