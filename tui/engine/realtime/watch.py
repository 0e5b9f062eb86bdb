"""The real-time limits, as Speechmatics has them: a deadline to start, idleness, session age.

Each watcher runs as a task of its session and ends it with an Error (and a close) when its
limit passes, after the Warnings the protocol describes.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol

from tui.engine.context import Limits


class Watched(Protocol):
    """What a watcher needs of a session."""

    limits: Limits
    last_audio: float  # monotonic time of the last audio frame

    @property
    def started(self) -> bool:
        """Whether StartRecognition came."""

    @property
    def ended_stream(self) -> bool:
        """Whether the client has ended its audio: silence from it is then expected."""

    def send(self, message: dict[str, Any]) -> None:
        """Queue a message for the client."""

    def fail(self, kind: str, reason: str) -> None:
        """Send an Error and close."""


def span(seconds: float) -> str:
    """``15m`` or ``3s``, as the protocol's reasons write times."""
    return f"{seconds / 60:g}m" if seconds >= 60 else f"{seconds:g}s"


def warning_points(limit: float, marks: tuple[float, ...]) -> list[float]:
    """Seconds before ``limit`` at which to warn: the protocol's marks, or 1/4 of a short limit."""
    points = [p for p in marks if p < limit]
    return points or [limit / 4]


def warning(kind: str, reason: str) -> dict[str, Any]:
    """A Warning message."""
    return {"message": "Warning", "type": kind, "reason": reason}


async def watch_start(session: Watched) -> None:
    """A connection that never sends StartRecognition is closed, not kept."""
    limit = session.limits.start_timeout_s
    await asyncio.sleep(limit)
    if not session.started:
        session.fail("idle_timeout", f"No StartRecognition within {span(limit)}")


async def watch_idle(session: Watched) -> None:
    """Warn at 15, 10 and 5 minutes before the idle limit (Speechmatics: 1 h), then close.
    A client that has ended its audio is waiting for its last words, not idle: the watch ends
    (the session then ends with EndOfTranscript, or at its longest duration)."""
    limit = session.limits.idle_s
    points = warning_points(limit, (900.0, 600.0, 300.0))
    warned: set[float] = set()
    while not session.ended_stream:
        idle = time.monotonic() - session.last_audio
        if idle >= limit:
            session.fail("idle_timeout", f"Session timed out: no audio sent within {span(limit)}")
            return
        if idle < 1.0:
            warned.clear()  # audio came: the warnings start again
        for before in points:
            if before not in warned and idle >= limit - before:
                warned.add(before)
                session.send(
                    warning(
                        "idle_timeout",
                        (
                            f"Session will timeout in {span(before)} due to inactivity, "
                            f"no audio sent within the last {span(limit - before)}"
                        ),
                    )
                )
        await asyncio.sleep(min(1.0, limit / 20))


async def watch_duration(session: Watched) -> None:
    """Warn before the longest session (Speechmatics: 48 h), then close at it."""
    limit = session.limits.max_session_s
    started = time.monotonic()
    for before in sorted(warning_points(limit, (2700.0, 1800.0, 900.0)), reverse=True):
        await asyncio.sleep(max(0.0, started + limit - before - time.monotonic()))
        session.send(
            warning(
                "session_timeout",
                (
                    f"Session will timeout in {span(before)} due to max duration, "
                    f"session has been active for {span(limit - before)}"
                ),
            )
        )
    await asyncio.sleep(max(0.0, started + limit - time.monotonic()))
    session.fail("session_timeout", f"Session reached its maximum duration of {limit:g}s")
