"""Capacity from step costs, and which model a real-time session runs on (no model)."""

from __future__ import annotations

from typing import Any

import pytest

from tui.engine.realtime.session_models import choose
from tui.engine.recognition.capacity import StepCosts, budget, least_delay


def test_the_budget_keeps_p95_within_max_delay_plus_its_margin() -> None:
    # p95 ≈ 0.3 s of new audio + the 0.25 s edge guard + two cycles: at max_delay 1.0 that is
    # 1.7 s for a 0.575 s cycle
    assert budget(1.0) == pytest.approx(0.575)
    assert budget(2.0) == pytest.approx(1.075)


def test_the_cycles_measured_at_max_delay_1_are_judged_as_they_came_out() -> None:
    """Whisper base stepping every 0.71 s gave a p95 of 2.0 s at max_delay 1 (it was said to
    fit); tiny.en every 0.38 s gave 1.4 s."""
    assert StepCosts(wide=0.71, narrow=1.2).capacity(1.0) == 0
    assert StepCosts(wide=0.38, narrow=0.55).capacity(1.0) == 2


def test_one_session_runs_wide_and_more_run_two_at_a_time_on_one_core_each() -> None:
    costs = StepCosts(wide=0.5, narrow=0.8)
    assert costs.cycle(1) == 0.5
    assert costs.cycle(2) == 0.8
    assert costs.cycle(3) == 1.6  # the third waits for a lane
    assert costs.capacity(1.0) == 1
    assert costs.capacity(2.0) == 2
    assert costs.capacity(4.0) == 4


def test_a_model_too_slow_for_any_session_has_no_capacity() -> None:
    base = StepCosts(wide=1.0, narrow=1.8)
    assert base.capacity(1.0) == 0
    assert base.capacity(2.0) == 1
    assert least_delay(base) == 1.9  # 2 × 1.0 + 0.3 + 0.25 − 0.7, up to the next 0.1


def test_costs_follow_the_steps_that_run() -> None:
    costs = StepCosts(wide=0.5, narrow=0.8)
    for _ in range(30):
        costs.observe(1.5, wide=True)  # a CPU hog beside the engine
    assert costs.wide > 1.4
    assert costs.capacity(1.0) == 0
    assert costs.narrow == 0.8


class Model:
    def __init__(self, name: str, wide: float, narrow: float) -> None:
        self.name = name
        self.step_costs = StepCosts(wide, narrow)


TINY, BASE = Model("tiny.en", 0.55, 0.85), Model("base", 1.0, 1.8)


def pick(asked: str, model: Any, sessions: int = 1, **config: Any) -> Any:
    return choose(asked, model, TINY, config, sessions, can_fall_back=True)  # type: ignore[arg-type]


def test_enhanced_runs_base_where_it_keeps_max_delay() -> None:
    choice = pick("enhanced", BASE, max_delay=2.0)
    assert choice.model is BASE and choice.fallback is None
    info = choice.infos(1)
    assert info[0]["type"] == "recognition_quality" and "base" in info[0]["reason"]
    assert info[1] == {**info[1], "type": "concurrent_session_usage", "usage": 1, "quota": 1}


def test_enhanced_falls_back_to_the_standard_model_and_says_why() -> None:
    choice = pick("enhanced", BASE, max_delay=1.0)
    assert choice.model is TINY
    reason = choice.infos(1)[0]["reason"]
    assert "tiny.en" in reason and "enhanced" in reason and "max_delay 1.9" in reason, reason


def test_no_fallback_where_the_standard_model_cannot_serve() -> None:
    # German (or translation) needs base: it runs, late, and the usage Info says so
    choice = choose("enhanced", BASE, TINY, {"max_delay": 1.0}, 1, can_fall_back=False)  # type: ignore[arg-type]
    assert choice.model is BASE
    usage = choice.infos(1)[1]
    assert usage["quota"] == 0 and "later than max_delay" in usage["reason"]


def test_a_session_past_capacity_is_told_it_will_be_late() -> None:
    choice = pick("standard", TINY, sessions=3, max_delay=1.0)
    usage = choice.infos(3)[1]
    assert usage["usage"] == 3 and usage["quota"] == 1
    assert "later than max_delay" in usage["reason"] and "Raise max_delay to" in usage["reason"]
    assert "later" not in pick("standard", TINY, max_delay=1.0).infos(1)[1]["reason"]


def test_enhanced_falls_back_where_neither_keeps_max_delay_and_both_are_said() -> None:
    """On a machine too busy for either model, the faster one runs, and the session hears
    both that the model changed and that its finals will be late."""
    slowed = Model("tiny.en", 0.9, 1.4)
    choice = choose("enhanced", BASE, slowed, {"max_delay": 1.0}, 1, can_fall_back=True)  # type: ignore[arg-type]
    assert choice.model is slowed
    quality, usage = choice.infos(1)
    assert "operating point enhanced" in quality["reason"]
    assert usage["quota"] == 0 and "later than max_delay" in usage["reason"]


def test_the_faster_model_is_judged_where_both_were_timed_alike() -> None:
    """tiny.en's two-thread step timed beside a batch job (1.2 s) came out above base's
    two-thread cost (1.0 s): base then ran at max_delay 1, 3 s late at p95."""
    busy = Model("tiny.en", 1.2, 0.85)
    choice = choose("enhanced", BASE, busy, {"max_delay": 1.0}, 1, can_fall_back=True)  # type: ignore[arg-type]
    assert choice.model is busy
    same = Model("base copy", 1.0, 1.8)
    kept = choose("enhanced", BASE, same, {"max_delay": 1.0}, 1, can_fall_back=True)  # type: ignore[arg-type]
    assert kept.model is BASE  # no faster model to fall back to


def test_a_model_refused_for_steps_well_over_its_timing_is_to_be_timed_again() -> None:
    costs = StepCosts(wide=0.5, narrow=0.6, timed=0.5, refused=True)
    for _ in range(3):
        costs.observe(0.55, wide=True)
    assert not costs.raised()  # steps a little over the timing: as timed
    for _ in range(10):
        costs.observe(1.0, wide=True)
    assert costs.raised()
    costs.refused = False
    assert not costs.raised()  # no session was refused it: its sessions' steps follow it
    never = StepCosts(wide=2.0, narrow=2.0, refused=True)
    assert not never.raised()  # never timed: steps alone say it
