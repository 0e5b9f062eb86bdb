"""What every request handler of the engine shares: the model, the folders, the limits, the jobs.

Its own module, so the API modules and the server all import it and none imports another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

from tui.engine.jobs import JobManager
from tui.engine.scheduler import InferenceScheduler
from tui.paths import DataPaths

if TYPE_CHECKING:
    from tui.engine.asr import SpeechModel
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
    paths: DataPaths
    limits: Limits
    api_key: str | None = field(default=None, repr=False)
    scheduler: InferenceScheduler = field(default_factory=InferenceScheduler)
    sessions: int = 0
    """Started real-time sessions."""
    unstarted: int = 0
    """WebSockets that have not sent StartRecognition yet."""
    jobs: JobManager = field(init=False)

    def __post_init__(self) -> None:
        self.jobs = JobManager(
            self.paths.engine, self.scheduler, self.recognizer, self.limits.max_audio_s
        )


ENGINE = web.AppKey("engine", Engine)
"""Where the aiohttp application keeps the engine."""
