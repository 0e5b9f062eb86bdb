"""The seam after a reconnect: the resent audio's first word is not given twice."""

from __future__ import annotations

from typing import Any

from tui.core.stitched import StitchedTranscript


def word(text: str, start: float, end: float) -> dict[str, Any]:
    return {
        "type": "word",
        "start_time": start,
        "end_time": end,
        "alternatives": [{"content": text, "confidence": 0.9}],
    }


def message(*words: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {
            "transcript": "",
            "start_time": words[0]["start_time"],
            "end_time": words[-1]["end_time"],
        },
        "results": list(words),
    }


def before_the_drop() -> StitchedTranscript:
    stitched = StitchedTranscript()
    stitched.add(
        0.0, message(word("Welcome", 0.0, 0.4), word("to", 0.5, 0.6), word("Speech", 0.7, 1.0))
    )
    return stitched


def test_a_repeated_word_is_dropped() -> None:
    stitched = before_the_drop()
    # the new session's audio starts at 1.0 s on the stream: its clock starts at zero there
    seamed = stitched.seam(message(word("speech.", 0.0, 0.2), word("Thanks", 0.4, 0.7)), 1.0, 1.0)
    stitched.add(1.0, seamed)
    assert stitched.text == "Welcome to Speech Thanks"


def test_a_fragment_is_replaced_by_the_whole_word() -> None:
    stitched = before_the_drop()
    seamed = stitched.seam(message(word("Speechmatics", 0.0, 0.5)), 1.0, 1.0)
    stitched.add(1.0, seamed)
    assert stitched.text == "Welcome to Speechmatics"


def test_words_far_from_the_seam_are_kept() -> None:
    stitched = before_the_drop()
    seamed = stitched.seam(message(word("Speech", 2.0, 2.4)), 1.0, 1.0)  # said again, later
    stitched.add(1.0, seamed)
    assert stitched.text == "Welcome to Speech Speech"


def test_the_last_session_s_word_that_comes_after_the_next_session_s_is_given_once() -> None:
    """A switch: the old session flushes in the background, and its last word can arrive after
    the new session's first ("I'd be happy. Happy to help")."""
    stitched = StitchedTranscript()
    stitched.add(0.0, message(word("I'd", 0.0, 0.3), word("be", 0.4, 0.6)))
    first = message(word("Happy", 0.0, 0.3), word("to", 0.4, 0.5))
    stitched.add(1.0, stitched.seam(first, 1.0, 1.0))  # the new session's audio from 1.0 s
    stitched.add(0.0, message(word("happy", 0.7, 1.05)))  # the old session's flush, late
    assert stitched.text == "I'd be happy to"
    stitched.add(1.0, message(word("help", 0.6, 0.9)))
    stitched.add(0.0, message(word("help", 1.6, 1.9)))  # not near the seam: kept
    assert stitched.text == "I'd be happy to help help"


def test_a_late_fragment_of_the_next_session_s_whole_word_is_left_out() -> None:
    stitched = StitchedTranscript()
    stitched.add(0.0, message(word("Welcome", 0.0, 0.4), word("to", 0.5, 0.6)))
    stitched.add(1.0, stitched.seam(message(word("Speechmatics", 0.0, 0.5)), 1.0, 1.0))
    stitched.add(0.0, message(word("Speech", 0.7, 1.0)))  # the old session's cut word, late
    assert stitched.text == "Welcome to Speechmatics"
