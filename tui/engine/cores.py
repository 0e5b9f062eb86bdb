"""Whether the machine's cores are free for this process: its CPU rate while both inference
lanes run.

Two lanes running at once on an idle two-core machine use about two cores' worth of CPU (the
CTranslate2 threads do the work, so it is the process's CPU time that tells). Beside another
busy program they get about 1.3. Then a live session should not start a second step beside its
first: three busy threads on two cores slow every step down (``rt_pump``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

BOTH_CORES = 1.6  # less CPU than this while both lanes run: another program holds a core
MIN_SPELL_S = 0.2  # a shorter spell of both lanes running says too little
CROWDED_S = 10.0  # how long the cores count as taken after such a spell


class CoreWatch:
    """Times the spells during which both lanes run, and remembers a crowded one.

    Args:
        cpu: The process's CPU seconds.
        wall: Wall seconds.
    """

    def __init__(
        self,
        cpu: Callable[[], float] = time.process_time,
        wall: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cpu = cpu
        self._wall = wall
        self._lock = threading.Lock()
        self._since: tuple[float, float] | None = None
        self._crowded_until = 0.0
        self.last_rate: float | None = None  # cores' worth of CPU in the last spell

    def both_running(self) -> None:
        """The second lane started a call: a spell begins."""
        with self._lock:
            self._since = (self._wall(), self._cpu())

    def one_stopped(self) -> None:
        """A lane finished a call while the other ran: the spell ends."""
        with self._lock:
            if self._since is None:
                return
            (wall, cpu), self._since = self._since, None
            spell = self._wall() - wall
            if spell < MIN_SPELL_S:
                return
            self.last_rate = (self._cpu() - cpu) / spell
            if self.last_rate < BOTH_CORES:
                self._crowded_until = self._wall() + CROWDED_S

    def crowded(self) -> bool:
        """Whether a recent spell found another program on a core."""
        return self._wall() < self._crowded_until
