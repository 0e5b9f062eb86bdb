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

A call that runs past its lane's limit (``STALL_S``) is given up on: its caller gets
``InferenceStalled``, and the lane goes on with a new thread (and lets go of a lane the call
held). Native inference code cannot be interrupted, so the old thread is left to return or
not; if it does, its result is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

REALTIME = 0
BATCH = 1
LANES = (REALTIME, BATCH)
STEAL_POLL_S = 0.02  # how often an idle batch lane looks for a waiting real-time step
# A call running longer than this has stopped: a real-time step takes 0.1-3 s (base beside a
# busy CPU: under 10 s), a batch piece (up to 30 s of audio, temperature fallback) minutes.
STALL_S = {REALTIME: 60.0, BATCH: 1800.0}
WATCH_S = 1.0  # how often the running calls' times are looked at
NAMES = {REALTIME: "inference-realtime", BATCH: "inference-batch"}

log = logging.getLogger("sm_tui.engine.lanes")


class InferenceStalled(RuntimeError):
    """A call ran past its lane's limit and was given up on.

    Args:
        lane: ``REALTIME`` or ``BATCH``.
        seconds: How long it had been running.
        wide: Whether it ran on both cores (``InferenceScheduler.run``'s ``widens``).
    """

    def __init__(self, lane: int, seconds: float, wide: bool) -> None:
        kind = "wide call" if wide else "call"
        super().__init__(f"the {NAMES[lane]} {kind} has not returned in {seconds:.0f} s")
        self.lane = lane
        self.wide = wide


@dataclass
class _Running:
    """The call a lane's thread is in."""

    started: float
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    held: int | None  # the other lane, when the call runs wide


class InferenceScheduler:
    """Runs blocking calls on one worker thread per lane (real time, batch).

    Args:
        stall_s: Each lane's limit on one call (``STALL_S`` by default).
    """

    def __init__(self, stall_s: dict[int, float] | None = None) -> None:
        self._counter = itertools.count()
        self._queues: dict[int, queue.Queue[tuple[int, Any]]] = {}
        self._threads: dict[int, threading.Thread] = {}
        self._busy = dict.fromkeys(LANES, False)
        self._held = dict.fromkeys(LANES, False)  # lent to a wide call on the other lane
        self._running: dict[int, _Running | None] = dict.fromkeys(LANES)
        self._stall_s = stall_s or STALL_S
        self._closing = threading.Event()
        self._changed = threading.Condition()
        self.stalls = 0
        """Calls given up on since the start."""
        for lane in LANES:
            self._queues[lane] = queue.Queue()
            self._start_thread(lane)
        threading.Thread(target=self._watch, name="inference-watch", daemon=True).start()

    def _start_thread(self, lane: int) -> None:
        thread = threading.Thread(target=self._work, args=(lane,), name=NAMES[lane], daemon=True)
        self._threads[lane] = thread
        thread.start()

    async def run(self, priority: int, fn: Callable[..., T], *args: Any, widens: bool = False) -> T:
        """Run ``fn(*args)`` in the lane of ``priority`` and await its result.

        Args:
            widens: The call can use both cores: when the other lane is idle with nothing
                waiting as it starts, it holds that lane too and runs as ``fn(*args, wide=True)``.

        Raises:
            InferenceStalled: The call ran past its lane's limit.
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
        self._closing.set()
        for lane in LANES:
            self._drop_queued(lane)
            self._queues[lane].put((-1, None))
        for thread in list(self._threads.values()) if wait_s else ():
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
        me = threading.current_thread()
        while True:
            item = self._next(lane)
            if item is None:
                return
            fn, args, loop, future, widens = item
            if future.cancelled():
                continue
            held = self._claim(lane, widens)
            with self._changed:
                self._running[lane] = _Running(time.monotonic(), loop, future, held)
            result, error = None, None
            try:
                result = fn(*args, wide=True) if held is not None else fn(*args)
            except BaseException as exc:  # handed to the awaiting task
                error = exc
            with self._changed:
                if self._threads[lane] is not me:  # given up on: the lane has a new thread
                    log.warning("a call given up on has returned; its result is dropped")
                    return
                self._running[lane] = None
            # The lanes are free before the caller hears: its next call (a real-time step
            # after a batch piece) finds the other lane idle, not still marked busy.
            self._release(lane, held)
            with contextlib.suppress(RuntimeError):  # the caller's loop has closed
                loop.call_soon_threadsafe(_settle, future, result, error)

    def _watch(self) -> None:
        """Give up on calls that run past their lane's limit."""
        while not self._closing.wait(WATCH_S):
            with self._changed:
                for lane in LANES:
                    running = self._running[lane]
                    if running and time.monotonic() - running.started > self._stall_s[lane]:
                        self._give_up(lane, running)

    def _give_up(self, lane: int, running: _Running) -> None:
        """Fail the call, free what it held, and start the lane again (``_changed`` held)."""
        seconds = time.monotonic() - running.started
        stalled = InferenceStalled(lane, seconds, wide=running.held is not None)
        log.error("%s; %s goes on with a new thread", stalled, NAMES[lane])
        self.stalls += 1
        self._running[lane] = None
        self._busy[lane] = False
        if running.held is not None:
            self._held[running.held] = self._busy[running.held] = False
        self._start_thread(lane)
        self._changed.notify_all()
        with contextlib.suppress(RuntimeError):  # the awaiting loop has closed: nobody to tell
            running.loop.call_soon_threadsafe(_settle, running.future, None, stalled)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
