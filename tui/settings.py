"""One typed settings object, built from the environment and an optional ``.env`` file.

Nothing else in sm-tui reads the environment: the settings are built once at start-up and
passed in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from tui.paths import default_data_dir

DEFAULT_MODEL = "tiny.en"


class SettingsError(ValueError):
    """A setting has a value sm-tui cannot use."""


def mask_key(key: str | None) -> str:
    """Return a form of an API key that is safe to show: ``sk…1a2b``.

    Args:
        key: The secret, or None.

    Returns:
        Two leading and four trailing characters around an ellipsis, or ``(none)``.
    """
    if not key:
        return "(none)"
    if len(key) <= 8:
        return "…" + "•" * 4
    return f"{key[:2]}…{key[-4:]}"


PRICED = ("batch_standard", "batch_enhanced", "realtime_standard", "realtime_enhanced")


@dataclass(frozen=True)
class Prices:
    """US dollars per audio hour by mode and operating point (``SM_TUI_PRICE_BATCH_ENHANCED``…);
    None where not set."""

    batch_standard: float | None = None
    batch_enhanced: float | None = None
    realtime_standard: float | None = None
    realtime_enhanced: float | None = None

    def of(self, mode: str, model: str) -> float | None:
        """The price of an hour of audio in ``mode`` on ``model``."""
        value = getattr(self, f"{mode}_{model}", None)
        return None if value is None else float(value)


@dataclass(frozen=True)
class Settings:
    """Everything configurable in sm-tui.

    Attributes:
        api_key: Speechmatics API key. None selects the embedded local engine.
        batch_url: Batch API base URL (ending in /v2), or None for the default.
        rt_url: Real-time WebSocket URL, or None for the default.
        engine_model: Whisper model for the local engine: ``tiny.en`` (bundled), a
            CTranslate2 model folder, or a faster-whisper model name.
        engine_host: Interface the local engine binds to.
        engine_port: Port ``sm-tui serve`` listens on; 0 picks a free one (the dashboard's
            own engine always takes a free one).
        engine_api_key: Key the local engine demands (``serve``); None accepts any key.
        engine_max_upload_mb: Largest batch upload the local engine accepts.
        engine_retention_s: Seconds a finished local job and its audio are kept.
        engine_max_sessions: Real-time sessions the local engine runs at once.
        engine_max_session_s: Longest real-time session the local engine allows (Speechmatics:
            48 h).
        engine_max_audio_hours: Longest audio a batch job may hold; longer is refused.
        engine_max_queued_jobs: Unfinished batch jobs the engine holds; more get 429.
        engine_idle_s: A real-time session with no audio for this long is closed (Speechmatics:
            1 h); a Warning comes first.
        engine_start_timeout_s: A WebSocket that sends no StartRecognition in this time is
            closed, and so is a connection that sends no whole request.
        engine_enhanced: Whether the local engine offers the multilingual ``enhanced`` model
            (Whisper base, reassembled from its packages on first use).
        engine_preload: Whether the local engine loads the enhanced model in the background as
            soon as it serves (the official SDKs ask for it by default), rather than on first
            use.
        batch_concurrency: Batch jobs the dashboard runs at once.
        batch_operating_point: ``operating_point`` of the dashboard's batch jobs (``enhanced``:
            the most accurate).
        rt_operating_point: ``operating_point`` of live sessions (``standard``: the fastest).
        language: Transcription language.
        diarization: ``none``, ``speaker`` (who speaks, in batch and live) or ``channel`` (each
            channel of a batch file on its own; live sessions then label speakers).
        max_delay: Real-time ``max_delay`` in seconds.
        max_session_s: Audio seconds after which a live session switches to a new API session.
        keep_recordings: Whether live sessions' audio is written to ``<data dir>/recordings``
            as FLAC while they stream.
        data_dir: Where sm-tui keeps its data (store, exports, engine files).
        prices: US dollars per audio hour on Speechmatics (and other remote targets), by mode
            and operating point, for ``sm-tui compare``'s cost column. No default: prices
            depend on the plan and change, so each is None (no cost shown) until set; the
            local engine's cost is its compute.
    """

    api_key: str | None = field(default=None, repr=False)
    batch_url: str | None = None
    rt_url: str | None = None
    engine_model: str = DEFAULT_MODEL
    engine_host: str = "127.0.0.1"
    engine_port: int = 8900
    engine_api_key: str | None = field(default=None, repr=False)
    engine_max_upload_mb: int = 512
    engine_retention_s: int = 24 * 3600
    engine_max_sessions: int = 4
    engine_max_session_s: float = 48 * 3600
    engine_max_audio_hours: float = 8.0
    engine_max_queued_jobs: int = 32
    engine_idle_s: float = 3600.0
    engine_start_timeout_s: float = 15.0
    engine_enhanced: bool = True
    engine_preload: bool = True
    batch_concurrency: int = 2
    batch_operating_point: str = "enhanced"
    rt_operating_point: str = "standard"
    language: str = "en"
    diarization: str = "none"
    max_delay: float = 1.0
    max_session_s: float = 47 * 3600 + 50 * 60
    keep_recordings: bool = True
    data_dir: Path = field(default_factory=default_data_dir)
    prices: Prices = field(default_factory=Prices)

    @property
    def uses_local_engine(self) -> bool:
        """True when no key is set, so the embedded engine serves both APIs."""
        return not self.api_key

    @property
    def masked_key(self) -> str:
        """The API key in a form that is safe to display."""
        return mask_key(self.api_key)

    def with_changes(self, **changes: object) -> Settings:
        """Return a copy with some fields replaced."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def load(
        cls,
        environ: Mapping[str, str] | None = None,
        dotenv_path: Path | None = None,
    ) -> Settings:
        """Build settings from the environment, falling back to a ``.env`` file.

        Args:
            environ: The environment to read; ``os.environ`` when None.
            dotenv_path: A ``.env`` file to read first (the environment wins over it).
                When None, ``.env`` in the current directory is used if present.

        Returns:
            The settings.

        Raises:
            SettingsError: A value has the wrong type or range.
        """
        from dotenv import dotenv_values

        env: dict[str, str] = {}
        path = dotenv_path if dotenv_path is not None else Path.cwd() / ".env"
        if path.is_file():
            env.update({k: v for k, v in dotenv_values(path).items() if v is not None})
        env.update(os.environ if environ is None else environ)
        return cls.from_mapping(env)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from a mapping of variable names to values."""

        def text(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def number(name: str, default: Any, low: float, high: float) -> float:
            raw = text(name)
            if raw is None:
                return float(default)
            try:
                value = float(raw)
            except ValueError:
                raise SettingsError(f"{name} must be a number, not {raw!r}") from None
            if not low <= value <= high:
                raise SettingsError(f"{name} must be between {low:g} and {high:g}")
            return value

        def choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
            value = (text(name) or default).lower()
            if value not in allowed:
                raise SettingsError(f"{name} must be {' or '.join(allowed)}, not {value!r}")
            return value

        def point(name: str, default: str) -> str:
            return choice(name, default, ("standard", "enhanced"))

        data_dir = text("SM_TUI_DATA_DIR")
        d = _defaults()
        return cls(
            api_key=text("SPEECHMATICS_API_KEY"),
            batch_url=text("SPEECHMATICS_BATCH_URL"),
            rt_url=text("SPEECHMATICS_RT_URL"),
            engine_model=text("SM_TUI_ENGINE_MODEL") or d["engine_model"],
            engine_host=text("SM_TUI_ENGINE_HOST") or d["engine_host"],
            engine_port=int(number("SM_TUI_ENGINE_PORT", d["engine_port"], 0, 65535)),
            engine_api_key=text("SM_TUI_ENGINE_API_KEY"),
            engine_max_upload_mb=int(
                number("SM_TUI_ENGINE_MAX_UPLOAD_MB", d["engine_max_upload_mb"], 1, 10240)
            ),
            engine_retention_s=int(
                number("SM_TUI_ENGINE_RETENTION_S", d["engine_retention_s"], 1, 10**8)
            ),
            engine_max_sessions=int(
                number("SM_TUI_ENGINE_MAX_SESSIONS", d["engine_max_sessions"], 1, 64)
            ),
            engine_max_session_s=number(
                "SM_TUI_ENGINE_MAX_SESSION_S", d["engine_max_session_s"], 2.0, 48 * 3600
            ),
            engine_max_audio_hours=number(
                "SM_TUI_ENGINE_MAX_AUDIO_HOURS", d["engine_max_audio_hours"], 0.001, 48
            ),
            engine_max_queued_jobs=int(
                number("SM_TUI_ENGINE_MAX_QUEUED_JOBS", d["engine_max_queued_jobs"], 1, 10000)
            ),
            engine_idle_s=number("SM_TUI_ENGINE_IDLE_S", d["engine_idle_s"], 1, 48 * 3600),
            engine_start_timeout_s=number(
                "SM_TUI_ENGINE_START_TIMEOUT_S", d["engine_start_timeout_s"], 1, 3600
            ),
            engine_enhanced=(text("SM_TUI_ENGINE_ENHANCED") or "1").lower()
            not in ("0", "false", "no", "off"),
            engine_preload=(text("SM_TUI_ENGINE_PRELOAD") or "1").lower()
            not in ("0", "false", "no", "off"),
            batch_concurrency=int(
                number("SM_TUI_BATCH_CONCURRENCY", d["batch_concurrency"], 1, 32)
            ),
            batch_operating_point=point("SM_TUI_BATCH_OPERATING_POINT", d["batch_operating_point"]),
            rt_operating_point=point("SM_TUI_RT_OPERATING_POINT", d["rt_operating_point"]),
            language=text("SM_TUI_LANGUAGE") or d["language"],
            diarization=choice(
                "SM_TUI_DIARIZATION",
                d["diarization"],
                ("none", "speaker", "channel", "channel_and_speaker"),
            ),
            max_delay=number("SM_TUI_MAX_DELAY", d["max_delay"], 0.7, 4.0),
            max_session_s=number("SM_TUI_MAX_SESSION_S", d["max_session_s"], 2.0, 48 * 3600),
            keep_recordings=(text("SM_TUI_KEEP_RECORDINGS") or "1").lower()
            not in ("0", "false", "no", "off"),
            data_dir=Path(data_dir).expanduser() if data_dir else default_data_dir(),
            prices=Prices(
                *(
                    number(f"SM_TUI_PRICE_{name.upper()}", 0, 0, 10_000)
                    if text(f"SM_TUI_PRICE_{name.upper()}")
                    else None
                    for name in PRICED
                )
            ),
        )


def _defaults() -> dict[str, Any]:
    """The defaults of the fields that have a plain one: they are written once, above."""
    return {f.name: f.default for f in fields(Settings) if f.default is not MISSING}
