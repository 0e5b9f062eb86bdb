"""Snapshots of the main screen at the two sizes people use: 80x24 (SSH) and 120x40."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.ui.pilot import wait_for
from tui.app import make_app
from tui.core.batch import JobState
from tui.core.target import local_target
from tui.settings import Settings

KEY = "sk-snapshot-secret-key-9z9z"


def dashboard(data: Path) -> Any:
    """A dashboard whose screen does not depend on timing: one file that cannot be found."""
    target = local_target("http://127.0.0.1:1/v2", "ws://127.0.0.1:1/v2", KEY, "tiny.en")
    return make_app(
        Settings(data_dir=data), files=[Path("/nonexistent/missing.wav")], target=target
    )


async def settled(pilot: Pilot[Any]) -> None:
    app: Any = pilot.app
    await wait_for(pilot, lambda: all(j.state == JobState.FAILED for j in app.batch.jobs.values()))
    await wait_for(pilot, lambda: app.supervisor.state == "unreachable")
    await pilot.pause()


class TestMainScreen:
    """The batch queue with a failed job, the idle live panel, an engine that does not answer."""

    @pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
    def test_main_screen(self, snap_compare: Any, isolated: Path, size: tuple[int, int]) -> None:
        assert snap_compare(dashboard(isolated), terminal_size=size, run_before=settled)

    def test_path_input_open(self, snap_compare: Any, isolated: Path) -> None:
        """Pressing a opens the path input over the queue."""

        async def open_input(pilot: Pilot[Any]) -> None:
            await settled(pilot)
            await pilot.press("a")

        assert snap_compare(dashboard(isolated), terminal_size=(80, 24), run_before=open_input)


def test_snapshots_hold_no_key() -> None:
    folder = Path(__file__).parent / "__snapshots__"
    for svg in folder.rglob("*.svg"):
        assert KEY not in svg.read_text(encoding="utf-8")
