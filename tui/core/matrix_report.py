"""A comparison matrix as people read it: a table (the Pareto front starred), a scatter of
latency against WER, and the verdict; and the JSON ``--json`` writes."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

from rich.table import Table

from tui.core.matrix import Figures, pareto_front, verdict

FRONT = "★"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _spread(figures: Figures, name: str, value: str) -> str:
    spread = figures.spread.get(name)
    return f"{value} ({spread[0]:g}–{spread[1]:g})" if spread else value


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}s"


def matrix_table(figures: Sequence[Figures], title: str = "") -> Table:
    """One row per configuration: latency p50 and p95, first partial, WER, compute, cost,
    errors (seconds, with the least–most of repeated runs)."""
    front = {id(f) for f in pareto_front(figures)}
    failed = any(f.errors for f in figures)  # the errors column only when there are some
    table = Table(title=title or None)
    for name, justify in (
        ("#", "right"),
        ("configuration", "left"),
        ("p50", "right"),
        ("p95", "right"),
        ("partial", "right"),
        ("WER", "right"),
        ("compute", "right"),
        ("cost", "right"),
        *([("errors", "left")] if failed else []),
    ):
        # Figures never wrap (a cut figure misleads); the label and the errors do.
        wraps = name in ("configuration", "errors")
        table.add_column(
            name,
            justify=justify,  # type: ignore[arg-type]
            no_wrap=not wraps,
            min_width=16 if name == "configuration" else None,
        )
    for index, f in enumerate(figures, 1):
        wer = "–" if f.wer is None else f"{f.wer * 100:.1f}%"
        table.add_row(
            f"{index}{FRONT if id(f) in front else ''}",
            f.configuration.label,
            _spread(f, "latency_p50_s", _s(f.latency_p50_s)),
            _spread(f, "latency_p95_s", _s(f.latency_p95_s)),
            _s(f.first_partial_s),
            _spread(f, "wer", wer),
            _s(f.compute_s),
            "–" if f.cost_usd is None else f"${f.cost_usd:.4f}",
            *(["; ".join(f.errors)[:80]] if failed else []),
        )
    return table


def draw(plt: Any, figures: Sequence[Figures]) -> None:
    """Latency p50 (x) against WER (y) on a plotext figure (the CLI's, or a ``PlotextPlot``'s):
    a point per configuration numbered as in the table, the Pareto front joined by a line."""
    placed = [(index, f) for index, f in enumerate(figures, 1) if f.ok]
    if placed:
        plt.scatter(
            [f.latency_p50_s for _, f in placed],
            [100 * (f.wer or 0.0) for _, f in placed],
            marker="dot",
            label="configuration",
        )
        for index, f in placed:
            plt.text(str(index), f.latency_p50_s, 100 * (f.wer or 0.0))
        front = pareto_front(figures)
        if len(front) > 1:
            plt.plot(
                [f.latency_p50_s for f in front],
                [100 * (f.wer or 0.0) for f in front],
                label=f"Pareto front ({FRONT})",
            )
    plt.title("latency p50 (s) against WER (%)")
    plt.xlabel("latency p50 (s)")
    plt.ylabel("WER %")


def matrix_plot(
    figures: Sequence[Figures], width: int = 80, height: int = 18, colour: bool = True
) -> str:
    """``draw`` as text for a terminal (without colour codes when ``colour`` is False)."""
    import plotext as plt

    plt.clear_figure()
    plt.plotsize(width, height)
    if not colour:
        plt.theme("clear")
    draw(plt, figures)
    built: str = plt.build()
    return built if colour else ANSI.sub("", built)


def matrix_json(
    figures: Sequence[Figures],
    files: Sequence[dict[str, Any]],
    command: str,
    finished: bool,
    within_points: float,
) -> dict[str, Any]:
    """The body ``--json`` writes and the history keeps."""
    return {
        "kind": "matrix",
        "measured": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": command,
        "finished": finished,
        "files": list(files),
        "configurations": [f.to_json() for f in figures],
        "pareto_front": [f.configuration.label for f in pareto_front(figures)],
        "verdict": verdict(figures, within_points),
    }
