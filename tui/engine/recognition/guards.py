"""Guards against what Whisper invents: loops, copies of its prompt, words aligned to no audio.

Whisper fails in known ways. Given a prompt or a repetitive context it repeats a phrase again
and again; it copies recent text; it writes words for which there is nothing in the audio
(each such word then starts and ends at one instant). These rules remove what is not speech
from a hypothesis. Real time applies them to every step's fresh words (``streaming``); batch
applies the loop guard to each block's words (``tui.engine.batch.transcribe``). Each rule only removes
a phrase's second and later sayings, or words with no audio under them: a phrase said once is
never dropped.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from tui.engine.recognition.asr import Word


def normal(text: str) -> str:
    """A word without case or punctuation, for comparing hypotheses."""
    return re.sub(r"[^\w']", "", text.lower())


COPY_WORDS = 6  # a run this long that repeats recent finals is Whisper copying, not speech…
SQUEEZED = 0.5  # …when it has less than this share of the first saying's audio (as loops)
RECENT_WORDS = 60
LOOP_TAIL = 12  # final words a fresh phrase is checked against for loops
LOOP_TIMES = 3  # a phrase said this many times in a row is a loop…
LONG_PHRASE = 3  # …or twice, when it is this many words or more ("Welcome to speech medics.")


def repetitive(text: str) -> bool:
    """Whether a text loops: a phrase of 2 words three times in a row, or of 3–12 words twice
    (a poisoned prompt)."""
    words = [normal(w) for w in text.split()]
    return len(_without_loops(words)) < len(words)


def _without_loops(
    words: list[str], shortest: int = 2, longest: int = 12, twice_from: int = LONG_PHRASE
) -> list[str]:
    """The words after cutting each looping phrase (``shortest`` to ``longest`` words) to its
    first saying: a phrase of ``twice_from`` words or more loops when said twice in a row, a
    shorter one when said ``LOOP_TIMES`` times."""
    out = list(words)
    for size in range(shortest, longest + 1):
        least = 2 if size >= twice_from else LOOP_TIMES
        index = 0
        while index + size * least <= len(out):
            phrase = out[index : index + size]
            times = 1
            while out[index + size * times : index + size * (times + 1)] == phrase:
                times += 1
            if times >= least:
                del out[index + size : index + size * times]
            index += 1
    return out


def collapse_loops(
    words: list[Word],
    before: Sequence[str] = (),
    shortest: int = 2,
    longest: int = 12,
) -> list[Word]:
    """A hypothesis with each looping phrase kept once ("the day. the day. the day."), read
    after ``before`` (the last final words, normalised): a phrase that only repeats what was
    just said final is a loop too ("…Welcome to speech" + "medics. Welcome to speech medics.").
    """
    keys = [*before, *(normal(w.text) for w in words)]
    kept = _without_loops(keys, shortest, longest)
    if len(kept) == len(keys):
        return words
    out: list[Word] = []
    position = 0
    for index, key in enumerate(keys):  # keep the first of each run, in order
        if position < len(kept) and key == kept[position]:
            position += 1
            if index >= len(before):
                out.append(words[index - len(before)])
    return out


def drop_copies(fresh: list[Word], recent: Sequence[Word]) -> list[Word]:
    """Fresh words without runs of ``COPY_WORDS`` or more that repeat the recent finals in
    less than ``SQUEEZED`` of the audio they took: Whisper copying its prompt. A run said
    again over as much audio as the first time is speech ("Can you tell me the route from
    Notting Hill Gate?", asked twice in the Voice SDK's 8 kHz call)."""
    if len(fresh) < COPY_WORDS or len(recent) < COPY_WORDS:
        return fresh
    keys = [normal(w.text) for w in fresh]
    said = [normal(w.text) for w in recent]
    took: dict[tuple[str, ...], float] = {}  # each run of the finals: its audio, latest saying
    for i in range(len(said) - COPY_WORDS + 1):
        took[tuple(said[i : i + COPY_WORDS])] = recent[i + COPY_WORDS - 1].end - recent[i].start
    drop: set[int] = set()
    for i in range(len(keys) - COPY_WORDS + 1):
        first = took.get(tuple(keys[i : i + COPY_WORDS]))
        if first is not None and fresh[i + COPY_WORDS - 1].end - fresh[i].start < SQUEEZED * first:
            drop.update(range(i, i + COPY_WORDS))
    return [w for i, w in enumerate(fresh) if i not in drop]


UNHEARD_RUN = 2  # this many words in a row, each with no audio under it, are invented
FLAT_S = 0.025  # a word this short has no audio under it (Whisper's times step by 0.02 s)


def unheard(words: list[Word]) -> list[Word]:
    """Words without the runs that Whisper aligned to no audio at all.

    A phrase Whisper invents (a loop, a copy of the prompt) has nothing in the audio to align
    to, so its words all start and end at one instant: "Welcome[3.30-3.30] to[3.30-3.30]
    the[3.30-3.30] sample[3.30-3.30]". A single such word is kept (a short word squeezed at a
    cut); ``UNHEARD_RUN`` of them in a row are dropped.
    """
    out: list[Word] = []
    for flat, run in itertools.groupby(words, key=lambda w: w.end - w.start < FLAT_S):
        said = list(run)
        if not (flat and len(said) >= UNHEARD_RUN):
            out.extend(said)
    return out


# Words written with a full stop that is not a sentence's end ("p.m." is caught by its inner
# stop): a stop after them before a lower-case word stays.
ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "st", "vs", "etc", "approx", "no", "dept", "est", "fig"}
    | {"inc", "ltd", "jr", "sr", "co", "corp"}
)


def numeric(word: Word) -> bool:
    """Whether a word holds a digit. Whisper writes a number as far as it has heard it ("2020."
    before "twenty-five", "1-235" while digits are still being said), so in real time a number
    is final only when two hypotheses agree on it, when the speech stops, at the end, or by
    deadline once words follow it (``streaming._heard_whole``)."""
    return any(c.isdigit() for c in word.text)


def between_numbers(word: Word, after: Word) -> bool:
    """Whether two words are both numbers. A full stop between them ends no sentence: Whisper
    writes a number as far as it has heard it and ends the window there, or puts a stop where
    the speaker pauses inside it ("January 15th. 2025", "1-235. 4-5")."""
    return numeric(word) and numeric(after)


def ends_no_sentence(word: Word, after: Word) -> bool:
    """Whether ``word``'s full stop ends no sentence, from the word after it: Whisper
    capitalises the word after a sentence's end, so a stop before a lower-case word is one it
    put at a window's edge and then wrote on past ("approximately 500. for the project",
    "Hello. this is"), and so is one between two numbers (``between_numbers``). Abbreviations
    keep theirs; any other word with no case (most scripts) decides nothing."""
    bare = word.text[:-1]
    return (
        word.text.endswith(".")
        and _stop_may_end(bare)
        and any(c.isalnum() for c in bare)
        and (after.text.strip()[:1].islower() or between_numbers(word, after))
    )


def _stop_may_end(bare: str) -> bool:
    """Whether a full stop after ``bare`` can end a sentence: not after an abbreviation ("Dr",
    "e.g") nor inside a number ("3.30")."""
    bare = bare.strip()
    return "." not in bare and bare.lower() not in ABBREVIATIONS


def ends_sentence(text: str) -> bool:
    """Whether a word ("everyone.", "why?") ends a sentence: a full stop after an abbreviation
    ("Dr.", "e.g.") or in a number ("3.30.") may not."""
    word = text.strip()
    if not word.endswith((".", "?", "!")):
        return False
    return word[-1] != "." or _stop_may_end(word[:-1])


def stray_stops(words: list[Word]) -> list[Word]:
    """The hypothesis without full stops that end no sentence (``ends_no_sentence``)."""
    out = list(words)
    for index in range(len(out) - 1):
        word = out[index]
        if ends_no_sentence(word, out[index + 1]):
            out[index] = Word(word.text[:-1], word.start, word.end, word.probability)
    return out


JOINERS = "-.,;:!?'\"…"  # what a continuing token may start with


def standalone(words: list[Word]) -> list[Word]:
    """The hypothesis with no leading continuation token.

    Whisper writes a token that continues the word before it without a leading space ("-5."
    after "1-2-3-4"). At the start of a step's fresh words the word it continues is already
    final and cannot be revised, so the token becomes a word of its own ("5."); punctuation
    alone is dropped (it belongs to the final before it).
    """
    while words and not words[0].text[:1].isspace():
        first = words[0]
        core = first.text.lstrip(JOINERS)
        if any(c.isalnum() for c in core):
            return [Word(" " + core, first.start, first.end, first.probability), *words[1:]]
        words = words[1:]
    return words


BATCH_LOOP_WORDS = 5  # in batch, a phrase this long said again in a row may be a loop
BATCH_LONGEST = 40  # …up to this many words (Whisper can repeat a whole sentence)


def batch_loops(words: list[Word]) -> list[Word]:
    """A batch transcript without Whisper's loops: a phrase of ``BATCH_LOOP_WORDS`` words or
    more said three times or more in a row, or said twice where the second saying has less
    than ``SQUEEZED`` of the first's audio under it, is kept once. A phrase the speaker
    really says twice has as much audio the second time, and stays; so do shorter repeats
    ("no, no, no")."""
    keys = [normal(w.text) for w in words]
    kept: list[Word] = []
    index = 0
    while index < len(words):
        size = _looping(words, keys, index)
        if size:
            kept.extend(words[index : index + size])
            times = 1
            while (
                keys[index + size * times : index + size * (times + 1)]
                == keys[index : index + size]
            ):
                times += 1
            index += size * times
        else:
            kept.append(words[index])
            index += 1
    return kept


def _looping(words: list[Word], keys: list[str], index: int) -> int:
    """The length of the looping phrase that starts at ``index`` (the shortest: a loop's
    period, not two turns of it), or 0."""
    for size in range(BATCH_LOOP_WORDS, min(BATCH_LONGEST, (len(words) - index) // 2) + 1):
        phrase = keys[index : index + size]
        if keys[index + size : index + 2 * size] != phrase:
            continue
        third = keys[index + 2 * size : index + 3 * size] == phrase
        first = _heard(words[index : index + size])
        if third or _heard(words[index + size : index + 2 * size]) < SQUEEZED * first:
            return size
    return 0


def _heard(words: list[Word]) -> float:
    """Seconds of audio under the words."""
    return sum(max(0.0, w.end - w.start) for w in words)
