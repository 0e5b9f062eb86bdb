"""Pilot test helpers: the app against the real local engine."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tui.app import SmTuiApp, make_app
from tui.core.target import EngineTarget, local_target
from tui.settings import Settings


def engine_target(engine: Any) -> EngineTarget:
    """The session's engine as a dashboard target."""
    return local_target(engine.batch_url, engine.rt_url, engine.api_key, "tiny.en")


def app_for(data: Path, engine: Any | None = None, **kwargs: Any) -> SmTuiApp:
    """An app on the session engine (or, without one, starting its own)."""
    settings = kwargs.pop("settings", None) or Settings(data_dir=data)
    target = engine_target(engine) if engine is not None else kwargs.pop("target", None)
    return make_app(settings, target=target, **kwargs)


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 60.0) -> None:
    """Let the app run until ``condition`` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.1)


def notices(app: SmTuiApp) -> str:
    """Every notification shown so far, joined."""
    return "\n".join(str(n.message) for n in app._notifications)
