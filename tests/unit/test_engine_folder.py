"""Two engines on one data folder each keep their own jobs folder."""

from __future__ import annotations

from pathlib import Path

from tui.engine.context import claim_folder


def test_each_running_engine_holds_its_own_folder(tmp_path: Path) -> None:
    base = tmp_path / "engine"
    first, first_lock = claim_folder(base)
    second, second_lock = claim_folder(base)
    assert (first, second) == (base, tmp_path / "engine-2")
    first_lock.close()  # the first engine stops (or dies): its folder is free for the next
    third, third_lock = claim_folder(base)
    assert third == base
    second_lock.close()
    third_lock.close()
