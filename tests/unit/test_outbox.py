"""A client whose socket takes no more replies is cut off after a while, not held forever."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

import pytest

from tui.engine.realtime import api
from tui.engine.realtime.api import RealtimeSession


class Full:
    """A socket whose buffers are full: a reply is never taken."""

    closed = False

    def __init__(self) -> None:
        self.taken: list[str] = []

    async def send_str(self, data: str) -> None:
        self.taken.append(data)
        await asyncio.Event().wait()


async def test_a_reply_the_socket_never_takes_cuts_the_client_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(api, "UNREAD_SECONDS", 0.05)
    ws = Full()
    engine = SimpleNamespace(recognizer=None, limits=None)
    registry = SimpleNamespace(unstarted=0)
    session = RealtimeSession(cast(Any, engine), cast(Any, registry), cast(Any, ws))
    # Fewer replies than MAX_OUTBOX: before, only a full outbox cut a client off, so a client
    # that stopped sending once the kernel's buffers had filled was held until its idle limit.
    session.send({"message": "AudioAdded", "seq_no": 1})
    session.send({"message": "AudioAdded", "seq_no": 2})
    await asyncio.wait_for(session._send_loop(), 5)
    assert session.not_reading.is_set()
    assert len(ws.taken) == 1
