"""The live panel's speaker labels on finals as the engine sends them (a held mark alone)."""

from __future__ import annotations

from tui.core.live import with_speakers
from tui.engine.protocol.results import to_results
from tui.engine.recognition.asr import Word


def test_a_mark_sent_alone_joins_the_word_before_it_and_labels_stay_at_the_changes() -> None:
    """config_demo.wav in the dashboard at 80x24: "demo . This example", "15th , 2025". The
    engine holds a final's trailing mark for the next step and sends it at the start of the
    next final, whose transcript has no space before it."""
    first = to_results([Word(" Welcome", 0.0, 0.4), Word(" demo", 0.5, 0.9)], speakers=["S1"] * 2)
    then = to_results(
        [Word(".", 0.9, 0.91), Word(" This", 1.5, 1.7), Word(" example", 1.7, 2.1)],
        speakers=["S1", "S2", "S2"],
    )
    shown, last = with_speakers(first, "Welcome demo", "UU")
    more, last = with_speakers(then, ". This example ", last)
    assert shown + more == "S1: Welcome demo. S2: This example "
    assert last == "S2"
    # A final after an open one starts with a word: its transcript's leading space stays.
    after, _ = with_speakers(
        to_results([Word(" Today", 3.0, 3.4)], speakers=["S2"]), " Today ", "S2"
    )
    assert after == " Today "
    # Without speakers the transcript is shown as it came.
    plain = to_results([Word(" Hello", 0.0, 0.4)])
    assert with_speakers(plain, "Hello ", "UU") == ("Hello ", "UU")
