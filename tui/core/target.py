"""Which engine the SDK clients talk to, and how the dashboard names it."""

from __future__ import annotations

from dataclasses import dataclass, field

from tui.settings import Settings

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
    return EngineTarget(batch_url, rt_url, api_key, f"local engine · {model}", local=True)
