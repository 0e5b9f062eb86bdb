"""Latency and WER maths on constructed message timelines (no engine)."""

from __future__ import annotations

from typing import Any

import pytest

from tui.core.comparison import (
    BatchResult,
    Comparison,
    RealtimeResult,
    RealtimeTimeline,
    SendClock,
    percentile,
)
from tui.core.report import benchmark_table, diff_text, figures_table, guide_table, sparkline
from tui.core.wer import normalise, pooled_wer, sentence_ends, wer


def message(
    kind: str, words: list[tuple[str, float, float]], end: float | None = None
) -> dict[str, Any]:
    results = [
        {
            "type": "word",
            "start_time": s,
            "end_time": e,
            "alternatives": [{"content": w, "confidence": 1.0}],
        }
        for w, s, e in words
    ]
    last = end if end is not None else (words[-1][2] if words else 0.0)
    text = " ".join(w for w, _, _ in words)
    return {
        "message": kind,
        "metadata": {"start_time": 0.0, "end_time": last, "transcript": text},
        "results": results,
    }


def timeline_at(events: list[tuple[float, str, dict[str, Any]]]) -> RealtimeTimeline:
    """A timeline whose audio was sent 0.1 s per 0.1 s from t=100, with messages at given times."""
    clock = SendClock()
    for step in range(1, 51):
        clock.record(step / 10, 100.0 + step / 10)
    timeline = RealtimeTimeline(clock)
    timeline.started = 100.0
    for at, kind, msg in events:
        (timeline.partials if kind == "partial" else timeline.finals).append((at, msg))
    return timeline


def test_word_latency_is_arrival_minus_when_its_audio_was_sent() -> None:
    timeline = timeline_at(
        [
            (100.9, "partial", message("AddPartialTranscript", [("hello", 0.2, 0.6)])),
            (101.5, "final", message("AddTranscript", [("hello", 0.2, 0.6), ("world", 0.7, 1.05)])),
        ]
    )
    result = timeline.result(audio_s=5.0, pacing=1.0, session_s=5.5)
    hello, world = result.words
    assert hello.latency_s == pytest.approx(1.5 - 0.6)  # audio to 0.6 s was sent at 100.6
    assert world.latency_s == pytest.approx(1.5 - 1.1)  # 1.05 s lies in the chunk sent at 101.1
    assert hello.partial_first_seen_s == pytest.approx(0.9)
    assert world.partial_first_seen_s is None
    assert hello.final_arrival_s == pytest.approx(1.5)
    assert result.first_partial_s == pytest.approx(0.9)
    assert result.partial_lags_s == [pytest.approx(0.3)]
    assert result.transcript == "hello world"


def test_percentiles_and_empty_values() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == pytest.approx(2.5)
    assert percentile([1.0] * 19 + [10.0], 95) == pytest.approx(1.45)
    assert percentile([], 50) is None


def test_wer_normalisation() -> None:
    assert (
        normalise("It's 3:30 p.m., number 1-2-3!") == "it 3 30 pm number 123"
    )  # 's dropped on both sides
    assert normalise("one two three") == "123"
    assert wer("Good morning, everyone.", "good morning everyone") == 0.0
    assert wer("a b c d", "a x c d") == pytest.approx(0.25)
    assert wer("a b", "") == 1.0
    assert wer("", "") == 0.0


def test_summary_and_reports_hold_every_figure() -> None:
    timeline = timeline_at(
        [
            (100.5, "partial", message("AddPartialTranscript", [("good", 0.1, 0.3)])),
            (101.0, "final", message("AddTranscript", [("good", 0.1, 0.3), ("morning", 0.4, 0.8)])),
        ]
    )
    realtime = timeline.result(audio_s=2.0, pacing=0.999, session_s=2.4)
    comparison = Comparison(
        "a.wav",
        2.0,
        "local engine",
        1.0,
        BatchResult("Good morning.", 0.8),
        realtime,
        "Good morning",
    )
    summary = comparison.summary()
    assert summary.batch.turnaround_s == 0.8
    assert summary.batch.turnaround_ratio == 0.4
    assert summary.realtime.final_latency_p50_s == pytest.approx((0.7 + 0.2) / 2, abs=1e-3)
    assert summary.realtime.first_partial_s == 0.5
    assert summary.realtime.pacing == 0.999
    data = summary.to_json()  # JSON only at the edge, with the names the README documents
    assert data["wer"] == {"batch": 0.0, "realtime": 0.0, "between": 0.0}
    assert data["realtime"]["words"][0]["word"] == "good"
    assert all(v is not None for k, v in data["realtime"].items() if k != "errors")
    assert data["batch"]["turnaround_s"] == 0.8 and data["max_delay_s"] == 1.0
    for renderable in (
        figures_table(summary),
        guide_table(summary),
        benchmark_table([summary, summary]),
    ):
        assert renderable.row_count >= 3
    assert "max" in sparkline(summary).plain
    diff = diff_text("the cat sat", "the dog sat")
    assert diff.plain.split() == ["the", "cat", "dog", "sat"]
    assert RealtimeResult().latencies == []


def test_pooled_wer_weighs_each_recording_by_its_words() -> None:
    long = ("one of the many things we say", "one of the many things we say")
    short = ("good morning", "good mourning")
    assert pooled_wer([long, short]) == pytest.approx(1 / 9)  # a per-recording mean: 25%
    assert pooled_wer([long, ("good morning", "")]) == pytest.approx(2 / 9)  # nothing said
    assert pooled_wer([("", "anything")]) is None


def test_sentence_ends_are_placed_against_the_reference() -> None:
    reference = "Good morning, everyone. Let's begin today's meeting. It is at noon sharp."
    assert sentence_ends(reference, reference.lower()) == sentence_ends(reference, reference)
    same = sentence_ends(reference, reference)
    assert (same.words, same.mid, same.missed) == (12, 0, 0)
    # A full stop where the sentence goes on, and one sentence run on into the next.
    found = sentence_ends(
        reference, "Good morning everyone let's begin. Today's meeting. It is at noon sharp"
    )
    assert (found.mid, found.missed) == (1, 1)
    assert found.per_100_words(found.mid) == pytest.approx(100 / 12)
    # An inserted word carrying the end the reference has just before it is not mid-sentence;
    # a mark standing alone belongs to the word before it; the last word's end never counts.
    assert sentence_ends("One two. Three four.", "One two uh. Three four").mid == 0
    assert sentence_ends("One two three four.", "One two . three four.").mid == 1
    assert sentence_ends("One two", "").words == 2
