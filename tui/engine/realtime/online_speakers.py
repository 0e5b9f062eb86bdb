"""Real-time speaker labels: each final stretch of speech goes to the nearest voice heard so far.

Finals come a few words at a time, so the voices are found online: the words of a step's finals
are split into stretches at pauses, each stretch's d-vector is compared with the voices' centroids
(cosine), and it joins the nearest if it is close enough (``speaker_sensitivity``), or becomes a
new voice while there are fewer than ``max_speakers``. A stretch too short to say much takes the
speaker before it. ``prefer_current_speaker`` makes the speaker before it win near-ties.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import numpy as np

from tui.engine.recognition.asr import Word
from tui.engine.recognition.speakers import MIN_EMBED_S, SpeakerSettings, identifier
from tui.shared.audio import RATE

PAUSE_S = 0.3  # a pause this long between words may be a change of speaker
SPAN_S = 1.5  # a shorter stretch is described by this much audio around its middle
NEW_MARGIN = 0.1  # a new voice must be this much further than the sensitivity's threshold
CURRENT_BONUS = 0.1  # prefer_current_speaker: the speaker before wins by this much similarity
Embed = Callable[[np.ndarray], Awaitable[np.ndarray]]


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
            Voice(n, centroid.copy(), heard=False) for n, (_, centroid) in enumerate(settings.known)
        ]
        self.labels = {n: name for n, (name, _) in enumerate(settings.known)}
        self.current: str | None = None

    async def label(self, words: list[Word], audio: np.ndarray, start: float) -> list[str]:
        """Each word's speaker; ``audio`` holds the words, from stream time ``start``."""
        out: list[str] = []
        for first, last in _stretches(words):
            span_start, span_end = words[first].start, words[last].end
            if span_end - span_start < SPAN_S:  # widen around the middle: a word or two says
                middle = (span_start + span_end) / 2  # too little of a voice
                span_start, span_end = middle - SPAN_S / 2, middle + SPAN_S / 2
            piece = audio[max(0, int((span_start - start) * RATE)) : int((span_end - start) * RATE)]
            if len(piece) < MIN_EMBED_S * RATE and self.current is not None:
                who = self.current
            else:
                who = self._assign(await self.embed(piece))
            out.extend([who] * (last - first + 1))
            self.current = who
        return out

    def _assign(self, vector: np.ndarray) -> str:
        best, best_similarity = None, -1.0
        for voice in self.voices:
            similarity = float(voice.centroid @ vector)
            if self.settings.prefer_current and self.labels.get(voice.number) == self.current:
                similarity += CURRENT_BONUS
            if similarity > best_similarity:
                best, best_similarity = voice, similarity
        far = 1 - best_similarity >= self.settings.threshold + NEW_MARGIN
        room = len(self.voices) < self.settings.max_speakers
        if best is None or (far and room):
            best = Voice(len(self.voices), vector.copy())
            self.voices.append(best)
            taken = set(self.labels.values())
            self.labels[best.number] = next(
                f"S{n}" for n in range(1, len(taken) + 2) if f"S{n}" not in taken
            )
        else:
            mean = best.centroid * best.count + vector
            best.centroid = mean / (np.linalg.norm(mean) + 1e-9)
            best.count += 1
            best.heard = True
        return self.labels[best.number]

    def speakers(self) -> list[dict[str, object]]:
        """SpeakersResult's entries: each voice's label and identifier."""
        return [
            {"label": self.labels[v.number], "speaker_identifiers": [identifier(v.centroid)]}
            for v in self.voices
            if v.heard
        ]


def _stretches(words: list[Word]) -> list[tuple[int, int]]:
    """Index ranges of words with no pause of ``PAUSE_S`` between them, and at most about
    ``2 * SPAN_S`` long (a long final, as an unpaced stream gives, is several voices' turns)."""
    out: list[tuple[int, int]] = []
    for index, word in enumerate(words):
        if out:
            first, last = out[-1]
            joined = word.start - words[last].end < PAUSE_S
            if joined and word.end - words[first].start <= 2 * SPAN_S:
                out[-1] = (first, index)
                continue
        out.append((index, index))
    return out
