"""Real-time translation to English: each final's audio through the model's translate task.

A session whose ``translation_config`` asks for English, in a language other than English, has
a ``Translator`` per channel. It keeps the channel's audio since the last translated final
(bounded). Finals are gathered into sentences (a final ending in ``.``, ``?`` or ``!``, or
``MAX_SENTENCE_S`` of them): each sentence's audio goes through the translate task, and
AddTranslation carries its English, in order. With ``enable_partials`` in the
translation_config, the sentence so far is translated after each final that does not end it,
as AddPartialTranslation (skipped when newer work waits: a partial is only worth its freshness).
EndOfTranscript waits until every final is translated; a sentence the model gives no English
for (its decode dropped as a loop) is said in a ``translation_failed`` Warning.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np

from tui.engine.realtime.held_audio import HeldAudio
from tui.engine.realtime.watch import warning
from tui.engine.recognition.asr import Word
from tui.shared.audio import RATE

log = logging.getLogger("sm_tui.engine.rt")

MAX_HELD_S = 120.0  # audio kept for translation; past it the oldest untranslated final goes
MAX_SENTENCE_S = 8.0  # finals gathered without a sentence end are translated after this long
PAD_S = 0.15  # around a final's span, so its first and last words are whole
Translate = Callable[[np.ndarray], Awaitable[list[Word]]]
Send = Callable[[dict[str, Any]], None]


class Translator:
    """Translates one channel's finals to English.

    Args:
        translate: Runs the model's translate task on audio (on the inference scheduler).
        send: Queues a message for the client.
        channel: The channel's label in a multichannel session.
    """

    def __init__(
        self, translate: Translate, send: Send, channel: str | None = None, partials: bool = False
    ) -> None:
        self.translate = translate
        self.send = send
        self.channel = channel
        self.partials = partials
        self._audio = HeldAudio()
        self._spans: asyncio.Queue[tuple[float, float, bool] | None] = asyncio.Queue()
        self._sentence: tuple[float, float] | None = None  # finals gathered, not yet queued
        self._task = asyncio.create_task(self._run())
        self.warned = False

    def add_audio(self, samples: np.ndarray) -> None:
        """Keep the channel's 16 kHz samples until their finals are translated."""
        if not len(samples):
            return
        self._audio.add(samples)
        if self._audio.samples > MAX_HELD_S * RATE:
            if not self.warned:
                self.warned = True
                self._failed("Translation fell too far behind; some finals were not translated")
            self._audio.drop_until(self._audio.end - MAX_HELD_S / 2)

    def final(self, start: float, end: float, text: str) -> None:
        """A final covering ``start``–``end`` (stream time) was sent: translate it with the
        rest of its sentence."""
        if end <= start:
            return
        first = start if self._sentence is None else self._sentence[0]
        self._sentence = (first, end)
        if text.rstrip().endswith((".", "?", "!")) or end - first >= MAX_SENTENCE_S:
            self._spans.put_nowait((first, end, False))
            self._sentence = None
        elif self.partials:
            self._spans.put_nowait((first, end, True))

    async def finish(self, timeout: float = 60.0) -> None:
        """Every final sent so far translated (or ``timeout`` passed)."""
        if self._sentence is not None:
            self._spans.put_nowait((*self._sentence, False))
            self._sentence = None
        self._spans.put_nowait(None)
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except TimeoutError:
            log.warning("translation did not finish in %.0f s", timeout)
            self._task.cancel()

    def close(self) -> None:
        """The session is gone."""
        self._task.cancel()

    def _failed(self, reason: str) -> None:
        self.send(warning("translation_failed", reason))

    async def _run(self) -> None:
        while (span := await self._spans.get()) is not None:
            start, end, partial = span
            if partial and not self._spans.empty():
                continue  # newer work waits: this partial would be stale when it came
            audio = self._audio.between(start - PAD_S, end + PAD_S)
            if not partial:
                self._audio.drop_until(end)
            if len(audio) < RATE // 10:
                continue
            try:
                words = await self.translate(audio)
            except Exception:  # a failed translation is said, the session goes on
                log.exception("translation failed")
                self._failed("A final could not be translated")
                continue
            text = "".join(w.text for w in words).strip()
            if not text:
                if not partial:  # said words with no English: the client is told, not left to guess
                    self._failed(
                        f"No English came from the model for the finals at {start:.1f}-{end:.1f} s"
                    )
                continue
            message: dict[str, Any] = {
                "message": "AddPartialTranslation" if partial else "AddTranslation",
                "format": "2.9",
                "language": "en",
                "results": [
                    {"content": text, "start_time": round(start, 3), "end_time": round(end, 3)}
                ],
            }
            if self.channel is not None:
                message["channel"] = self.channel
                message["results"][0]["channel"] = self.channel
            self.send(message)
