"""What every panel shares: the help on ? and F1, zoom, and messages on the status line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.binding import Binding
from textual.widgets import Static

from tests.standin import tone_file
from tests.ui.pilot import app_for, notices, wait_for
from tui.app import SmTuiApp
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen
from tui.screens.messages import MessagesScreen
from tui.widgets.job_table import JobTable
from tui.widgets.live_transcript import LiveTranscript
from tui.widgets.status_bar import StatusBar

SHORT_TALK = ["alpha bravo charlie", "delta echo"]


async def test_help_lists_every_key_by_panel_and_escape_closes(
    standin: Any, isolated: Path
) -> None:
    app = app_for(isolated, standin)
    async with app.run_test(size=(80, 24)) as pilot:
        for key in ("question_mark", "f1"):
            await pilot.press(key)
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
            screen = app.screen
            assert isinstance(screen, HelpScreen)
            listed = {(group, text) for group, _, text in screen.rows}
            groups = {group for group, _ in listed}
            assert {
                "Batch queue",
                "Live panel",
                "Dashboard",
                "Comparison screen",
                "More sides (C)",
                "Everywhere",
            } <= groups
            # every key of every screen is there, with what it does
            from tui.screens.compare import CompareScreen as Compare
            from tui.screens.matrix import MatrixScreen

            every = [
                *MainScreen.BINDINGS,
                *SmTuiApp.BINDINGS,
                *Compare.BINDINGS,
                *MatrixScreen.BINDINGS,
            ]
            for binding in every:
                assert isinstance(binding, Binding)
                assert any(
                    text == (binding.tooltip or binding.description) for _, text in listed
                ), binding.action
            assert ("Batch queue", "Remove the job from the queue (asks first)") in listed
            await pilot.press("escape")
            assert app.screen is app.main
        # the palette's "Keys" is this screen too (it closes on Escape, unlike Textual's panel)
        keys = [c for c in app.get_system_commands(app.main) if c.title == "Keys"]
        assert len(keys) == 1
        keys[0].callback()
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        assert app.screen is app.main


async def test_zoom_gives_one_panel_the_screen(standin: Any, isolated: Path) -> None:
    app = app_for(isolated, standin)
    async with app.run_test(size=(80, 24)) as pilot:
        batch, live = app.main.query_one("#batch-panel"), app.main.query_one("#live-panel")
        assert batch.display and live.display
        await pilot.press("z")
        await pilot.pause()
        assert batch.display and not live.display
        assert app.main.query_one(JobTable).size.height >= 10  # room for ten rows at 80x24
        await pilot.press("escape")
        await pilot.pause()
        assert batch.display and live.display
        app.main.query_one(LiveTranscript).focus()
        await pilot.press("z")
        await pilot.pause()
        assert live.display and not batch.display
        await pilot.press("z")
        await pilot.pause()
        assert batch.display and live.display


async def test_messages_go_to_the_status_line_not_over_the_panels(
    standin: Any, isolated: Path, tmp_path: Path
) -> None:
    talk = tone_file(tmp_path / "talk.wav", SHORT_TALK)
    app = app_for(isolated, standin, files=[talk, tmp_path / "missing.wav"])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: all(j.state.finished for j in app.batch.jobs.values()))
        await wait_for(pilot, lambda: "done in" in notices(app))
        assert not app._notifications  # no toast covers the live panel
        status = app.main.query_one(StatusBar)
        assert status.notice and status.notice in notices(app)
        assert "does not exist" in notices(app)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, MessagesScreen))
        shown = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "missing.wav does not exist" in shown
        await pilot.press("escape")
        assert app.screen is app.main
