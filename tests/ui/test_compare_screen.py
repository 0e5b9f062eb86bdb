"""The comparison screen: from the selected job, the question before a long file, the verdict,
a typed reference, the history, and leaving it."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Static

from tests.helpers import normalise
from tests.standin import InProcessEngine, ToneRecognizer, expected_text, tone_file
from tests.ui.pilot import app_for, wait_for
from tui.core.batch import JobState
from tui.screens.ask import Ask
from tui.screens.compare import CompareScreen
from tui.screens.history import HistoryScreen
from tui.widgets.live_transcript import LiveTranscript

SHORT_TALK = ["alpha bravo charlie", "delta echo"]


async def test_compare_selected_job(standin: Any, isolated: Path, tmp_path: Path) -> None:
    talk = tone_file(tmp_path / "talk.wav", SHORT_TALK)
    (tmp_path / "talk.txt").write_text(expected_text(SHORT_TALK))  # the reference beside the file
    app = app_for(isolated, standin, files=[talk])
    async with app.run_test(size=(160, 48)) as pilot:
        job = next(iter(app.batch.jobs.values()))
        await wait_for(pilot, lambda: job.state == JobState.DONE)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen))
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        assert screen.reference == expected_text(SHORT_TALK)
        await wait_for(pilot, lambda: screen.summary is not None)
        # With the figures, the batch side's text (not its progress line) is there at once.
        batch = str(screen.query_one("#compare-batch", Static).render())
        assert normalise(batch) == normalise(expected_text(SHORT_TALK))
        realtime = screen.query_one("#compare-realtime", LiveTranscript)
        said = normalise(expected_text(SHORT_TALK))
        await wait_for(pilot, lambda: normalise(realtime.text) == said)  # finals may be queued
        summary = screen.summary
        assert summary is not None
        assert summary.realtime.final_latency_p50_s is not None
        assert summary.wer.batch == 0.0 and summary.wer.realtime == 0.0
        await pilot.press("escape")
        assert app.screen is app.main


async def test_compare_asks_before_a_long_file(
    standin: Any, isolated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tui.app.LONG_COMPARISON_S", 2.0)  # the talk is longer than this
    talk = tone_file(tmp_path / "talk.wav", SHORT_TALK)
    app = app_for(isolated, standin, files=[talk])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: all(j.state.finished for j in app.batch.jobs.values()))
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, Ask))
        question = str(app.screen.query_one("#ask-question", Static).render())
        assert "talk.wav is" in question and "takes" in question
        await pilot.press("n")
        assert app.screen is app.main
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, Ask))
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen))


async def test_comparison_verdict_reference_and_history(
    standin: Any, isolated: Path, tmp_path: Path
) -> None:
    """A comparison ends in a verdict, takes a typed reference, is kept, and shows in history."""
    talk = tone_file(tmp_path / "talk.wav", SHORT_TALK)
    app = app_for(isolated, standin, files=[talk])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: all(j.state.finished for j in app.batch.jobs.values()))
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen))
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        await wait_for(pilot, lambda: screen.summary is not None)

        def shows(*parts: str) -> bool:  # the figures are painted a refresh after the summary
            shown = app.export_screenshot().replace("&#160;", " ")
            return all(part in shown for part in parts)

        await wait_for(pilot, lambda: shows("Verdict", "r: give a reference"))
        kept = list((isolated / "comparisons").glob("*.json"))
        assert len(kept) == 1 and json.loads(kept[0].read_text())["summary"]["reference"] is None
        await pilot.press("r")
        box = screen.query_one("#compare-reference", Input)
        assert box.display and box.has_focus
        box.value = "alpha bravo charlie delta golf"
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: screen.summary is not None and screen.summary.reference is not None
        )
        summary = screen.summary
        assert summary is not None and summary.wer.batch == pytest.approx(0.2)
        body = json.loads(kept[0].read_text())  # the same file, rewritten with the reference
        assert body["summary"]["wer"]["batch"] == pytest.approx(0.2)
        assert len(list((isolated / "comparisons").glob("*.json"))) == 1
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        history = app.screen
        assert isinstance(history, HistoryScreen)
        assert len(history.runs) == 1 and history.runs[0].wer_batch == pytest.approx(0.2)
        await pilot.press("escape")
        assert app.screen is screen


async def test_leaving_a_comparison_stops_its_batch_job(isolated: Path, tmp_path: Path) -> None:
    """Escape mid-comparison deletes the batch job on the engine, which stops working on it."""
    from speechmatics.batch import AsyncClient, JobStatus

    slow = ToneRecognizer(delay_s=0.5)
    engine = InProcessEngine(tmp_path / "slow-engine", slow).start()
    try:
        talk = tone_file(tmp_path / "talk.wav", SHORT_TALK * 30)
        app = app_for(isolated, engine, files=[talk])
        async with app.run_test(size=(120, 40)) as pilot:
            job = next(iter(app.batch.jobs.values()))
            await wait_for(pilot, lambda: job.state.active)
            await pilot.press("x")  # the queued job is not the point: the comparison's is
            await wait_for(pilot, lambda: job.state == JobState.CANCELLED)
            before = set(engine.jobs.jobs)
            await pilot.press("c")
            await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen))
            await wait_for(pilot, lambda: len(set(engine.jobs.jobs) - before) == 1)
            (compared,) = set(engine.jobs.jobs) - before
            await pilot.press("escape")
            assert app.screen is app.main
            held = engine.jobs.jobs[compared]
            await wait_for(pilot, lambda: held.task is not None and held.task.done())
            async with AsyncClient(api_key=engine.api_key, url=engine.batch_url) as client:
                assert (await client.get_job_info(compared)).status == JobStatus.DELETED
    finally:
        engine.stop()


async def test_more_sides_are_added_run_and_shown_with_the_plot(
    standin: Any, isolated: Path, tmp_path: Path
) -> None:
    """C on a job lists the two sides of c; a adds one as typed, a bad one is refused with
    what to type; s runs them all; the figures, the plot and the verdict follow, kept in
    the history."""
    from textual.widgets import DataTable
    from textual_plotext import PlotextPlot

    from tui.screens.matrix import MatrixScreen

    talk = tone_file(tmp_path / "talk.wav", SHORT_TALK)
    (tmp_path / "talk.txt").write_text(expected_text(SHORT_TALK))
    app = app_for(isolated, standin, files=[talk])
    async with app.run_test(size=(120, 40)) as pilot:
        job = next(iter(app.batch.jobs.values()))
        await wait_for(pilot, lambda: job.state == JobState.DONE)
        await pilot.press("C")
        await wait_for(pilot, lambda: isinstance(app.screen, MatrixScreen))
        screen = app.screen
        assert isinstance(screen, MatrixScreen)
        assert [s.label for s in screen.sides] == [  # the dashboard's own two
            "batch enhanced local",
            "realtime standard 1s local",
        ]
        await pilot.press("a", *"rt turbo", "enter")
        assert len(screen.sides) == 2  # refused, said
        box = screen.query_one("#matrix-side", Input)
        box.value = ""
        await pilot.press(*"rt standard 2", "enter")
        await wait_for(pilot, lambda: len(screen.sides) == 3)
        assert screen.query_one("#matrix-sides", DataTable).row_count == 3
        await pilot.press("s")
        await wait_for(pilot, lambda: screen.matrix is not None and not screen.running)
        assert str(screen.query_one("#matrix-progress", Static).render()) == "done"
        figures = screen.matrix.figures(screen.settings) if screen.matrix else []
        assert len(figures) == 3 and all(f.ok for f in figures), figures
        assert all(f.wer == 0.0 and f.wer_against == "reference" for f in figures)
        from rich.console import Console

        console = Console(width=160, record=True, file=io.StringIO())
        console.print(screen.query_one("#matrix-figures", Static).content)
        shown = console.export_text()
        assert "realtime standard 2s local" in shown and "Fastest within 2 points" in shown
        assert screen.query_one("#matrix-plot", PlotextPlot).display
        kept = list((isolated / "comparisons" / "matrix").glob("*.json"))
        assert len(kept) == 1
        await pilot.press("h")  # the history plots one configuration over matrix runs
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        history = app.screen
        assert isinstance(history, HistoryScreen)
        assert set(history.matrix) == {s.label for s in screen.sides}
        await pilot.press("m")
        assert history.configuration == sorted(history.matrix)[0]
        for _ in history.matrix:
            await pilot.press("m")
        assert history.configuration is None  # round again to the two-sided runs
        await pilot.press("escape", "escape")
        assert app.screen is app.main


async def test_comparing_a_file_that_is_not_audio_says_so(
    standin: Any, isolated: Path, tmp_path: Path
) -> None:
    noise = tmp_path / "noise.wav"
    noise.write_bytes(bytes(range(256)) * 200)  # a .wav name, no audio inside
    app = app_for(isolated, standin, files=[noise])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: all(j.state.finished for j in app.batch.jobs.values()))
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen))
        figures = app.screen.query_one("#compare-figures", Static)
        await wait_for(pilot, lambda: "not audio" in str(figures.render()))
        assert "noise.wav is not audio" in str(figures.render())
        batch = str(app.screen.query_one("#compare-batch", Static).render())
        assert "not audio" in batch
