"""A running real-time session's load, read from the local engine's extension endpoint
(``tui.shared.extensions.SESSION_LOAD_PATH``) while the session runs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from tui.core.target import EngineTarget

LOAD_EVERY_S = 1.0  # how often the engine is asked for the session's compute


async def follow_load(
    target: EngineTarget,
    session_id: Callable[[], str | None],
    heard: Callable[[dict[str, Any]], None],
    patient: bool = False,
) -> None:
    """Ask every ``LOAD_EVERY_S`` for the load of the session ``session_id()`` names (once it
    names one), and hand each answer to ``heard``; until cancelled.

    An engine that does not answer the first time (Speechmatics) is asked no more, unless
    ``patient``: the local engine answers 404 until a session's first step, so a caller that
    knows its engine is local keeps asking.
    """
    import aiohttp

    from tui.shared.extensions import SESSION_LOAD_PATH

    base = target.batch_url.rstrip("/").removesuffix("/v2")
    headers = target.headers
    answered = False
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            while True:
                await asyncio.sleep(LOAD_EVERY_S)
                named = session_id()
                if named is None:
                    continue
                path = SESSION_LOAD_PATH.format(session_id=named)
                try:
                    async with http.get(base + path, headers=headers) as answer:
                        body = await answer.json() if answer.status == 200 else None
                except (aiohttp.ClientError, TimeoutError, ValueError):
                    if not patient:
                        return
                    continue
                if body is None:
                    if not answered and not patient:
                        return
                    continue
                answered = True
                heard(body)
    except (aiohttp.ClientError, TimeoutError):
        return
