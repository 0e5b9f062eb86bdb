"""The batch guard against Whisper's loops, on constructed transcripts (no model)."""

from __future__ import annotations

from tui.engine.recognition.asr import Word
from tui.engine.recognition.guards import batch_loops


def said(text: str, start: float = 0.0) -> list[Word]:
    return [
        Word(f" {w}", start + i * 0.3, start + i * 0.3 + 0.25) for i, w in enumerate(text.split())
    ]


def texts(words: list[Word]) -> str:
    return " ".join(w.text.strip() for w in words)


def test_a_sentence_said_again_and_again_is_kept_once() -> None:
    """What the engine wrote before blocks (issue 22): the last sentence looping to the end."""
    sentence = "and the people who had worked together that morning without being asked."
    looping = said("He thought about the bakery, the harbour, " + " ".join([sentence] * 6))
    assert texts(batch_loops(looping)) == "He thought about the bakery, the harbour, " + sentence


def test_every_word_said_once_is_kept() -> None:
    """A guard must never drop speech: a transcript with no phrase said twice in a row comes
    back whole, repeated short words and phrases said again later included."""
    text = (
        "no, no, no, I said the meeting is at three. The meeting is at three, not at four. "
        "Thank you, thank you. It was the age of wisdom, it was the age of foolishness."
    )
    words = said(text)
    assert batch_loops(words) == words


def test_a_second_saying_with_no_audio_under_it_is_invented() -> None:
    """Said twice, a phrase is a loop only when Whisper squeezed the copy into no audio."""
    first = said("please send the report to the finance team")
    squeezed = [Word(w.text, 2.4 + i * 0.02, 2.4 + i * 0.02 + 0.02) for i, w in enumerate(first)]
    assert texts(batch_loops(first + squeezed)) == texts(first)
    really_said_twice = first + said("please send the report to the finance team", start=2.4)
    assert batch_loops(really_said_twice) == really_said_twice


def test_a_four_word_phrase_twice_is_speech() -> None:
    """Phrases shorter than five words said twice ("very very", "over and over and over") can
    be speech: kept as said."""
    words = said("we went over and over and over the plan again")
    assert batch_loops(words) == words


def test_a_full_stop_before_a_lower_case_word_ends_no_sentence() -> None:
    from tui.engine.recognition.guards import stray_stops

    said = " The meeting will cost approximately 500. for the project. Hello. this is it."
    words = [Word(" " + t, i * 0.5, i * 0.5 + 0.4) for i, t in enumerate(said.split())]
    kept = "".join(w.text for w in stray_stops(words))
    assert kept == " The meeting will cost approximately 500 for the project. Hello this is it."
    assert [(w.start, w.end) for w in stray_stops(words)] == [(w.start, w.end) for w in words]
    # Abbreviations, stops inside a word, other marks, and words with no case keep theirs.
    kept_as_said = " Ask Dr. smith at 3 p.m. today. Is it? yes. 我们. 你好"
    words = [Word(" " + t, 0.0, 0.1) for t in kept_as_said.split()]
    assert "".join(w.text for w in stray_stops(words)) == kept_as_said


def test_a_full_stop_between_numbers_ends_no_sentence() -> None:
    """Whisper ends a window inside a number, or puts a stop where its speaker pauses
    ("January 15th. 2025", "1-235. 4-5")."""
    from tui.engine.recognition.guards import stray_stops

    def spoken(*timed: tuple[str, float]) -> list[Word]:
        return [Word(" " + text, start, start + 0.4) for text, start in timed]

    date = spoken(("January", 0.0), ("15th.", 0.5), ("2025", 1.0), ("at", 1.5))
    assert "".join(w.text for w in stray_stops(date)) == " January 15th 2025 at"
    account = spoken(("is", 0.0), ("1-235.", 0.5), ("4-5.", 1.6))  # a pause inside it
    assert "".join(w.text for w in stray_stops(account)) == " is 1-235 4-5."
    worded = spoken(("is", 0.0), ("five.", 0.5), ("2020", 1.0))  # only one of them a number
    assert "".join(w.text for w in stray_stops(worded)) == " is five. 2020"


def test_which_words_end_a_sentence() -> None:
    from tui.engine.recognition.guards import ends_sentence

    assert all(ends_sentence(w) for w in (" everyone.", "why?", " stop!", "p.m?"))
    assert not any(ends_sentence(w) for w in (" Dr.", "e.g.", " 3.30.", " everyone,", "", " 你好"))
