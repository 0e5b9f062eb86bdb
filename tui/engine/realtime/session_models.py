"""What a real-time session runs on the engine's models, and what it costs.

``SessionModels`` chooses a session's recogniser (its operating point and language), loads the
speaker encoder when the session diarizes, and makes each call on the inference scheduler's
real-time lane: a step, a final's translation, a stretch's d-vector. Every call's time, waiting
for the lane included, counts in the session's load (``GET /v2/sm-tui/realtime/{id}``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from tui.engine.context import Engine
from tui.engine.protocol import config as cfg
from tui.engine.realtime.online_speakers import OnlineSpeakers
from tui.engine.realtime.pump import Speech, infer_window
from tui.engine.realtime.sessions import SessionLoad
from tui.engine.realtime.streaming import Window
from tui.engine.recognition.asr import Decoding, SpeechModel, Word
from tui.engine.recognition.capacity import least_delay, summary
from tui.engine.recognition.models import ENHANCED
from tui.engine.recognition.scheduler import REALTIME, InferenceStalled
from tui.engine.recognition.speakers import SpeakerEncoder, SpeakerSettings
from tui.engine.recognition.vocab import Vocabulary

log = logging.getLogger("sm_tui.engine.rt")
T = TypeVar("T")

# A session's steps on the enhanced model before its measured cost is judged again: its steps
# then weigh two thirds of the cost, the timing made when the model loaded one third.
JUDGED_AFTER_STEPS = 5
IDLE_S = 5.0  # no session this long: a model refused for what its steps cost is timed again


@dataclass(frozen=True)
class ModelChoice:
    """Which model a session runs on, and why, as its Info messages say."""

    model: SpeechModel
    max_delay: float
    fallback: str | None = None  # why the standard model runs instead of the one asked for

    def infos(self, sessions: int) -> list[dict[str, Any]]:
        """The session's Info messages (types the protocol has): the model it runs on, and
        how many sessions the engine serves within its ``max_delay``."""
        reason = (
            f"Running recognition using a broadcast model quality "
            f"(the local engine's {self.model.name}"
        )
        reason += f": {self.fallback})." if self.fallback else ")."
        quota = self.model.step_costs.capacity(self.max_delay)
        usage = (
            f"{sessions} real-time session(s) on this engine; it serves {quota} within "
            f"max_delay {self.max_delay:g} on this machine"
        )
        if sessions > quota:
            usage += ": finals will come later than max_delay. Raise max_delay to " + (
                f"{least_delay(self.model.step_costs, sessions):g}, or end another session"
            )
        return [
            {
                "message": "Info",
                "type": "recognition_quality",
                "quality": "broadcast",
                "reason": reason,
            },
            {
                "message": "Info",
                "type": "concurrent_session_usage",
                "usage": sessions,
                "quota": quota,
                "last_updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "reason": usage,
            },
        ]


def choose(
    asked: str,
    model: SpeechModel,
    standard: SpeechModel,
    config: dict[str, Any],
    sessions: int,
    can_fall_back: bool,
) -> ModelChoice:
    """The model a session runs on. The enhanced model when asked for, unless its steps are
    too slow to keep ``max_delay`` beside ``sessions`` sessions: then the standard one (the
    faster), and the reason (what the step costs, and the ``max_delay`` at which the enhanced
    model would run). Where even the standard one cannot keep it, the usage Info says so.

    Which model is the faster is judged on one thread, where both were timed alike: the
    enhanced model's two-thread cost is an estimate until it has run wide steps, and a
    two-thread timing made beside other work (a batch job as the engine starts) can come out
    above it, which once kept ``max_delay`` 1 sessions on base, 3 s late at p95."""
    max_delay = float(config.get("max_delay", 4.0))
    slow, fast = model.step_costs, standard.step_costs
    if (
        asked != ENHANCED
        or model is standard
        or not can_fall_back
        or slow.fits(sessions, max_delay)
        or fast.narrow >= slow.narrow
    ):
        return ModelChoice(model, max_delay)
    why = (
        f"operating point enhanced runs {model.name}, whose steps take "
        f"{slow.cycle(sessions):.2f} s here, more than max_delay {max_delay:g} allows; "
        f"it runs from max_delay {least_delay(slow, sessions):g}"
    )
    return ModelChoice(standard, max_delay, why)


async def retime_raised(engine: Engine, idle: Callable[[], bool]) -> None:
    """Once no real-time session runs: each loaded model that a session was refused, or changed
    from, because its steps raised its cost well over its timing (``StepCosts.raised``) is
    timed again. Its steps may have run beside a passing load (a batch job, another program),
    or on heavier windows than most; without this, it would be refused to every later session,
    since a model no session runs has no steps to correct its figure. After ``IDLE_S`` with no
    session (a client that reconnects at once is not kept waiting), on the real-time lane; a
    session that starts during the timing waits for it (a few seconds on base)."""
    await asyncio.sleep(IDLE_S)
    for point, model in engine.models.loaded.items():
        if not idle() or not model.step_costs.raised():
            continue
        before = model.step_costs.wide
        try:
            await engine.scheduler.run(REALTIME, model.retime, widens=True)
        except InferenceStalled as stalled:
            log.error("%s model %s could not be timed again: %s", point, model.name, stalled)
            continue
        log.info(
            "%s model %s timed again with no session running: %.2f s a step, where its steps "
            "had come to %.2f s; %s",
            point,
            model.name,
            model.step_costs.wide,
            before,
            summary(model.step_costs),
        )


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
        self.sessions: Callable[[], int] = lambda: 1  # sessions on the engine now
        self.on_change: Callable[[ModelChoice], None] | None = None  # hears a change of model
        self._config: dict[str, Any] = {}
        self._asked = ""
        self._steps = 0  # steps run on the enhanced model

    def configure(self, config: dict[str, Any]) -> None:
        """Language and hints from a validated transcription_config (before ``load_models``)."""
        self.vocab = Vocabulary.from_config(config)
        self.decoding = Decoding(
            language=cfg.to_whisper(str(config["language"])),
            hotwords=self.vocab.hotwords if self.vocab else None,
        )
        self.speaker_settings = SpeakerSettings.from_config(config)

    async def load_models(self, config: dict[str, Any], sessions: int) -> ModelChoice:
        """The recogniser the config asks for, unless it cannot keep the session's
        ``max_delay`` beside ``sessions`` sessions (this one included) and the standard model
        is faster (``choose``); and, when it diarizes, the speaker encoder. The enhanced model loads
        on first need (seconds; the engine loads it at start, ``ModelSet.preload``).

        Raises:
            ModelLoadError: A model's package is missing or broken.
        """
        models = self.engine.models
        asked = models.point_for(config, self.engine.rt_point)
        self._asked, self._config = asked, config
        wanted = await models.get(asked)
        choice = choose(
            asked,
            wanted,
            models.standard,
            config,
            sessions,
            can_fall_back=self._standard_knows(config),
        )
        self.model = choice.model
        if choice.fallback:
            wanted.step_costs.refused = True
        await asyncio.to_thread(self.model.widen)  # real-time steps may run on both cores
        if cfg.labels_speakers(config):
            self.encoder = await models.encoder()
        return choice

    def _standard_knows(self, config: dict[str, Any]) -> bool:
        """Whether the standard model can serve the config's language."""
        return config.get("language") == "en" or not self.engine.models.english_only

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

        def step(widens: bool) -> Awaitable[tuple[list[Word], Speech]]:
            return scheduler.run(REALTIME, infer_window, self.model, window, widens=widens)

        try:
            try:
                words, speech = await self._timed(lambda: step(self.model.widens))
            except InferenceStalled as stalled:
                if not stalled.wide:
                    raise
                # The two-thread copy's one worker is stuck: every session goes on one thread
                # from now on, and this window is heard again there.
                log.error("%s: real time runs on one thread from now on", stalled)
                self.model.give_up_wide()
                words, speech = await self._timed(lambda: step(False))
        finally:
            self.load.audio_s = max(self.load.audio_s, window.end)
        await self._keep_max_delay()
        return (self.vocab.correct(words) if self.vocab else words), speech

    async def _keep_max_delay(self) -> None:
        """After a step on the enhanced model: where its steps, as they ran, turned out too
        slow to keep ``max_delay`` beside the sessions now running, the standard model from
        the next step on (``choose``, as at the start), and the session is told. The cost timed
        as a model loads can be off by a fifth (anything beside it on the machine), and on a
        2-core AMD EPYC base was judged to keep ``max_delay`` 1 and then stepped every 0.75 s,
        finals 2.8 s late at p95; a session never changes back."""
        standard = self.engine.models.standard
        if self.model is standard or self._asked != ENHANCED:
            return
        self._steps += 1
        if self._steps < JUDGED_AFTER_STEPS:
            return
        choice = choose(
            self._asked,
            self.model,
            standard,
            self._config,
            self.sessions(),
            can_fall_back=self._standard_knows(self._config),
        )
        if choice.model is self.model:
            return
        log.warning(
            "real time runs %s from %.1f s: %s", standard.name, self.load.audio_s, choice.fallback
        )
        self.model.step_costs.refused = True
        await asyncio.to_thread(standard.widen)
        self.model = standard
        if self.on_change is not None:
            self.on_change(choice)

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

    @staticmethod
    async def peek(speakers: OnlineSpeakers, words: list[Word], window: Window) -> list[str | None]:
        """The speakers of a partial's leading words, from the window that holds them."""
        return await speakers.peek(words, window.audio, window.start)
