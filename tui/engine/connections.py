"""Connections under control: a cap on how many are open, a deadline for the first request,
and log lines that a flood cannot multiply.

aiohttp keeps a connection that never sends a whole request open for as long as its
keep-alive allows (an hour). ``ConnectionGuard`` wraps the protocol factory: past
``max_connections`` a new connection is closed at once, and one that has not started a request
within ``deadline_s`` is closed. ``RequestStarted`` is told by a middleware when a request
begins on a connection.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("sm_tui.engine.connections")


class _Refused(asyncio.Protocol):
    """A connection over the cap: closed as soon as it is made."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.close()


class _Guarded(asyncio.Protocol):
    """Passes everything to aiohttp's handler, and closes the connection if no request starts."""

    def __init__(self, guard: ConnectionGuard, handler: Any) -> None:
        self.guard = guard
        self.handler = handler
        self.transport: asyncio.BaseTransport | None = None
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.guard.open += 1
        loop = asyncio.get_running_loop()
        self.timer = loop.call_later(self.guard.deadline_s, self._deadline)
        self.handler.connection_made(transport)

    def _deadline(self) -> None:
        if self.transport is not None and self.transport not in self.guard.started:
            self.guard.expired += 1
            self.transport.close()

    def connection_lost(self, exc: BaseException | None) -> None:
        self.guard.open -= 1
        if self.timer is not None:
            self.timer.cancel()
        self.guard.started.discard(self.transport)
        self.handler.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self.handler.data_received(data)

    def eof_received(self) -> bool | None:
        result: bool | None = self.handler.eof_received()
        return result

    def pause_writing(self) -> None:
        self.handler.pause_writing()

    def resume_writing(self) -> None:
        self.handler.resume_writing()


class ConnectionGuard:
    """A protocol factory around aiohttp's, with the cap and the first-request deadline.

    Args:
        factory: aiohttp's protocol factory (``AppRunner.server``).
        max_connections: Connections open at once.
        deadline_s: Seconds a new connection has to start a request.
    """

    def __init__(self, factory: Callable[[], Any], max_connections: int, deadline_s: float) -> None:
        self.factory = factory
        self.max_connections = max_connections
        self.deadline_s = deadline_s
        self.open = 0
        self.refused = 0
        self.expired = 0
        self.started: set[Any] = set()
        self._limited = RateLimitedLog(log, every_s=10.0)

    def __call__(self) -> asyncio.Protocol:
        if self.open >= self.max_connections:
            self.refused += 1
            self._limited.warning(
                "refusing connections: %d are open (the limit)", self.max_connections
            )
            return _Refused()
        return _Guarded(self, self.factory())

    def request_started(self, transport: Any) -> None:
        """A request began on this connection: it is no longer at risk of the deadline."""
        if transport is not None:
            self.started.add(transport)


class RateLimitedLog:
    """Logs a kind of line at most once per ``every_s``, saying how many were held back."""

    def __init__(self, logger: logging.Logger, every_s: float) -> None:
        self.logger = logger
        self.every_s = every_s
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def warning(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._last.get(message, -1e9) < self.every_s:
            self._held[message] = self._held.get(message, 0) + 1
            return
        held = self._held.pop(message, 0)
        self._last[message] = now
        suffix = f" ({held} more like this not logged)" if held else ""
        self.logger.warning(message + suffix, *args)


def quiet_loop_errors(loop: asyncio.AbstractEventLoop) -> None:
    """The loop's own error lines (e.g. accept() failing when file descriptors run out), at a
    bounded rate: a flood of connections must not become a flood of log."""
    limited = RateLimitedLog(logging.getLogger("sm_tui.engine.loop"), every_s=10.0)

    def handler(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        kind = f"{context.get('message', 'event loop error')}: {error.__class__.__name__ if error else ''}"
        limited.warning("%s", kind)

    loop.set_exception_handler(handler)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u2028\u2029]|\n|\r")


class EscapingFormatter(logging.Formatter):
    """Escapes control characters in what is logged, so a client cannot forge log lines
    (``\\n`` in a message type) or send escape sequences to an operator's terminal."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = _CONTROL.sub(
            lambda m: m.group().encode("unicode_escape").decode("ascii"), record.message
        )
        return super().formatMessage(record)
