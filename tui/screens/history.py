"""The kept comparisons: latency and WER over runs, a line per engine, and a table of runs."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label
from textual_plotext import PlotextPlot

from tui.core.history import Point, Run


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}s"


class HistoryScreen(Screen[None]):
    """Plots of the runs in order (x: run number), then every run in a table."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,h", "close", "Back", tooltip="Return to the previous screen"),
        Binding(
            "m",
            "next_configuration",
            "Matrix",
            tooltip="Plot one configuration of the kept matrix runs over time (again: the next)",
        ),
    ]

    def __init__(
        self, runs: list[Run], problems: list[str], matrix: dict[str, list[Point]] | None = None
    ) -> None:
        super().__init__()
        self.runs = runs
        self.problems = problems
        self.matrix = matrix or {}
        self.configuration: str | None = None
        """The matrix configuration plotted, or None for the two-sided runs."""

    def compose(self) -> ComposeResult:
        count = len(self.runs)
        skipped = f" · {len(self.problems)} unreadable file(s) skipped" if self.problems else ""
        yield Label(f"History  ·  {count} comparison(s) kept{skipped}", id="history-title")
        with Horizontal(id="history-plots"):
            with Vertical():
                yield PlotextPlot(id="history-latency")
            with Vertical():
                yield PlotextPlot(id="history-wer")
        yield DataTable(id="history-runs", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self._plot()
        table = self.query_one("#history-runs", DataTable)
        table.add_columns(
            "when",
            "file",
            "engine",
            "audio",
            "RT p50",
            "RT p95",
            "batch ÷ len",
            "WER batch",
            "WER RT",
        )
        for run in reversed(self.runs):  # newest first
            table.add_row(
                run.day,
                run.file,
                run.engine,
                f"{run.audio_s:.0f}s",
                _s(run.final_p50_s),
                _s(run.final_p95_s),
                f"{run.batch_ratio:.2f}×" if run.batch_ratio else "–",
                _pct(run.wer_batch),
                _pct(run.wer_realtime),
            )
        if not self.runs:
            table.add_row("no comparisons yet: c on a job, or sm-tui compare FILE", *[""] * 8)

    def _engines(self) -> dict[str, list[tuple[int, Run]]]:
        by_engine: dict[str, list[tuple[int, Run]]] = {}
        for number, run in enumerate(self.runs, 1):
            by_engine.setdefault(run.engine, []).append((number, run))
        return by_engine

    def _axes(self, plot: PlotextPlot, title: str) -> None:
        plt = plot.plt
        plt.title(title)
        plt.xlabel("run")
        count = len(self.runs)
        if count:
            step = max(1, count // 8)
            plt.xticks(list(range(1, count + 1, step)))

    def _label(self, engine: str, side: str = "") -> str:
        """``local tiny.en batch``: short enough for the legend."""
        name = engine.split(" · key")[0].replace("local engine · ", "local ")[:18]
        several = len(self._engines()) > 1
        return " ".join(part for part in (name if several else "", side) if part) or name

    def _plot_latency(self) -> None:
        plot = self.query_one("#history-latency", PlotextPlot)
        self._axes(plot, "RT final latency p95 (s)")
        for engine, runs in self._engines().items():
            points = [(n, r.final_p95_s) for n, r in runs if r.final_p95_s is not None]
            if points:
                plot.plt.plot(
                    [n for n, _ in points],
                    [v for _, v in points],
                    label=self._label(engine),
                    marker="braille",
                )

    def _plot_wer(self) -> None:
        plot = self.query_one("#history-wer", PlotextPlot)
        self._axes(plot, "WER %")
        for engine, runs in self._engines().items():
            for side in ("batch", "realtime"):
                points = [(n, _wer(r, side)) for n, r in runs]
                kept = [(n, v * 100) for n, v in points if v is not None]
                if kept:
                    plot.plt.plot(
                        [n for n, _ in kept],
                        [v for _, v in kept],
                        label=self._label(engine, side),
                        marker="braille",
                    )

    def _plot(self) -> None:
        for plot in self.query(PlotextPlot):
            plot.plt.clear_data()
        if self.configuration is None:
            self._plot_latency()
            self._plot_wer()
        else:
            self._plot_configuration(self.configuration)
        for plot in self.query(PlotextPlot):
            plot.refresh()

    def _plot_configuration(self, label: str) -> None:
        """One matrix configuration's latency and WER over the runs that measured it."""
        points = self.matrix[label]
        numbers = list(range(1, len(points) + 1))
        latency = self.query_one("#history-latency", PlotextPlot).plt
        latency.title(f"{label}: latency (s) over matrix runs")
        latency.xlabel("matrix run")
        for name, values in (
            ("p50", [p.latency_p50_s for p in points]),
            ("p95", [p.latency_p95_s for p in points]),
        ):
            kept = [(n, v) for n, v in zip(numbers, values, strict=True) if v is not None]
            if kept:
                latency.plot(
                    [n for n, _ in kept], [v for _, v in kept], label=name, marker="braille"
                )
        wer = self.query_one("#history-wer", PlotextPlot).plt
        wer.title(f"{label}: WER % over matrix runs")
        wer.xlabel("matrix run")
        kept = [(n, p.wer * 100) for n, p in zip(numbers, points, strict=True) if p.wer is not None]
        if kept:
            wer.plot([n for n, _ in kept], [v for _, v in kept], label="WER", marker="braille")

    def action_next_configuration(self) -> None:
        if not self.matrix:
            self.notify("no matrix runs kept yet: C on a job, or sm-tui compare FILE --model …")
            return
        labels = sorted(self.matrix)
        if self.configuration is None:
            self.configuration = labels[0]
        else:
            at = labels.index(self.configuration) + 1
            self.configuration = labels[at] if at < len(labels) else None
        self.notify(self.configuration or "the two-sided comparisons")
        self._plot()

    def action_close(self) -> None:
        self.dismiss()


def _wer(run: Run, side: str) -> float | None:
    if run.wer_batch is None and run.wer_realtime is None:
        return run.wer_between if side == "realtime" else None
    return run.wer_batch if side == "batch" else run.wer_realtime
