"""additional_vocab on telephone audio: the ways a narrowband line mishears a name become the
name, by spelling or by sound (metaphone), and ordinary words stay as they were."""

from __future__ import annotations

import pytest

from tui.engine.recognition.asr import Word
from tui.engine.recognition.vocab import Vocabulary

NAMES = ["Kastoria", "Pelkatz", "Zorvex", "Notting Hill Gate", "Tavenna", "Buckingham"]
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
    ],
)
def test_ordinary_words_stay_as_they_were(said: str) -> None:
    assert fixed(said) == said
