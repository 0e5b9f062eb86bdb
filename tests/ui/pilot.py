"""Pilot helpers (not fixtures): the app against an engine, a record of the messages it posts,
and waiting for the app."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from textual.message import Message
from textual.pilot import Pilot

from tests.helpers import engine_target
from tui.app import SmTuiApp, make_app
from tui.settings import Settings

M = TypeVar("M", bound=Message)


def app_for(data: Path, engine: Any | None = None, **kwargs: Any) -> SmTuiApp:
    """An app on the given engine (or, without one, starting its own local engine)."""
    settings = kwargs.pop("settings", None) or Settings(data_dir=data)
    target = engine_target(engine) if engine is not None else kwargs.pop("target", None)
    return make_app(settings, target=target, **kwargs)


class Messages:
    """Every message the app's parts post, in order (``run_test(message_hook=...)``)."""

    def __init__(self) -> None:
        self.seen: list[Message] = []

    def __call__(self, message: Message) -> None:
        self.seen.append(message)

    def of(self, kind: type[M]) -> list[M]:
        """The messages of one type, in the order they were posted."""
        return [m for m in self.seen if isinstance(m, kind)]


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 60.0) -> None:
    """Let the app run until ``condition`` holds (the timeout only guards against a hang)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.05)


def notices(app: SmTuiApp) -> str:
    """Every message the dashboard showed so far (the messages screen's list), joined."""
    return "\n".join(text for _, _, text in app.notice_log)
