"""Inference lanes: real-time steps on one thread, batch pieces on another, side by side.

tiny.en runs as fast on one core as on two (measured: a 28 s batch piece 1.1 s either way, an
8 s real-time window 0.33 s on one thread against 0.40 s on two), so the engine gives each
kind of work its own lane and thread, with one CTranslate2 thread each: a real-time step
never waits behind a batch piece, and an engine beside a busy core does not stall on threads
waiting for each other. Within a lane, calls run in order. The event loop only awaits
futures, so acknowledgements and WebSocket pings keep flowing during long decodes.

When the batch lane has nothing to do it takes a waiting real-time step: with two live
sessions, one's step then need not wait for the other's. A batch piece that arrives meanwhile
waits for that one step (a fraction of a second), never the other way round. ``spare()`` says
whether a call made now would start at once: a live session then overlaps its next step with
the one under way (``rt_pump``).
"""

from __future__ import annotations

import asyncio
import itertools
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

REALTIME = 0
BATCH = 1
LANES = (REALTIME, BATCH)
STEAL_POLL_S = 0.02  # how often an idle batch lane looks for a waiting real-time step


class InferenceScheduler:
    """Runs blocking calls on one worker thread per lane (real time, batch)."""

    def __init__(self) -> None:
        self._counter = itertools.count()
        self._queues: dict[int, queue.Queue[tuple[int, Any]]] = {}
        self._threads: list[threading.Thread] = []
        self._busy = dict.fromkeys(LANES, False)
        for lane in LANES:
            self._queues[lane] = queue.Queue()
            name = "inference-realtime" if lane == REALTIME else "inference-batch"
            thread = threading.Thread(target=self._work, args=(lane,), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    async def run(self, priority: int, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` in the lane of ``priority`` and await its result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queues[priority].put((next(self._counter), (fn, args, loop, future)))
        return await future

    def spare(self) -> bool:
        """Whether a lane is idle with nothing waiting: a call made now starts at once, beside
        whatever runs (a live session may then overlap its steps)."""
        waiting = any(not self._queues[lane].empty() for lane in LANES)
        return not waiting and self.busy_lanes() < len(LANES)

    def busy_lanes(self) -> int:
        """Lanes running a call now."""
        return sum(self._busy.values())

    def close(self, wait_s: float = 0.0) -> None:
        """Stop the lanes after the calls under way (calls still queued are dropped).

        Args:
            wait_s: How long to wait for the calls under way to finish (a process that exits
                while native inference code runs can abort).
        """
        for lane in LANES:
            self._drop_queued(lane)
            self._queues[lane].put((-1, None))
        for thread in self._threads if wait_s else ():
            thread.join(wait_s)

    def _drop_queued(self, lane: int) -> None:
        with self._queues[lane].mutex:
            self._queues[lane].queue.clear()

    def _next(self, lane: int) -> Any:
        """The lane's next call; the batch lane, when idle, takes a waiting real-time one."""
        if lane != BATCH:
            return self._queues[lane].get()[1]
        while True:
            try:
                return self._queues[BATCH].get(timeout=STEAL_POLL_S)[1]
            except queue.Empty:
                pass
            try:
                _, item = self._queues[REALTIME].get_nowait()
            except queue.Empty:
                continue
            if item is None:  # closing: leave the real-time lane its own stop
                self._queues[REALTIME].put((-1, None))
                continue
            return item

    def _work(self, lane: int) -> None:
        while True:
            item = self._next(lane)
            if item is None:
                return
            fn, args, loop, future = item
            if future.cancelled():
                continue
            self._busy[lane] = True
            try:
                result = fn(*args)
            except BaseException as exc:  # handed to the awaiting task
                loop.call_soon_threadsafe(_settle, future, None, exc)
            else:
                loop.call_soon_threadsafe(_settle, future, result, None)
            finally:
                self._busy[lane] = False


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
