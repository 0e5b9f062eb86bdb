"""The compare action in the dashboard: both transcripts arrive, then the figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Static

from tests.helpers import normalise
from tests.standin import expected_text, tone_file
from tests.ui.conftest import app_for, wait_for
from tui.core.batch import JobState
from tui.screens.compare import CompareScreen
from tui.widgets.live_transcript import LiveTranscript

TALK = ["alpha bravo charlie", "delta echo"]


async def test_compare_selected_job(standin: Any, isolated: Path, tmp_path: Path) -> None:
    talk = tone_file(tmp_path / "talk.wav", TALK)
    (tmp_path / "talk.txt").write_text(expected_text(TALK))  # the reference beside the file
    app = app_for(isolated, standin, files=[talk])
    async with app.run_test(size=(160, 48)) as pilot:
        job = next(iter(app.batch.jobs.values()))
        await wait_for(pilot, lambda: job.state == JobState.DONE)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen))
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        assert screen.reference == expected_text(TALK)
        await wait_for(pilot, lambda: screen.summary is not None)
        realtime = screen.query_one("#compare-realtime", LiveTranscript).text
        assert normalise(realtime) == normalise(expected_text(TALK))
        batch = str(screen.query_one("#compare-batch", Static).render())
        assert normalise(batch) == normalise(expected_text(TALK))
        summary = screen.summary
        assert summary is not None
        assert summary.realtime.final_latency_p50_s is not None
        assert summary.wer.batch == 0.0 and summary.wer.realtime == 0.0
        await pilot.press("escape")
        assert app.screen is app.main


async def test_leaving_a_comparison_stops_its_batch_job(isolated: Path, tmp_path: Path) -> None:
    """Escape mid-comparison deletes the batch job on the engine, which stops working on it."""
    from speechmatics.batch import AsyncClient, JobStatus

    from tests.standin import InProcessEngine, ToneRecognizer

    slow = ToneRecognizer(delay_s=0.5)
    engine = InProcessEngine(tmp_path / "slow-engine", slow).start()
    try:
        talk = tone_file(tmp_path / "talk.wav", TALK * 30)
        app = app_for(isolated, engine, files=[talk])
        async with app.run_test(size=(120, 40)) as pilot:
            job = next(iter(app.batch.jobs.values()))
            await wait_for(pilot, lambda: job.state.active)
            await pilot.press("x")  # the queued job is not the point: the comparison's is
            await wait_for(pilot, lambda: job.state == JobState.CANCELLED)
            before = set(engine.engine.jobs.jobs)
            await pilot.press("c")
            await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen))
            await wait_for(pilot, lambda: len(set(engine.engine.jobs.jobs) - before) == 1)
            (compared,) = set(engine.engine.jobs.jobs) - before
            await pilot.press("escape")
            assert app.screen is app.main
            held = engine.engine.jobs.jobs[compared]
            await wait_for(pilot, lambda: held.task is not None and held.task.done())
            async with AsyncClient(api_key=engine.api_key, url=engine.batch_url) as client:
                assert (await client.get_job_info(compared)).status == JobStatus.DELETED
    finally:
        engine.stop()
