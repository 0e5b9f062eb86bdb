"""What the real-time writer says about the audio it heard."""

from __future__ import annotations

from typing import Any

from tui.engine.realtime.writer import TranscriptWriter
from tui.engine.recognition.asr import Word


def writer(sent: list[dict[str, Any]]) -> TranscriptWriter:
    return TranscriptWriter(sent.append, lambda: None, lambda: {"enable_partials": True})


def test_a_partial_ends_where_the_step_heard_to() -> None:
    """Speechmatics' partials end where its recogniser has heard to, silence included (empty
    partials move on): the Voice SDK takes the audio it sent less that end as the engine's
    processing time, and shortens its wait for the end of a turn by it. Ending at the last
    word, a pause inside a turn counted as processing time, and the turn was cut there."""
    sent: list[dict[str, Any]] = []
    out = writer(sent)
    out.partial([Word(" Can", 1.0, 1.3), Word(" you", 1.4, 1.8)], force=False, heard=2.6)
    assert sent[-1]["message"] == "AddPartialTranscript"
    assert sent[-1]["metadata"]["end_time"] == 2.6
    assert [r["end_time"] for r in sent[-1]["results"]] == [1.3, 1.8]  # the words keep theirs


def test_a_partial_never_ends_before_its_words() -> None:
    sent: list[dict[str, Any]] = []
    writer(sent).partial([Word(" Can", 1.0, 1.3)], force=False)
    assert sent[-1]["metadata"]["end_time"] == 1.3
