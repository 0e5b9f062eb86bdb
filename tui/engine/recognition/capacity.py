"""How many real-time sessions a model serves within ``max_delay``, from what its steps cost.

A real-time session's finals come one step after the audio they are in: a word that ends just
after a step took its audio waits for that step, then for the next one, which also waits for
new audio (``MIN_STEP_S``); a word that ends within ``EDGE_GUARD_S`` of a window's end is not
forced out (it may be cut mid-word) and waits for the step after. So its latency at the 95th
percentile is about ``MIN_STEP_S + EDGE_GUARD_S + 2 × cycle``, where the cycle is the time
between one session's steps. Keeping that under ``max_delay + MARGIN_S`` (the p95 the engine
aims for) bounds the cycle (``budget``); the benchmarks check that the p95 this predicts is the
p95 sessions get. (Without the edge guard the p95 came out 0.3 s above what this predicted at
``max_delay`` 1: a 0.71 s cycle of Whisper base gave 2.0 s, a 0.38 s one of tiny.en 1.4 s, and
base kept sessions it could not serve in time.)

One session steps on both cores (``StepCosts.wide``). With more, each step runs on one core
beside another (``StepCosts.narrow``), two at a time, so the cycle grows with every second
session. The costs are measured when a model warms up and follow the steps as they run, so a
busy machine lowers the capacity it reports. A model whose steps raised its figure well over its
timing, and which a session was refused for it, is timed again once no session runs
(``StepCosts.raised``), so a passing load does not lower it for good: a model no session runs
has no steps to bring it back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MIN_STEP_S = 0.3  # the new audio a step waits for (the pump's, at max_delay ≥ 1)
EDGE_GUARD_S = 0.25  # words ending this close to a window's end may be cut mid-word: not forced
MARGIN_S = 0.7  # p95 aimed for: max_delay + this (1.7 s at max_delay 1.0)
LANES = 2
MOST_SESSIONS = 64  # the capacity said is never more than this
EMA = 0.2  # weight of a new step's cost
# Steps that cost this much over the last timing raised the estimate: a model refused for it is
# timed again once no real-time session runs (``StepCosts.raised``).
RAISED = 1.2


def budget(max_delay: float) -> float:
    """The longest cycle between one session's steps that keeps its p95 within
    ``max_delay + MARGIN_S``."""
    return (max_delay + MARGIN_S - MIN_STEP_S - EDGE_GUARD_S) / 2


@dataclass
class StepCosts:
    """What a real-time step costs a model on this machine, in seconds (3 s of audio with a
    prompt): on both cores, and on one core beside another step."""

    wide: float
    narrow: float
    timed: float | None = None
    """``wide`` as last timed on the model itself (None: never timed; steps alone say it)."""
    refused: bool = False
    """A session was refused the model, or changed from it, for what its steps cost."""

    def observe(self, seconds: float, wide: bool) -> None:
        """Follow a step that was just run (a moving average)."""
        if wide:
            self.wide += EMA * (seconds - self.wide)
        else:
            self.narrow += EMA * (seconds - self.narrow)

    def raised(self) -> bool:
        """Whether steps have raised the estimate well over the last timing (they ran beside
        other work, or on heavier windows than most) and a session was refused the model for
        it: a model no session runs keeps that figure until it is timed again."""
        return self.refused and self.timed is not None and self.wide > self.timed * RAISED

    def cycle(self, sessions: int) -> float:
        """Seconds between one session's steps while ``sessions`` sessions run."""
        if sessions <= 1:
            return self.wide
        return math.ceil(sessions / LANES) * self.narrow

    def fits(self, sessions: int, max_delay: float) -> bool:
        """Whether ``sessions`` sessions at once all keep ``max_delay``."""
        return self.cycle(sessions) <= budget(max_delay)

    def capacity(self, max_delay: float) -> int:
        """How many sessions at once keep ``max_delay`` (0: not even one)."""
        count = 0
        while count < MOST_SESSIONS and self.fits(count + 1, max_delay):
            count += 1
        return count

    def as_json(self) -> dict[str, float]:
        """The costs, for the engine's status endpoint."""
        return {"step_wide_s": round(self.wide, 3), "step_narrow_s": round(self.narrow, 3)}


def least_delay(costs: StepCosts, sessions: int = 1) -> float:
    """The smallest ``max_delay`` (in Speechmatics' 0.1 s steps) at which ``sessions`` fit."""
    latency = 2 * costs.cycle(sessions) + MIN_STEP_S + EDGE_GUARD_S
    return max(0.7, math.ceil(round(10 * (latency - MARGIN_S), 6)) / 10)


DELAYS = (0.7, 1.0, 2.0, 4.0)  # the max_delay values the engine reports its capacity at


def summary(costs: StepCosts) -> str:
    """Capacity in a line: "1 session within max_delay 1, 2 within 2, …"."""
    parts = [f"{costs.capacity(d)} within {d:g} s" for d in DELAYS]
    return "real-time sessions by max_delay: " + ", ".join(parts)


def report(name: str, costs: StepCosts) -> dict[str, object]:
    """A model's step costs and capacity at each of ``DELAYS``, for the status endpoint."""
    return {
        "model": name,
        **costs.as_json(),
        "sessions_within_max_delay": {f"{d:g}": costs.capacity(d) for d in DELAYS},
    }
