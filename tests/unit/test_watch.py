"""The real-time idle watch: silence from a client that has ended its audio is not idleness."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tui.engine.context import Limits
from tui.engine.realtime.watch import watch_idle

LIMITS = Limits(
    max_upload_bytes=1,
    retention_s=1,
    max_sessions=1,
    max_session_s=60,
    max_audio_s=60,
    max_queued_jobs=1,
    idle_s=3,
    start_timeout_s=2,
)


class Session:
    """A session whose last audio came 10 s ago: past the 3 s idle limit."""

    def __init__(self, ended_stream: bool) -> None:
        self.limits = LIMITS
        self.last_audio = time.monotonic() - 10
        self.ended_stream = ended_stream
        self.started = True
        self.sent: list[dict[str, Any]] = []
        self.failed: list[tuple[str, str]] = []

    def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    def fail(self, kind: str, reason: str) -> None:
        self.failed.append((kind, reason))


async def test_a_session_without_audio_for_the_limit_is_closed() -> None:
    session = Session(ended_stream=False)
    await asyncio.wait_for(watch_idle(session), timeout=10)
    assert session.failed == [("idle_timeout", "Session timed out: no audio sent within 3s")]


async def test_a_session_waiting_for_its_last_words_after_end_of_stream_is_not_idle() -> None:
    """Seen beside a busy CPU: EndOfStream sent, the engine still hearing the last second, and
    the session closed as idle instead of ending with EndOfTranscript."""
    session = Session(ended_stream=True)
    await asyncio.wait_for(watch_idle(session), timeout=10)
    assert session.failed == [] and session.sent == []
