"""Comparison reports as Rich renderables: figures, the guide's table, a sparkline, a diff."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from tui.core.comparison import ComparisonSummary

BARS = "▁▂▃▄▅▆▇█"


def _s(value: float | None, unit: str = "s") -> str:
    return "–" if value is None else f"{value:.2f}{unit}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def figures_table(summary: ComparisonSummary) -> Table:
    """Every measured figure, batch and real-time side by side."""
    batch, rt, wer = summary.batch, summary.realtime, summary.wer
    table = Table(title=f"{summary.file} · {summary.audio_s:.1f}s of audio · {summary.engine}")
    table.add_column("measure")
    table.add_column("batch", justify="right")
    table.add_column("real-time", justify="right")
    ratio = batch.turnaround_ratio
    table.add_row("turnaround (submit → transcript)", _s(batch.turnaround_s), "–")
    table.add_row("  ÷ audio length", f"{ratio:.2f}×" if ratio is not None else "–", "–")
    table.add_row("time to first partial", "–", _s(rt.first_partial_s))
    table.add_row(
        "partial lag p50 / p95",
        "–",
        f"{_s(rt.partial_lag_p50_s)} / {_s(rt.partial_lag_p95_s)}",
    )
    table.add_row(
        "final-word latency p50 / p95 / max",
        "–",
        f"{_s(rt.final_latency_p50_s)} / {_s(rt.final_latency_p95_s)} / {_s(rt.final_latency_max_s)}",
    )
    table.add_row("engine behind the audio (max)", "–", _s(rt.behind_max_s))
    table.add_row("pacing (1.00 = real time)", "–", f"{rt.pacing:.3f}")
    table.add_row("WER vs reference", _pct(wer.batch), _pct(wer.realtime))
    table.add_row("WER between the two", _pct(wer.between), "")
    table.add_row(
        "words per minute",
        f"{batch.words_per_minute or 0:.0f}",
        f"{rt.words_per_minute or 0:.0f}",
    )
    return table


def guide_table(summary: ComparisonSummary) -> Table:
    """The batch-versus-real-time guide's table, filled in with what was just measured."""
    batch, rt, wer = summary.batch, summary.realtime, summary.wer
    table = Table(title="The guide's comparison, measured")
    for column in ("", "batch", "real-time"):
        table.add_column(column)
    table.add_row(
        "latency",
        f"claimed minutes · measured {_s(batch.turnaround_s)} for {summary.audio_s:.1f}s",
        f"claimed < 1 s · measured {_s(rt.final_latency_p50_s)} p50, {_s(rt.final_latency_p95_s)} p95",
    )
    table.add_row(
        "accuracy",
        f"claimed highest · WER {_pct(wer.batch)}",
        f"claimed very high · WER {_pct(wer.realtime)}",
    )
    table.add_row("partial results", "no", f"yes · first after {_s(rt.first_partial_s)}")
    table.add_row(
        "use case", "files, archives, best accuracy", "live captions, voice apps, monitoring"
    )
    return table


def sparkline(summary: ComparisonSummary, width: int = 60) -> Text:
    """Final-word latency over the course of the audio: one bar per slice of time."""
    words = summary.realtime.words
    audio = summary.audio_s or 1.0
    if not words:
        return Text("(no final words)", style="dim")
    slots: list[list[float]] = [[] for _ in range(width)]
    for word in words:
        slots[min(width - 1, int(word.end_time / audio * width))].append(word.latency_s)
    top = max(max(s) for s in slots if s)
    line = Text("latency ")
    for slot in slots:
        if not slot:
            line.append(" ")
            continue
        value = max(slot)
        style = "green" if value <= 1.0 else "yellow" if value <= 2.0 else "red"
        line.append(BARS[min(len(BARS) - 1, int(value / top * (len(BARS) - 1)))], style=style)
    line.append(f"  max {top:.2f}s over {audio:.1f}s of audio")
    return line


def diff_text(batch: str, realtime: str) -> Text:
    """The two transcripts as one text: words only in batch struck red, only in real time green."""
    a, b = batch.split(), realtime.split()
    matcher = difflib.SequenceMatcher(
        a=[w.lower().strip(".,?!") for w in a], b=[w.lower().strip(".,?!") for w in b]
    )
    out = Text()
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.append(" ".join(b[j1:j2]) + " ")
            continue
        if i2 > i1:
            out.append(" ".join(a[i1:i2]) + " ", style="strike red")
        if j2 > j1:
            out.append(" ".join(b[j1:j2]) + " ", style="bold green")
    return out


def report(summary: ComparisonSummary, width: int = 60, hint: str = "") -> Group:
    """One comparison, whole: the verdict (and ``hint``), the figures, the latency sparkline
    ``width`` bars wide, the diff with its legend, and the guide's table. The comparison screen
    and ``sm-tui compare`` both show this."""
    return Group(
        Text.assemble(("Verdict  ", "bold"), verdict(summary), (hint, "dim")),
        Text(""),
        figures_table(summary),
        sparkline(summary, width=width),
        Text(""),
        diff_legend(),
        diff_text(summary.batch.transcript, summary.realtime.transcript),
        Text(""),
        guide_table(summary),
    )


def benchmark_table(summaries: list[ComparisonSummary]) -> Table:
    """One row per file and a summary row."""
    table = Table(title="batch vs real-time")
    for column in (
        "file",
        "audio",
        "batch turnaround",
        "batch WER",
        "RT first partial",
        "RT final p50",
        "RT final p95",
        "RT WER",
        "pacing",
    ):
        table.add_column(column, justify="left" if column == "file" else "right")
    for s in summaries:
        rt = s.realtime
        table.add_row(
            s.file,
            _s(s.audio_s),
            _s(s.batch.turnaround_s),
            _pct(s.wer.batch),
            _s(rt.first_partial_s),
            _s(rt.final_latency_p50_s),
            _s(rt.final_latency_p95_s),
            _pct(s.wer.realtime),
            f"{rt.pacing:.3f}",
        )
    if len(summaries) > 1:
        table.add_section()
        table.add_row(*summary_row(summaries), style="bold")
    return table


def summary_row(summaries: list[ComparisonSummary]) -> list[str]:
    """All words' latencies pooled; WER as the mean over files."""
    import numpy as np

    latencies = [w.latency_s for s in summaries for w in s.realtime.words]
    firsts = [
        s.realtime.first_partial_s for s in summaries if s.realtime.first_partial_s is not None
    ]
    batch_wers = [s.wer.batch for s in summaries if s.wer.batch is not None]
    rt_wers = [s.wer.realtime for s in summaries if s.wer.realtime is not None]

    def mean(values: list[float]) -> float | None:
        return float(np.mean(values)) if values else None

    return [
        f"all ({len(summaries)} files)",
        _s(sum(s.audio_s for s in summaries)),
        _s(sum(s.batch.turnaround_s for s in summaries)),
        _pct(mean(batch_wers)),
        _s(float(np.median(firsts)) if firsts else None),
        _s(float(np.percentile(latencies, 50)) if latencies else None),
        _s(float(np.percentile(latencies, 95)) if latencies else None),
        _pct(mean(rt_wers)),
        f"{mean([s.realtime.pacing for s in summaries]) or 0:.3f}",
    ]


BEHIND_S = 3.0  # behind by max_delay plus this much: it could not keep up
CLOSE_WER = 0.03  # real time within this much WER of batch counts as "as accurate"


def diff_legend() -> Text:
    """What the diff's styles mean."""
    return Text.assemble(
        ("diff  ", "bold"),
        ("struck red", "strike red"),
        ": batch only · ",
        ("bold green", "bold green"),
        ": real-time only · plain: both",
    )


def verdict(summary: ComparisonSummary) -> str:
    """The answer to "batch or real-time, for this audio?", computed from the figures."""
    batch, rt, wer = summary.batch, summary.realtime, summary.wer
    if batch.error and not rt.transcript:
        return f"Neither side produced a transcript (batch: {batch.error})."
    if batch.error:
        return f"Only real-time produced a transcript: batch failed ({batch.error})."
    if rt.errors or not rt.transcript:
        why = "; ".join(rt.errors) or "no words"
        return f"Only batch produced a transcript: real-time ended with {why}."
    parts = []
    if rt.final_latency_p50_s is not None:
        parts.append(
            f"Real-time finals arrived {rt.final_latency_p50_s:.1f} s after speech "
            f"(p95 {_s(rt.final_latency_p95_s)})"
        )
    gap: float | None = None
    if wer.batch is not None and wer.realtime is not None:
        gap = wer.realtime - wer.batch
        if abs(gap) < 0.0005:
            parts.append(f"with the same WER as batch ({_pct(wer.batch)} against the reference)")
        else:
            side = "more" if gap > 0 else "less"
            parts.append(
                f"at {abs(gap) * 100:.1f} points {side} WER than batch "
                f"({_pct(wer.realtime)} vs {_pct(wer.batch)} against the reference)"
            )
    elif wer.between is not None:
        parts.append(
            f"and {_pct(wer.between)} of words differ from batch (no reference to say "
            "which is right)"
        )
    if rt.behind_max_s > summary.max_delay_s + BEHIND_S:
        parts.append(
            f"the real-time engine fell {rt.behind_max_s:.1f} s behind the audio (it "
            "could not keep up)"
        )
    ratio = batch.turnaround_ratio
    if ratio is not None:
        parts.append(
            f"batch returned the whole file in {batch.turnaround_s:.1f} s, {ratio:.2f}× its length"
        )
    text = "; ".join(parts) + "."
    return f"{text[0].upper()}{text[1:]} {_advice(gap, wer.between, ratio)}"


def _advice(gap: float | None, between: float | None, ratio: float | None) -> str:
    close = gap <= CLOSE_WER if gap is not None else (between or 0) <= CLOSE_WER
    if close:
        advice = (
            "For this audio real-time costs little accuracy: use it whenever words are "
            "needed as they are spoken"
        )
    else:
        advice = (
            "For this audio batch is clearly more accurate: prefer it unless the words "
            "are needed while they are spoken"
        )
    if ratio is not None and ratio > 1:
        advice += "; batch is slower than real time on this engine"
    return advice + "."
