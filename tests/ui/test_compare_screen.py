"""The compare action in the dashboard: both transcripts arrive, then the figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Static

from tests.helpers import SAMPLE
from tests.ui.conftest import app_for, wait_for
from tui.core.batch import JobState
from tui.screens.compare import CompareScreen
from tui.widgets.live_transcript import LiveTranscript


async def test_compare_selected_job(engine: Any, isolated: Path) -> None:
    app = app_for(isolated, engine, files=[SAMPLE])
    async with app.run_test(size=(160, 48)) as pilot:
        job = next(iter(app.batch.jobs.values()))
        await wait_for(pilot, lambda: job.state == JobState.DONE)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen))
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        assert screen.reference is not None  # assets/sample.txt sits beside the file
        await wait_for(pilot, lambda: screen.summary is not None, timeout=60)
        assert screen.query_one("#compare-realtime", LiveTranscript).text
        assert "morning" in str(screen.query_one("#compare-batch", Static).render()).lower()
        summary = screen.summary
        assert summary is not None
        assert summary["realtime"]["final_latency_p50_s"] is not None
        assert summary["wer"]["batch"] is not None
        await pilot.press("escape")
        assert app.screen is app.main
