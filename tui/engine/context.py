"""What both APIs share: the models, the scheduler, the folder, the limits, the key.

Its own module, so the API modules and the server all import it and none imports another.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from aiohttp import web

from tui.engine.protocol import config as cfg
from tui.engine.recognition.models import ModelSet
from tui.engine.recognition.scheduler import InferenceScheduler
from tui.paths import DataPaths

if TYPE_CHECKING:
    from tui.engine.recognition.asr import SpeechModel
    from tui.settings import Settings


@dataclass(frozen=True)
class Limits:
    """Configurable limits of the engine (their defaults live in ``Settings``)."""

    max_upload_bytes: int
    retention_s: float
    max_sessions: int
    max_session_s: float
    max_audio_s: float
    max_queued_jobs: int
    idle_s: float
    start_timeout_s: float
    max_connections: int = 256
    """Open connections at once; more are closed at accept."""
    max_unstarted: int = 16
    """WebSockets waiting for their StartRecognition at once; more are refused (503)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        """The limits the settings give."""
        return cls(
            max_upload_bytes=settings.engine_max_upload_mb * 1024 * 1024,
            retention_s=settings.engine_retention_s,
            max_sessions=settings.engine_max_sessions,
            max_session_s=settings.engine_max_session_s,
            max_audio_s=settings.engine_max_audio_hours * 3600,
            max_queued_jobs=settings.engine_max_queued_jobs,
            idle_s=settings.engine_idle_s,
            start_timeout_s=settings.engine_start_timeout_s,
        )


@dataclass
class Engine:
    """What every request handler shares."""

    recognizer: SpeechModel
    """The standard model (the fastest): the one the engine starts with."""
    paths: DataPaths
    limits: Limits
    api_key: str | None = field(default=None, repr=False)
    load_enhanced: Callable[[], SpeechModel] | None = None
    """Loads the multilingual enhanced model on first need (None: one model only)."""
    english_only: bool = True
    """Whether the standard model knows only English."""
    batch_point: str = "enhanced"
    """The operating point of a batch job that names none."""
    rt_point: str = "standard"
    """The operating point of a real-time session that names none."""
    scheduler: InferenceScheduler = field(default_factory=InferenceScheduler)
    preload: bool = False
    """Load the enhanced model in the background as soon as the engine serves."""
    models: ModelSet = field(init=False)
    languages: frozenset[str] = field(init=False)
    """The languages requests may ask for (Speechmatics codes)."""
    folder: Path = field(init=False)
    """This engine's own folder of uploads and job records (see ``claim_folder``)."""
    _lock: IO[str] | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        self.folder, self._lock = claim_folder(self.paths.engine)
        self.models = ModelSet(self.recognizer, self.load_enhanced, self.english_only)
        self.languages = cfg.whisper_languages() if self.models.multilingual else cfg.ENGLISH


def claim_folder(base: Path) -> tuple[Path, IO[str]]:
    """The first of ``engine``, ``engine-2``, ``engine-3``… that no running engine holds.

    Two engines on one data folder (the dashboard's and ``sm-tui batch``'s) must not restore
    and run each other's jobs: each holds an exclusive lock on its folder for as long as it
    runs. A folder whose engine died is free again, so the next engine picks its jobs up.
    """
    for number in range(1, 100):
        folder = base if number == 1 else base.with_name(f"{base.name}-{number}")
        folder.mkdir(parents=True, exist_ok=True)
        handle = (folder / ".lock").open("a", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        return folder, handle
    raise OSError(f"no free engine folder beside {base}")


ENGINE = web.AppKey("engine", Engine)
"""Where the aiohttp application keeps the engine."""
