"""additional_vocab on telephone audio: the ways a narrowband line mishears a name become the
name, by spelling or by sound (metaphone), and ordinary words stay as they were."""

from __future__ import annotations

import pytest

from tui.engine.recognition.asr import Word
from tui.engine.recognition.vocab import Vocabulary

NAMES = [
    "Kastoria",
    "Pelkatz",
    "Zorvex",
    "Notting Hill Gate",
    "Tavenna",
    "Buckingham",
    "Nimbrella",
]
VOCAB = Vocabulary.from_config({"additional_vocab": [{"content": n} for n in NAMES]})


def fixed(text: str) -> str:
    assert VOCAB is not None
    words = [Word(" " + t, i, i + 1) for i, t in enumerate(text.split())]
    return "".join(w.text for w in VOCAB.correct(words)).strip()


@pytest.mark.parametrize(
    ("heard", "meant"),
    [
        ("backups with Castoria cloud.", "backups with Kastoria cloud."),
        ("ask Jorunn Pell cats to join", "ask Jorunn Pelkatz to join"),
        ("called Sorvex and it ships", "called Zorvex and it ships"),
        ("called Norvex and it ships", "called Zorvex and it ships"),
        ("near Notting hell gate station", "near Notting Hill Gate station"),
        ("near notting hill gate station", "near Notting Hill Gate station"),
        ("to Buckingam palace", "to Buckingham palace"),
        ("So an umbrella team will", "So Nimbrella team will"),  # the N heard as the article's
        ("called a sorvex today", "called a Zorvex today"),  # "a" takes no sound of the name's
    ],
)
def test_a_misheard_name_becomes_the_entry(heard: str, meant: str) -> None:
    assert fixed(heard) == meant


@pytest.mark.parametrize(
    "said",
    [
        "flights to Vienna tonight.",  # sounds as Tavenna (TFN), spelt too far from it
        "a normal day in Norway.",
        "the castle and the story",  # a name does not run across words that are not it
        "ask Pell, cats are welcome",  # nor across a mark
        "Kastoria Cloud keeps Zorvex backups.",  # already the entries
        "the umbrella team",  # only "an" takes a name's N
    ],
)
def test_ordinary_words_stay_as_they_were(said: str) -> None:
    assert fixed(said) == said


def heard(*spec: tuple[str, float]) -> list[Word]:
    """Words as Whisper gives them, each with its probability."""
    return [Word(f" {text}", i, i + 1, p) for i, (text, p) in enumerate(spec)]


def test_the_hint_copied_after_speech_goes() -> None:
    """tiny.en on 8 kHz audio, given the names as hotwords: it writes the list after the
    sentence, the first entry at a probability near zero, then loops."""
    assert VOCAB is not None
    copied = heard(
        ("before", 0.86), ("Friday.", 0.88), ("Tavenna.", 0.001), ("Davenn,", 0.001),
        ("Kastoria,", 0.002), ("Taven,", 0.26), ("Taven,", 0.41), ("Taven,", 0.6),
    )  # fmt: skip
    assert "".join(w.text for w in VOCAB.correct(copied)) == " before Friday."


def test_a_name_said_unclearly_stays() -> None:
    """Names that were said come out at 0.04 and more, even on telephone audio."""
    assert VOCAB is not None
    said = heard(("The", 0.67), ("Zorvex", 0.04), ("account,", 0.49), ("Kastoria", 0.3))
    assert "".join(w.text for w in VOCAB.correct(said)) == " The Zorvex account, Kastoria"


def test_a_name_looping_is_written_once() -> None:
    assert VOCAB is not None
    looped = heard(("with", 0.9), *[("Pelkatz,", 0.9)] * 6, ("today.", 0.9))
    assert "".join(w.text for w in VOCAB.correct(looped)) == " with Pelkatz, today."
    twice = heard(("Zorvex,", 0.9), ("Zorvex.", 0.9))  # said twice: kept twice
    assert len(VOCAB.correct(twice)) == 2


def test_a_name_of_several_words_said_whole_stays() -> None:
    """The Voice SDK's 8 kHz call, tiny.en given "Notting Hill" in real time: its first word
    comes out unlikely ("Notting" at 0.006), the rest likely. That is the name said; before,
    both words went as a copy of the hint ("the route from Gate to Buckingham Palace")."""
    vocab = Vocabulary.from_config(
        {"additional_vocab": [{"content": n} for n in ("GeoRouter", "Notting Hill")]}
    )
    assert vocab is not None
    said = heard(
        ("from", 0.61), ("Notting", 0.006), ("Hill", 0.98), ("Gate", 0.9), ("to", 0.88),
    )  # fmt: skip
    assert "".join(w.text for w in vocab.correct(said)) == " from Notting Hill Gate to"
    # A later word of a name, heard badly after another word, is that word, not a copy.
    badly = heard(("from", 0.97), ("Nottingham", 0.28), ("Hill", 0.0), ("Gate?", 0.78))
    assert "".join(w.text for w in vocab.correct(badly)) == " from Nottingham Hill Gate?"
    # A copy of the hint still goes, the name of several words in it too.
    copied = heard(
        ("today.", 0.9), ("GeoRouter,", 0.002), ("Notting", 0.4), ("Hill,", 0.9),
        ("GeoRouter,", 0.3),
    )  # fmt: skip
    assert "".join(w.text for w in vocab.correct(copied)) == " today."
