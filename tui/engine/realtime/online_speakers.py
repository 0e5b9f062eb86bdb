"""Real-time speaker labels: each final stretch of speech goes to the nearest voice heard so far.

Finals come a few words at a time, so the voices are found online: the words of a step's finals
are split into stretches at pauses and sentence ends, each stretch's d-vector is compared with
the voices' centroids (cosine), and it joins the nearest if it is close enough
(``speaker_sensitivity``), or becomes a new voice while there are fewer than ``max_speakers``.
Near the threshold a stretch is doubtful: it takes the nearest voice's label without moving that
voice, and two doubtful stretches in a row that are nearer each other than to any voice are a
new voice (one short stretch says too little to open a voice on, but a voice that absorbs a
newcomer's first words drifts towards the newcomer and then absorbs the rest). A stretch too
short to say much takes the speaker before it.
``prefer_current_speaker`` makes the speaker before it win near-ties. A short stretch is heard
with the audio around it; after a pause, with the audio from its start on, not the silence
before it (a turn's first word, heard mostly as the pause, went to the voice before the pause).
Where less than a second of that audio has come (a word final at the window's end), the stretch
neither moves nor opens a voice, and keeps the speaker before it unless another voice is clearly
nearer. Partials are named the same way, changing no voice (``peek``): after a turn's pause, from
the speech heard from there on, once a second of it has come.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

import numpy as np

from tui.engine.recognition.asr import Word
from tui.engine.recognition.guards import ends_sentence
from tui.engine.recognition.speakers import MIN_EMBED_S, SpeakerSettings, identifier
from tui.shared.audio import RATE

PAUSE_S = 0.3  # a pause this long between words may be a change of speaker
SPAN_S = 1.5  # a shorter stretch is described by this much audio around its middle
NEW_MARGIN = 0.1  # a new voice must be this much further than the sensitivity's threshold
CURRENT_BONUS = 0.1  # prefer_current_speaker: the speaker before wins by this much similarity
# A stretch within DOUBT_MARGIN of the threshold fits its nearest voice only doubtfully: it takes
# that voice's label but does not move its centroid (a new voice's first words, heard as the
# voice before them, would pull it towards the newcomer until every later stretch joins too).
DOUBT_MARGIN = 0.1
PAIR_MARGIN = 0.15  # two doubtful stretches this much nearer each other than to it: a new voice
MATURE = 2  # stretches before a voice's centroid is trusted enough for doubt (known voices are)
# A partial before the first final is named from at least PEEK_S of speech (the encoder looks
# at 0.8 s at a time: from 0.5 s, half of it padding, the call's agent came out nearer the
# customer), and only when one voice is PEEK_MARGIN nearer than the next. A final stretch heard
# for less (the audio after it has not come yet) moves no voice and keeps the speaker before it
# unless another voice is PEEK_MARGIN nearer.
PEEK_S = 1.0
PEEK_MARGIN = 0.1
# A partial after a pause this long, where a turn may have ended, is named afresh from its own
# speech, and waits until the voice can be told; after shorter ones it is the speaker before it's.
# Named afresh after every pause, partials inside the assistant's turns in test_09's call came out
# nearer the caller, and the Voice SDK cut the turns there.
TURN_S = 1.0
Embed = Callable[[np.ndarray], Awaitable[np.ndarray]]

log = logging.getLogger("sm_tui.engine.rt.speakers")  # one line a stretch at DEBUG


class NotYet(Enum):
    """A partial's voice cannot be told yet."""

    NOT_YET = "not yet"


NOT_YET = NotYet.NOT_YET
Peeked = str | None | NotYet


@dataclass
class Voice:
    """A voice heard in the session."""

    number: int
    centroid: np.ndarray
    count: int = 1
    heard: bool = True  # False for a known speaker (given by identifier) not heard yet


class OnlineSpeakers:
    """One channel's voices.

    Args:
        embed: A stretch of audio's d-vector (on the inference scheduler).
        settings: The session's ``speaker_diarization_config``.
    """

    def __init__(self, embed: Embed, settings: SpeakerSettings) -> None:
        self.embed = embed
        self.settings = settings
        # Known speakers are voices from the start: a stretch joins one as it would a voice
        # heard earlier in the session.
        self.voices = [
            Voice(n, centroid.copy(), count=MATURE, heard=False)
            for n, (_, centroid) in enumerate(settings.known)
        ]
        self.labels = {n: name for n, (name, _) in enumerate(settings.known)}
        self.current: str | None = None
        self.last_end: float | None = None  # where the last labelled word ended…
        self.run_start = 0.0  # …and where the speech it is part of began (after a pause)
        self.doubt: np.ndarray | None = None  # the stretch before, when it fit no voice well
        self.ended = False  # the last labelled word ended a sentence

    async def label(self, words: list[Word], audio: np.ndarray, start: float) -> list[str]:
        """Each word's speaker; ``audio`` holds the words, from stream time ``start``."""
        out: list[str] = []
        for first, last in _stretches(words):
            begin = words[first].start
            if self.last_end is None or begin - self.last_end >= PAUSE_S or self.ended:
                self.run_start = begin  # after a pause or a sentence's end: heard from here
            self.ended = ends_sentence(words[last].text)
            piece = _around(begin, words[last].end, audio, start, self.run_start)
            self.last_end = words[last].end
            if len(piece) < MIN_EMBED_S * RATE and self.current is not None:
                who = self.current
            elif len(piece) < PEEK_S * RATE and self.voices:
                # The audio after it has not come yet: too little to open or move a voice on,
                # or to change speaker on a guess (config_demo.wav's "At", heard for 0.74 s,
                # became a third voice; taking the nearest voice, a word changed speaker twice).
                who = self._nearest(await self.embed(piece))
            else:
                who = self._assign(await self.embed(piece))
            log.debug(
                "%r at %.2f s: %.2f s heard, %s",
                "".join(w.text for w in words[first : last + 1]),
                begin,
                len(piece) / RATE,
                who,
            )
            out.extend([who] * (last - first + 1))
            self.current = who
        return out

    async def peek(self, words: list[Word], audio: np.ndarray, start: float) -> list[str | None]:
        """Speakers for a partial's leading words, changing no voice; the words after them
        wait a step. A word after a turn's pause (``TURN_S``), or before any final, is named
        afresh from the speech heard from it on (``_peek_voice``); the others take the speaker
        before them. So a partial after a turn's end is not shown as the last final's speaker:
        test_09's assistant said "I'm not sure I" 3 s after the caller, the partial came as
        the caller's, and the Voice SDK ended the caller's turn with it. None: no voice is
        known."""
        out: list[str | None] = []
        speaker, end = self.current, self.last_end
        for word in words:
            if end is None or word.start - end >= TURN_S:
                found = await self._peek_voice(word.start, audio, start, speaker)
                if isinstance(found, NotYet):
                    break
                speaker = found
            out.append(speaker)
            end = word.end
        return out

    async def _peek_voice(
        self, begin: float, audio: np.ndarray, start: float, prefer: str | None
    ) -> Peeked:
        """The voice nearest the speech from stream time ``begin``, or ``prefer`` (the speaker
        before it) unless another is ``PEEK_MARGIN`` nearer. ``NOT_YET`` while under
        ``PEEK_S`` of speech has come, or, with no speaker before, no voice is clearly
        nearest."""
        if not self.voices:
            return None
        first = max(0, int((begin - start) * RATE))
        piece = audio[first : first + int(2 * SPAN_S * RATE)]
        if len(piece) < PEEK_S * RATE:
            return NOT_YET
        vector = await self.embed(piece)
        similarity = {voice.number: float(voice.centroid @ vector) for voice in self.voices}
        ranked = sorted(similarity.values())
        best = max(similarity, key=lambda number: similarity[number])
        kept = self._number(prefer)
        if kept is not None and similarity[best] - similarity[kept] < PEEK_MARGIN:
            return prefer
        if kept is None and len(ranked) > 1 and ranked[-1] - ranked[-2] < PEEK_MARGIN:
            return NOT_YET
        return self.labels[best]

    def _number(self, label: str | None) -> int | None:
        return next((n for n, name in self.labels.items() if name == label), None)

    def _nearest(self, vector: np.ndarray) -> str:
        """The label of a stretch heard too briefly to move or open a voice: the speaker
        before it, unless another voice is ``PEEK_MARGIN`` nearer (so a brief stretch does
        not flip the speaker on a guess), else the nearest voice."""
        similarity = {voice.number: float(voice.centroid @ vector) for voice in self.voices}
        best = max(similarity, key=lambda number: similarity[number])
        before = self._number(self.current)
        if before is not None and similarity[best] - similarity[before] < PEEK_MARGIN:
            best = before
        self.voices[best].heard = True
        return self.labels[best]

    def _assign(self, vector: np.ndarray) -> str:
        best, best_similarity = None, -1.0
        for voice in self.voices:
            similarity = float(voice.centroid @ vector)
            if self.settings.prefer_current and self.labels.get(voice.number) == self.current:
                similarity += CURRENT_BONUS
            if similarity > best_similarity:
                best, best_similarity = voice, similarity
        distance = 1 - best_similarity
        room = len(self.voices) < self.settings.max_speakers
        doubt, self.doubt = self.doubt, None
        if best is None or (room and distance >= self.settings.threshold + NEW_MARGIN):
            return self._new(vector)
        if room and best.count >= MATURE and distance >= self.settings.threshold - DOUBT_MARGIN:
            # Neither clearly this voice nor clearly another: two such stretches in a row that
            # are nearer each other than to any voice are a new voice's first words.
            together = max(best_similarity + PAIR_MARGIN, 1 - self.settings.threshold)
            if doubt is not None and float(doubt @ vector) >= together:
                return self._new(_unit(doubt + vector), count=2)
            self.doubt = vector  # labelled as the nearest voice, which it does not move
            best.heard = True
            return self.labels[best.number]
        best.centroid = _unit(best.centroid * best.count + vector)
        best.count += 1
        best.heard = True
        return self.labels[best.number]

    def _new(self, centroid: np.ndarray, count: int = 1) -> str:
        voice = Voice(len(self.voices), centroid.copy(), count)
        self.voices.append(voice)
        taken = set(self.labels.values())
        self.labels[voice.number] = next(
            f"S{n}" for n in range(1, len(taken) + 2) if f"S{n}" not in taken
        )
        return self.labels[voice.number]

    def speakers(self) -> list[dict[str, object]]:
        """SpeakersResult's entries: each voice's label and identifier."""
        return [
            {"label": self.labels[v.number], "speaker_identifiers": [identifier(v.centroid)]}
            for v in self.voices
            if v.heard
        ]


def _around(begin: float, end: float, audio: np.ndarray, start: float, floor: float) -> np.ndarray:
    """The audio of a stretch from ``begin`` to ``end`` (stream times; ``audio`` from
    ``start``), widened to ``SPAN_S`` when shorter (a word or two says too little of a voice):
    around its middle, but not back past ``floor``, where the speech began after a pause."""
    if end - begin < SPAN_S:
        begin = max((begin + end) / 2 - SPAN_S / 2, min(floor, begin))
        end = begin + SPAN_S
    return audio[max(0, int((begin - start) * RATE)) : int((end - start) * RATE)]


def _unit(vector: np.ndarray) -> np.ndarray:
    unit: np.ndarray = vector / (np.linalg.norm(vector) + 1e-9)
    return unit


def _stretches(words: list[Word]) -> list[tuple[int, int]]:
    """Index ranges of words with no pause of ``PAUSE_S`` and no sentence's end between them,
    and at most about ``2 * SPAN_S`` long (a long final, as an unpaced stream gives, is several
    voices' turns). A voice often changes at a sentence's end without a pause: the assistant's
    "I'm sorry," after the caller's "…Palace?" went to the caller."""
    out: list[tuple[int, int]] = []
    for index, word in enumerate(words):
        if out:
            first, last = out[-1]
            joined = word.start - words[last].end < PAUSE_S and not ends_sentence(words[last].text)
            if joined and word.end - words[first].start <= 2 * SPAN_S:
                out[-1] = (first, index)
                continue
        out.append((index, index))
    return out
