"""``additional_vocab``: words the user says the audio holds, and how they sound.

Two levers, in batch and real time alike:

* the entries' ``content`` goes to Whisper as hotwords (a hint before its prompt), so it
  writes "Kastoria" where it would write "Castoria";
* after recognition, what an entry ``sounds_like`` ("gee rota") becomes the entry's
  ``content``, and so do one to three words spelt nearly as it ("Norvex" for "Zorvex") or that
  sound as it, by their metaphone key ("Castoria" for "Kastoria", "Pell cats" for "Pelkatz",
  "Notting hell gate" for "Notting Hill Gate"): what telephone audio makes of a name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import groupby
from typing import Any

import jellyfish

from tui.engine.recognition.asr import Word

MAX_HOTWORDS_CHARS = 600  # Whisper takes half its 448-token context for hints at most
NEAR = 0.8  # spelling similarity at which a capitalised word is taken for an entry
SOUNDS_SPELT = 0.65  # spelling similarity enough for words that sound as the entry (metaphone)
MIN_NEAR_CHARS = 5
MIN_KEY = 4  # metaphone keys shorter than this match too much on sound alone
SHORT_KEY_SPELT = 0.85
COPIED_P = 0.01  # an entry written less likely than this is the hint copied, not heard
LOOP_RUN = 3  # an entry written this many times in a row is a loop: once
MAX_EXTRA_WORDS = 1  # a name may come back as up to one word more than it has ("Pell cats")
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
        """The words without the hint copied (``copies``), and with what sounds like, or is
        nearly spelt as, an entry written as it."""
        out = self.copies_dropped(words)
        for entry in self.entries:
            for sound in entry.sounds_like:
                out = _replace_sequence(out, sound, entry.content)
        return self._loops_once(self._near(out))

    def copies_dropped(self, words: list[Word]) -> list[Word]:
        """The words without the entries Whisper copied from its hint rather than heard.

        Given hotwords, Whisper can write the list itself where speech is unclear (telephone
        audio above all): "before Friday. Zorvex, Zorvex, Zorvex", "tomorrow. Quenwell.
        Daven, Kastoria, Zorvex, Taven, Taven, …" to the token limit. Such a copy starts with
        an entry (or a word spelt or sounding nearly as one) written at a probability near
        zero (``COPIED_P``: entries that were said come out at 0.04 and more, even at 8 kHz).
        It goes, and so do the words after it that are entries, near one, or as unlikely.
        An entry of several words written whole, its later words likely, is the entry said
        (``_said_whole``), and a later word of one alone starts no copy.
        (``correct`` then keeps one of an entry written three times or more in a row.)"""
        names, firsts = self._names, self._firsts
        kept: list[Word] = []
        copying = False
        for i, word in enumerate(words):
            unlikely = word.probability < COPIED_P
            if copying != unlikely:  # only then does being an entry decide
                key = _key(word.text)
                if copying:  # a likely word: the copy goes on through entries
                    named = key in names
                else:  # an unlikely word: a copy starts with an entry (its first word)
                    named = key in firsts and not self._said_whole(words, i)
                copying = named or any(_is_near([word], entry.content) for entry in self.entries)
            if not copying:
                kept.append(word)
        return kept

    @property
    def _firsts(self) -> set[str]:
        """What a copy can start with: an entry's first word ("Notting" of "Notting Hill";
        "Hill" written unlikely after "Nottingham" is a word heard badly, not a copy)."""
        return {_key(entry.content.split()[0]) for entry in self.entries}

    def _said_whole(self, words: list[Word], i: int) -> bool:
        """Whether ``words[i]`` starts an entry of several words written whole, its other
        words likely: the entry said ("from Notting Hill Gate", "Notting" at 0.006 and "Hill"
        at 0.98 on telephone audio), where a copy of the hint goes on to the next entry."""
        for entry in self.entries:
            parts = [_key(p) for p in entry.content.split()]
            rest = words[i + 1 : i + len(parts)]
            if (
                len(parts) > 1
                and len(rest) == len(parts) - 1
                and [_key(w.text) for w in words[i : i + len(parts)]] == parts
                and all(w.probability >= COPIED_P for w in rest)
            ):
                return True
        return False

    @property
    def _names(self) -> set[str]:
        return {_key(part) for entry in self.entries for part in entry.content.split()}

    def _loops_once(self, words: list[Word]) -> list[Word]:
        names = self._names
        out: list[Word] = []
        for key, run in groupby(words, key=lambda w: _key(w.text)):
            same = list(run)
            out += same[:1] if key in names and len(same) >= LOOP_RUN else same
        return out

    def _near(self, words: list[Word]) -> list[Word]:
        """Windows of one to three words taken for the entry they are spelt or sound as."""
        out: list[Word] = []
        i = 0
        while i < len(words):
            found = self._entry_at(words, i)
            if found is None:
                out.append(words[i])
                i += 1
                continue
            content, size = found
            window = words[i : i + size]
            out.append(_as_entry(window, content))
            i += size
        return out

    def _entry_at(self, words: list[Word], i: int) -> tuple[str, int] | None:
        for entry in self.entries:
            length = len(entry.content.split())
            for size in range(max(1, length - 1), length + MAX_EXTRA_WORDS + 1):
                window = words[i : i + size]
                if (
                    len(window) == size
                    and min(w.probability for w in window) >= COPIED_P  # not a copy's end
                    and _is_near(window, entry.content)
                ):
                    return entry.content, size
        return None


def _is_near(window: list[Word], content: str) -> bool:
    """Whether these words are the entry misheard: spelt nearly as it (one capitalised word),
    or sounding as it (the same metaphone key, and spelt not far from it)."""
    parts = [_split(w.text) for w in window]
    if any(marks for _, _, marks in parts[:-1]):  # a name does not run across a mark
        return False
    said = "".join(_key(core) for _, core, _ in parts)
    target = _key(content.replace(" ", ""))
    if len(said) < MIN_NEAR_CHARS or len(target) < MIN_NEAR_CHARS:
        return False
    if " ".join(core for _, core, _ in parts).lower() == content.lower():
        return len(window) > 1 or parts[0][1] != content  # already written as the entry
    spelt = SequenceMatcher(None, said, target).ratio()
    first = parts[0][1]
    if len(window) == 1 and " " not in content and first[:1].isupper() and spelt >= NEAR:
        return True
    key = jellyfish.metaphone(target)
    heard_key = jellyfish.metaphone(said)
    if heard_key != key and not _article_joined(parts, heard_key, key):
        return False
    # A short key ("TFN": Tavenna, and "to Vienna") needs the spelling closer too.
    return spelt >= (SOUNDS_SPELT if len(key) >= MIN_KEY else SHORT_KEY_SPELT)


def _article_joined(parts: list[tuple[str, str, str]], heard_key: str, key: str) -> bool:
    """Whether the words are "an" run into a name that starts with N: the N heard as the
    article's ("an umbrella" for "Nimbrella", as tiny.en wrote it at 8 kHz on an AMD EPYC),
    so the words' key is the name's after the article's vowel. ("a" takes no sound of the
    name's: "a Sorvex" keeps its article.)"""
    return (
        len(parts) > 1
        and parts[0][1].lower() == "an"
        and key.startswith("N")
        and heard_key == "A" + key
    )


def _split(text: str) -> tuple[str, str, str]:
    match = _PARTS.match(text)
    assert match is not None  # the pattern matches any text
    return match.group(1), match.group(2), match.group(3)


def _as_entry(window: list[Word], content: str) -> Word:
    """The words of ``window`` written as ``content``: one word over their time, keeping the
    first one's leading space and the last one's marks."""
    space, _, _ = _split(window[0].text)
    _, _, marks = _split(window[-1].text)
    return Word(
        (space or " ") + content + marks,
        window[0].start,
        window[-1].end,
        min(w.probability for w in window),
    )


def _replace_sequence(words: list[Word], sound: tuple[str, ...], content: str) -> list[Word]:
    out: list[Word] = []
    i = 0
    size = len(sound)
    while i < len(words):
        window = words[i : i + size]
        if len(window) == size and tuple(_key(w.text) for w in window) == sound:
            out.append(_as_entry(window, content))
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
