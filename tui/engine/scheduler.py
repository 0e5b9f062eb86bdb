"""One inference thread for the whole engine, serving real-time work before batch work.

CTranslate2 already uses every core for one call, so running calls side by side would only
make each slower. Instead calls queue by priority: a real-time step waits at most for the
batch window being decoded, never behind a whole batch file. The event loop only awaits
futures, so acknowledgements and WebSocket pings keep flowing during long decodes.
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


class InferenceScheduler:
    """Runs blocking calls on a single worker thread, lowest priority number first."""

    def __init__(self) -> None:
        self._queue: queue.PriorityQueue[tuple[int, int, Any]] = queue.PriorityQueue()
        self._counter = itertools.count()
        self._thread = threading.Thread(target=self._work, name="inference", daemon=True)
        self._thread.start()

    async def run(self, priority: int, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the inference thread and await its result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put((priority, next(self._counter), (fn, args, loop, future)))
        return await future

    def close(self, wait_s: float = 0.0) -> None:
        """Stop the worker thread after the call under way (calls still queued are dropped).

        Args:
            wait_s: How long to wait for the call under way to finish (a process that exits
                while native inference code runs can abort).
        """
        self._queue.put((-1, next(self._counter), None))
        if wait_s:
            self._thread.join(wait_s)

    def _work(self) -> None:
        while True:
            _, _, item = self._queue.get()
            if item is None:
                return
            fn, args, loop, future = item
            if future.cancelled():
                continue
            try:
                result = fn(*args)
            except BaseException as exc:  # handed to the awaiting task
                loop.call_soon_threadsafe(_settle, future, None, exc)
            else:
                loop.call_soon_threadsafe(_settle, future, result, None)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
