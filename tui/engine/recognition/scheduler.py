"""Inference lanes: real-time steps on one thread, batch pieces on another, side by side.

Each kind of work has its own lane and thread, so a real-time step never waits behind a batch
piece (seconds long); within a lane, calls run in order. The event loop only awaits futures,
so acknowledgements and WebSocket pings keep flowing during long decodes.

When the batch lane has nothing to do it takes a waiting real-time step: with two live
sessions, one's step then need not wait for the other's. A batch piece that arrives meanwhile
waits for that one step (a fraction of a second), never the other way round.

A call that ``widens`` (a real-time step) and starts while the other lane is idle with nothing
waiting holds both lanes and runs on two CTranslate2 threads: Whisper's encoder, most of a
step, then takes about half the time, and beside a one-core CPU hog the two-thread encoder
still beats the one-thread one (``docs/notes.md``: overlapping steps). Work that arrives
meanwhile waits for that one step.
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
        self._held = dict.fromkeys(LANES, False)  # lent to a wide call on the other lane
        self._changed = threading.Condition()
        for lane in LANES:
            self._queues[lane] = queue.Queue()
            name = "inference-realtime" if lane == REALTIME else "inference-batch"
            thread = threading.Thread(target=self._work, args=(lane,), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    async def run(self, priority: int, fn: Callable[..., T], *args: Any, widens: bool = False) -> T:
        """Run ``fn(*args)`` in the lane of ``priority`` and await its result.

        Args:
            widens: The call can use both cores: when the other lane is idle with nothing
                waiting as it starts, it holds that lane too and runs as ``fn(*args, wide=True)``.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queues[priority].put((next(self._counter), (fn, args, loop, future, widens)))
        return await future

    def queued(self) -> int:
        """Calls waiting for a lane (taken from a queue, a call no longer counts)."""
        return sum(q.qsize() for q in self._queues.values())

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

    def _claim(self, lane: int, widens: bool) -> int | None:
        """Mark ``lane`` busy (after any wide call holding it); with ``widens``, also hold the
        other lane when it is idle with nothing waiting. Returns the lane held, if any."""
        other = BATCH if lane == REALTIME else REALTIME
        with self._changed:
            while self._held[lane]:
                self._changed.wait()
            self._busy[lane] = True
            if widens and not self._busy[other] and all(q.empty() for q in self._queues.values()):
                self._held[other] = self._busy[other] = True
                return other
        return None

    def _release(self, lane: int, held: int | None) -> None:
        with self._changed:
            self._busy[lane] = False
            if held is not None:
                self._held[held] = self._busy[held] = False
            self._changed.notify_all()

    def _work(self, lane: int) -> None:
        while True:
            item = self._next(lane)
            if item is None:
                return
            fn, args, loop, future, widens = item
            if future.cancelled():
                continue
            held = self._claim(lane, widens)
            try:
                result = fn(*args, wide=True) if held is not None else fn(*args)
            except BaseException as exc:  # handed to the awaiting task
                loop.call_soon_threadsafe(_settle, future, None, exc)
            else:
                loop.call_soon_threadsafe(_settle, future, result, None)
            finally:
                self._release(lane, held)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
