"""Reading a live session's load from the engine: the local engine answers 404 until the
session's first step, so a reader that knows its engine is local keeps asking; an engine that
never answers (Speechmatics) is asked once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web

from tui.core import session_load
from tui.core.session_load import follow_load
from tui.core.target import EngineTarget
from tui.shared.extensions import SESSION_LOAD_PATH


async def engine(not_yet: int) -> tuple[web.AppRunner, str, list[str]]:
    """An engine that answers 404 ``not_yet`` times, then the session's load."""
    asked: list[str] = []

    async def load(request: web.Request) -> web.Response:
        asked.append(request.match_info["session_id"])
        if len(asked) <= not_yet:
            return web.json_response({"error": "not found"}, status=404)
        return web.json_response({"compute_s": 1.5, "compute_ratio": 0.4})

    app = web.Application()
    app.router.add_get(SESSION_LOAD_PATH, load)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/v2", asked


@pytest.mark.parametrize("patient", [True, False])
async def test_a_local_engine_is_asked_until_it_answers(
    patient: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_load, "LOAD_EVERY_S", 0.01)
    runner, url, asked = await engine(not_yet=2)
    target = EngineTarget(url, url.replace("http", "ws"), "key", "local engine", local=patient)
    heard: list[dict[str, Any]] = []
    got = asyncio.Event()

    def hear(body: dict[str, Any]) -> None:
        heard.append(body)
        got.set()

    following = asyncio.create_task(follow_load(target, lambda: "abc", hear, patient=target.local))
    try:
        if patient:
            await asyncio.wait_for(got.wait(), timeout=10)
            assert heard[0]["compute_ratio"] == 0.4 and asked[:3] == ["abc"] * 3
        else:
            await asyncio.wait_for(following, timeout=10)  # gave up at the first 404
            assert heard == [] and asked == ["abc"]
    finally:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)
        await runner.cleanup()
