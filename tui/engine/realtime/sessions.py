"""The engine's real-time sessions: how many hold slots, how many wait to start, and what each
running one has cost (``GET /v2/sm-tui/realtime/{id}``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class SessionLoad:
    """What a real-time session has cost: audio stepped through, and inference seconds (the
    time during which any of its calls was under way: overlapping steps count once)."""

    audio_s: float = 0.0
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    _done_s: float = field(default=0.0, repr=False)  # compute of busy spells that ended
    _calls: int = field(default=0, repr=False)
    _since: float = field(default=0.0, repr=False)

    @property
    def compute_s(self) -> float:
        """Seconds during which any call was under way, the current spell included."""
        return self._done_s + (self.clock() - self._since if self._calls else 0.0)

    @contextmanager
    def computing(self) -> Iterator[None]:
        """Count the time within as compute, once however many calls overlap it."""
        if not self._calls:
            self._since = self.clock()
        self._calls += 1
        try:
            yield
        finally:
            self._calls -= 1
            if not self._calls:
                self._done_s += self.clock() - self._since

    def as_json(self, session_id: str) -> dict[str, object]:
        """The extension endpoint's answer."""
        ratio = self.compute_s / self.audio_s if self.audio_s > 0 else None
        return {
            "id": session_id,
            "audio_s": round(self.audio_s, 3),
            "compute_s": round(self.compute_s, 3),
            "compute_ratio": round(ratio, 3) if ratio is not None else None,
        }


@dataclass
class SessionRegistry:
    """The counters every real-time connection updates (one registry per engine)."""

    slots: int = 0
    """Slots held by started sessions: one per channel."""
    unstarted: int = 0
    """WebSockets that have not sent StartRecognition yet."""
    loads: dict[str, SessionLoad] = field(default_factory=dict)
    """Each running session's compute, by session id."""
    background: set[asyncio.Task[None]] = field(default_factory=set)
    """Work begun as the last session ended, cancelled when the engine stops (``ended``)."""

    def spawn(self, work: Coroutine[None, None, None]) -> None:
        """Run ``work`` on its own, kept until it ends."""
        task = asyncio.create_task(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    @asynccontextmanager
    async def ended(self) -> AsyncIterator[None]:
        """Within: the engine serves; after, the work still under way is cancelled."""
        try:
            yield
        finally:
            for task in list(self.background):
                task.cancel()


SESSIONS = web.AppKey("sessions", SessionRegistry)
"""Where the aiohttp application keeps the registry."""
