"""What a real-time session runs on the engine's models, and what it costs.

``SessionModels`` chooses a session's recogniser (its operating point and language), loads the
speaker encoder when the session diarizes, and makes each call on the inference scheduler's
real-time lane: a step, a final's translation, a stretch's d-vector. Every call's time, waiting
for the lane included, counts in the session's load (``GET /v2/sm-tui/realtime/{id}``).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import numpy as np

from tui.engine import config as cfg
from tui.engine.asr import Decoding, SpeechModel, Word
from tui.engine.context import Engine, SessionLoad
from tui.engine.rt_pump import Speech, infer_window
from tui.engine.rt_speakers import OnlineSpeakers
from tui.engine.scheduler import REALTIME
from tui.engine.speakers import SpeakerEncoder, SpeakerSettings
from tui.engine.streaming import Window
from tui.engine.vocab import Vocabulary

T = TypeVar("T")


class SessionModels:
    """A session's models and its calls to them.

    Args:
        engine: The engine (its models and scheduler).
        load: Where the session's compute is counted.
    """

    def __init__(self, engine: Engine, load: SessionLoad) -> None:
        self.engine = engine
        self.load = load
        self.model: SpeechModel = engine.recognizer
        self.decoding = Decoding()
        self.vocab: Vocabulary | None = None
        self.encoder: SpeakerEncoder | None = None
        self.speaker_settings = SpeakerSettings()

    def configure(self, config: dict[str, Any]) -> None:
        """Language and hints from a validated transcription_config (before ``load_models``)."""
        self.vocab = Vocabulary.from_config(config)
        self.decoding = Decoding(language=cfg.to_whisper(str(config["language"])),
                                 hotwords=self.vocab.hotwords if self.vocab else None)  # fmt: skip
        self.speaker_settings = SpeakerSettings.from_config(config)

    async def load_models(self, config: dict[str, Any]) -> None:
        """The recogniser the config asks for (the enhanced one loads on first need, about a
        second) and, when it diarizes, the speaker encoder.

        Raises:
            ModelLoadError: A model's package is missing or broken.
        """
        models = self.engine.models
        self.model = await models.get(models.point_for(config, self.engine.rt_point))
        await asyncio.to_thread(self.model.widen)  # real-time steps may run on both cores
        if cfg.labels_speakers(config):
            self.encoder = await models.encoder()

    def translates(self, translation: Any, language: str) -> bool:
        """Whether the session translates its finals to English (the translate task of a
        multilingual model, from another language)."""
        if not isinstance(translation, dict) or language == "en":
            return False
        return "en" in (translation.get("target_languages") or []) and self.model.multilingual

    def speakers(self) -> OnlineSpeakers | None:
        """A channel's voices, when the session diarizes."""
        return OnlineSpeakers(self.embed, self.speaker_settings) if self.encoder else None

    async def _timed(self, call: Callable[[], Awaitable[T]]) -> T:
        # Waiting for the lane counts: it is what falling behind is made of.
        with self.load.computing():
            return await call()

    async def infer(self, window: Window) -> tuple[list[Word], Speech]:
        """One step of a channel: its window's words (hints applied) and speech."""
        scheduler = self.engine.scheduler
        try:
            words, speech = await self._timed(
                lambda: scheduler.run(REALTIME, infer_window, self.model, window, widens=True)
            )
        finally:
            self.load.audio_s = max(self.load.audio_s, window.end)
        return (self.vocab.correct(words) if self.vocab else words), speech

    async def translate(self, audio: np.ndarray) -> list[Word]:
        """A final's audio in English."""
        english = Decoding(language=self.decoding.language, task="translate")
        call = functools.partial(self.model.transcribe, audio, decoding=english)
        return await self._timed(lambda: self.engine.scheduler.run(REALTIME, call))

    async def embed(self, audio: np.ndarray) -> np.ndarray:
        """A stretch of speech's d-vector."""
        assert self.encoder is not None
        encoder = self.encoder
        return await self._timed(lambda: self.engine.scheduler.run(REALTIME, encoder.embed, audio))

    @staticmethod
    async def label(speakers: OnlineSpeakers, words: list[Word], window: Window) -> list[str]:
        """Each final word's speaker, from the window that holds them."""
        return await speakers.label(words, window.audio, window.start)
