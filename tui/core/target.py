"""Which engine the SDK clients talk to, how it is named, and opening it.

``open_target(settings)`` is the one place that chooses: Speechmatics with a key (or the URLs
the settings name, e.g. on-premises), otherwise the embedded engine started as a child process.
Every command and the dashboard get their engine from it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from tui.settings import Settings

if TYPE_CHECKING:
    from tui.core.engine_process import EngineProcess

SAAS_BATCH_URL = "https://asr.api.speechmatics.com/v2"
SAAS_RT_URL = "wss://eu2.rt.speechmatics.com/v2"


@dataclass(frozen=True)
class EngineTarget:
    """URLs and key for both SDK clients, and a label that is safe to show."""

    batch_url: str
    rt_url: str
    api_key: str = field(repr=False)
    label: str
    local: bool = False
    batch_model: str = "enhanced"
    """The operating point batch jobs ask for (``enhanced``: the most accurate)."""
    rt_model: str = "standard"
    """The operating point live sessions ask for (``standard``: the fastest)."""
    diarization: str = "none"
    """What jobs and live sessions ask to be labelled by: none, speaker, channel…"""
    model_names: tuple[str, str] | None = None
    """What the local engine runs for standard and enhanced (None: not known)."""

    @property
    def headers(self) -> dict[str, str]:
        """The key as the SDKs send it, for requests made without them."""
        return {"Authorization": f"Bearer {self.api_key}"}

    def job_url(self, job_id: str) -> str:
        """``GET /v2/jobs/{id}`` on this target."""
        return f"{self.batch_url.rstrip('/')}/jobs/{job_id}"

    def model_label(self, point: str) -> str:
        """An operating point as the user reads it: ``enhanced (base)``."""
        if self.model_names is None:
            return point
        return f"{point} ({self.model_names[point == 'enhanced']})"

    @property
    def models_short(self) -> str:
        """Which model each mode runs, briefly: ``batch base · live tiny.en``."""
        if self.model_names is None:
            return f"batch {self.batch_model} · live {self.rt_model}"
        names = self.model_names
        return (
            f"batch {names[self.batch_model == 'enhanced']} · "
            f"live {names[self.rt_model == 'enhanced']}"
        )

    @property
    def models_label(self) -> str:
        """Which model each mode uses: ``batch enhanced (base) · real time standard (tiny.en)``."""
        return (
            f"batch {self.model_label(self.batch_model)} · "
            f"real time {self.model_label(self.rt_model)}"
        )


@dataclass(frozen=True)
class Choices:
    """What new jobs and live sessions ask for: chosen in the dashboard (``o``), first from the
    settings."""

    language: str = "en"
    batch_model: str = "enhanced"
    rt_model: str = "standard"
    diarization: str = "none"

    @classmethod
    def from_settings(cls, settings: Settings) -> Choices:
        """The settings' choices."""
        return cls(
            settings.language,
            settings.batch_operating_point,
            settings.rt_operating_point,
            settings.diarization,
        )

    def applied(self, target: EngineTarget) -> EngineTarget:
        """``target`` asking for these operating points and labels."""
        return replace(
            target,
            batch_model=self.batch_model,
            rt_model=self.rt_model,
            diarization=self.diarization,
        )

    @property
    def label(self) -> str:
        """As the status line says them: ``de · batch enhanced · live standard · speakers``."""
        labels = {
            "none": "",
            "speaker": " · speakers",
            "channel": " · channels",
            "channel_and_speaker": " · channels and speakers",
        }
        return (
            f"{self.language} · batch {self.batch_model} · live {self.rt_model}"
            f"{labels.get(self.diarization, '')}"
        )


def remote_target(settings: Settings) -> EngineTarget:
    """Speechmatics itself, or the URLs the settings name (e.g. an on-premises deployment)."""
    assert settings.api_key, "a remote target needs an API key"
    batch = settings.batch_url or SAAS_BATCH_URL
    rt = settings.rt_url or SAAS_RT_URL
    custom = settings.batch_url or settings.rt_url
    where = f"custom URL {settings.batch_url or settings.rt_url}" if custom else "Speechmatics"
    return EngineTarget(batch, rt, settings.api_key, f"{where} · key {settings.masked_key}")


def local_target(batch_url: str, rt_url: str, api_key: str, model: str) -> EngineTarget:
    """The embedded engine the dashboard started."""
    return EngineTarget(batch_url, rt_url, api_key, "local engine", local=True)


@dataclass
class OpenedTarget:
    """An engine ready for the clients, and the child process behind it if sm-tui started one."""

    target: EngineTarget
    process: EngineProcess | None = None

    def close(self) -> None:
        """Stop the local engine if it was started for this target."""
        if self.process is not None:
            self.process.stop()
            self.process = None


def open_target(
    settings: Settings,
    on_progress: Callable[[str], None] | None = None,
    extra_args: Sequence[str] = (),
) -> OpenedTarget:
    """The engine the settings choose, ready to use (blocking: a local engine loads its model).

    Args:
        settings: With a key, Speechmatics or its URLs; without, the local engine.
        on_progress: Hears each line the local engine logs while it starts.
        extra_args: More ``sm-tui serve`` options for the local engine.

    Raises:
        EngineStartError: The local engine did not start; the message says why.
    """
    batch, rt = settings.batch_operating_point, settings.rt_operating_point
    if not settings.uses_local_engine:
        return OpenedTarget(
            replace(
                remote_target(settings),
                batch_model=batch,
                rt_model=rt,
                diarization=settings.diarization,
            )
        )
    from tui.core.engine_process import start_engine

    process = start_engine(settings, extra_args=extra_args, on_progress=on_progress)
    target = local_target(process.batch_url, process.rt_url, process.api_key, settings.engine_model)
    enhanced = "base" if settings.engine_enhanced else settings.engine_model
    names = (settings.engine_model or "tiny.en", enhanced)
    return OpenedTarget(
        replace(
            target,
            model_names=names,
            batch_model=batch,
            rt_model=rt,
            diarization=settings.diarization,
        ),
        process,
    )


Reachability = Literal["ready", "refused", "unreachable"]


async def probe(target: EngineTarget, timeout_s: float = 10.0) -> tuple[Reachability, str]:
    """Whether the engine answers an authenticated request: (outcome, what was seen).

    ``ready`` needs a 200 to ``GET /jobs?limit=1`` with the key; 401 or 403 is ``refused``;
    anything else (no answer, a timeout, another status) is ``unreachable``.
    """
    import aiohttp

    headers = target.headers
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(
                f"{target.batch_url}/jobs", params={"limit": "1"}, headers=headers
            ) as answer,
        ):
            if answer.status == 200:
                return "ready", "answered"
            if answer.status in (401, 403):
                return "refused", f"HTTP {answer.status}"
            return (
                "unreachable",
                f"it answered HTTP {answer.status}, not as a Speechmatics batch API",
            )
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        return "unreachable", exc.__class__.__name__
