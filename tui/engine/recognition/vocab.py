"""``additional_vocab``: words the user says the audio holds, and how they sound.

Two levers, in batch and real time alike:

* the entries' ``content`` goes to Whisper as hotwords (a hint before its prompt), so it
  writes "Kastoria" where it would write "Castoria";
* after recognition, what an entry ``sounds_like`` ("gee rota") and a capitalised word spelt
  nearly as an entry ("Norvex" for "Zorvex") become the entry's ``content``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from tui.engine.recognition.asr import Word

MAX_HOTWORDS_CHARS = 600  # Whisper takes half its 448-token context for hints at most
NEAR = 0.8  # spelling similarity at which a capitalised word is taken for an entry
MIN_NEAR_CHARS = 5
_PARTS = re.compile(r"^(\s*)(.*?)([.,?!;:]*)$", re.S)


def _key(text: str) -> str:
    return re.sub(r"[^\w']", "", text.lower())


@dataclass(frozen=True)
class Entry:
    """One ``additional_vocab`` item."""

    content: str
    sounds_like: tuple[tuple[str, ...], ...]  # each way it sounds, as normalised words


@dataclass(frozen=True)
class Vocabulary:
    """A session's or job's ``additional_vocab``."""

    entries: tuple[Entry, ...]

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Vocabulary | None:
        """The vocabulary of a transcription_config (None when it gives none)."""
        entries = []
        for item in config.get("additional_vocab") or []:
            content = str(item.get("content", "")).strip()
            if not content:
                continue
            sounds = tuple(
                tuple(_key(w) for w in str(s).split() if _key(w))
                for s in item.get("sounds_like") or []
            )
            entries.append(Entry(content, tuple(s for s in sounds if s)))
        return cls(tuple(entries)) if entries else None

    @property
    def hotwords(self) -> str:
        """The entries as Whisper's hint: "Gyrota, Zorvex, Kastoria Cloud"."""
        return ", ".join(e.content for e in self.entries)[:MAX_HOTWORDS_CHARS]

    def correct(self, words: list[Word]) -> list[Word]:
        """The words with what sounds like, or is nearly spelt as, an entry written as it."""
        out = list(words)
        for entry in self.entries:
            for sound in entry.sounds_like:
                out = _replace_sequence(out, sound, entry.content)
        return [self._near(word) for word in out]

    def _near(self, word: Word) -> Word:
        space, core, marks = _split(word.text)
        if len(core) < MIN_NEAR_CHARS or not core[:1].isupper():
            return word
        for entry in self.entries:
            target = entry.content
            if " " in target or core.lower() == target.lower():
                continue
            if SequenceMatcher(None, core.lower(), target.lower()).ratio() >= NEAR:
                return Word(space + target + marks, word.start, word.end, word.probability)
        return word


def _split(text: str) -> tuple[str, str, str]:
    match = _PARTS.match(text)
    assert match is not None  # the pattern matches any text
    return match.group(1), match.group(2), match.group(3)


def _replace_sequence(words: list[Word], sound: tuple[str, ...], content: str) -> list[Word]:
    out: list[Word] = []
    i = 0
    size = len(sound)
    while i < len(words):
        window = words[i : i + size]
        if len(window) == size and tuple(_key(w.text) for w in window) == sound:
            space, _, _ = _split(window[0].text)
            _, _, marks = _split(window[-1].text)
            out.append(
                Word(
                    (space or " ") + content + marks,
                    window[0].start,
                    window[-1].end,
                    min(w.probability for w in window),
                )
            )
            i += size
        else:
            out.append(words[i])
            i += 1
    return out


def heard(words: list[Word], speech: list[tuple[float, float]], pad: float = 0.2) -> list[Word]:
    """The words that overlap speech (padded by ``pad`` s): hints make Whisper say them in
    the silence after it.

    ``speech`` is voice activity's regions, in the words' time base.
    """
    return [w for w in words if any(w.start < e + pad and w.end > s - pad for s, e in speech)]
