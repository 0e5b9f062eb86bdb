"""What a new user meets: help, zoom, messages that never cover the panels, questions before
anything is lost, progress of a long job, and comparisons that end in a verdict and are kept."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from textual.binding import Binding
from textual.widgets import Input, Static, TextArea

from tests.standin import InProcessEngine, ToneRecognizer, expected_text, tone_file, tone_speech
from tests.ui.conftest import Messages, app_for, notices, wait_for
from tui.app import SmTuiApp
from tui.core.batch import JobState
from tui.messages import LiveEnded
from tui.screens.ask import Ask
from tui.screens.compare import CompareScreen
from tui.screens.help import HelpScreen
from tui.screens.history import HistoryScreen
from tui.screens.main import MainScreen
from tui.screens.messages import MessagesScreen
from tui.widgets.job_table import JobTable
from tui.widgets.live_transcript import LiveTranscript
from tui.widgets.status_bar import StatusBar

TALK = ["alpha bravo charlie", "delta echo"]


def actions(bindings: list[Any]) -> set[str]:
    return {b.action for b in bindings if isinstance(b, Binding)}


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
                "Everywhere",
            } <= groups
            # every key of every screen is there, with what it does
            from tui.screens.compare import CompareScreen as Compare

            every = [*MainScreen.BINDINGS, *SmTuiApp.BINDINGS, *Compare.BINDINGS]
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
    talk = tone_file(tmp_path / "talk.wav", TALK)
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


async def test_delete_asks_and_escape_keeps_the_job(
    standin: Any, isolated: Path, tmp_path: Path
) -> None:
    talk = tone_file(tmp_path / "talk.wav", TALK)
    app = app_for(isolated, standin, files=[talk])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: all(j.state.finished for j in app.batch.jobs.values()))
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, Ask))
        await pilot.press("escape")
        assert app.screen is app.main and len(app.batch.jobs) == 1
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, Ask))
        await pilot.press("n")
        assert len(app.batch.jobs) == 1
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, Ask))
        await pilot.press("y")
        await wait_for(pilot, lambda: not app.batch.jobs)
        assert not app.main.jobs


async def test_space_after_stdin_ended_keeps_the_transcript(
    standin: Any, isolated: Path, tmp_path: Path
) -> None:
    """stdin can be read once: space after it ended asks about the unsaved transcript, then says
    there is no more audio, and the transcript stays on screen."""
    talk = tone_file(tmp_path / "talk.wav", TALK)
    heard = Messages()
    app = app_for(isolated, standin, live="-", live_stream=io.BytesIO(talk.read_bytes()))
    async with app.run_test(size=(80, 24), message_hook=heard) as pilot:
        await wait_for(pilot, lambda: bool(heard.of(LiveEnded)))
        shown = app.main.query_one(LiveTranscript)
        await wait_for(pilot, lambda: bool(shown.text))
        before = shown.text
        assert app.live.unsaved
        await pilot.press("space")
        await wait_for(pilot, lambda: isinstance(app.screen, Ask))
        await pilot.press("d")  # discard and start: but stdin has nothing more
        await wait_for(pilot, lambda: "stdin has ended" in notices(app))
        assert shown.text == before and not app.live.running
        await pilot.press("space")
        await wait_for(pilot, lambda: isinstance(app.screen, Ask))
        await pilot.press("s")  # save first: the transcript is kept in a file
        await wait_for(pilot, lambda: not app.live.unsaved)
        saved = list((isolated / "exports").glob("live-*.txt"))
        assert saved and saved[0].read_text().strip() == app.live.transcript
        assert shown.text == before


async def test_compare_asks_before_a_long_file(
    standin: Any, isolated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tui.app.LONG_COMPARISON_S", 2.0)  # the talk is longer than this
    talk = tone_file(tmp_path / "talk.wav", TALK)
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
    talk = tone_file(tmp_path / "talk.wav", TALK)
    app = app_for(isolated, standin, files=[talk])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: all(j.state.finished for j in app.batch.jobs.values()))
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen))
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        await wait_for(pilot, lambda: screen.summary is not None)
        shown = app.export_screenshot().replace("&#160;", " ")
        assert "Verdict" in shown and "r: give a reference" in shown
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


async def test_a_running_job_shows_progress_from_the_engine(
    isolated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tui.core.batch_run.PROGRESS_EVERY_S", 0.1)
    engine = InProcessEngine(tmp_path / "slow", ToneRecognizer(delay_s=0.6)).start()
    try:
        talk = tone_file(tmp_path / "long.wav", TALK * 24)  # three 30 s windows
        assert len(tone_speech(TALK * 24)) / 16000 > 84
        app = app_for(isolated, engine, files=[talk])
        async with app.run_test(size=(120, 40)) as pilot:
            job = next(iter(app.batch.jobs.values()))
            await wait_for(pilot, lambda: (job.engine_progress or 0) > 0 or job.state.finished)
            assert job.state == JobState.RUNNING, "the engine said how far it got"
            await pilot.pause(0.6)  # the dashboard redraws running jobs twice a second
            table = app.main.query_one(JobTable)
            status = str(table.get_cell(str(job.id), "Status"))
            assert re.fullmatch(r"running \d+% \d+s", status), status  # 42% and the time left
            pane = app.main.query_one("#job-transcript", TextArea).text
            assert "(engine)" in pane and "left" in pane
            await wait_for(pilot, lambda: job.state == JobState.DONE)
            assert expected_text(TALK).split()[0] in job.text
    finally:
        engine.stop()


async def test_options_reach_the_next_job(standin: Any, isolated: Path, tmp_path: Path) -> None:
    """o: the choices go with the jobs queued after them (and Escape changes nothing)."""
    from textual.widgets import Select

    from tui.screens.options import OptionsScreen

    talk = tone_file(tmp_path / "labelled.wav", ["alpha bravo charlie"])
    app = app_for(isolated, standin)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.supervisor.ready.is_set())
        before = app.supervisor.choices
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, OptionsScreen))
        await pilot.press("escape")
        assert app.screen is app.main and app.supervisor.choices == before
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, OptionsScreen))
        app.screen.query_one("#option-diarization", Select).value = "speaker"
        app.screen.query_one("#option-batch_model", Select).value = "standard"
        await pilot.click("#options-use")
        await wait_for(pilot, lambda: app.screen is app.main)
        assert app.supervisor.choices.diarization == "speaker"
        assert "speakers" in notices(app)
        app.batch.queue_files([talk])
        await wait_for(
            pilot,
            lambda: any(
                j.path == talk and j.state == JobState.DONE for j in app.batch.jobs.values()
            ),
        )
        job = next(j for j in app.batch.jobs.values() if j.path == talk)
        assert job.text.startswith("S1: "), job.text  # the turns are named, as live
    configs = [
        job.config["transcription_config"]
        for job in standin.engine.jobs.jobs.values()
        if job.data_name == "labelled.wav"
    ]
    assert configs and configs[-1]["diarization"] == "speaker"
    assert configs[-1]["model"] == "standard"
