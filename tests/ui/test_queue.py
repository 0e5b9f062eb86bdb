"""The batch queue panel: adding, running, retrying, cancelling and deleting jobs, progress, exports.

They run on the real engine with the stand-in recogniser (``tests/standin.py``), so what they
see is exact and quick; the first test keeps the real model."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.widgets import TextArea

from tests.helpers import SAMPLE, normalise, references, wer
from tests.standin import InProcessEngine, ToneRecognizer, expected_text, tone_file, tone_speech
from tests.ui.pilot import Messages, app_for, notices, wait_for
from tui.core.batch import JobState
from tui.messages import JobChanged
from tui.screens.ask import Ask
from tui.widgets.job_table import JobTable
from tui.widgets.status_bar import StatusBar

TALK = ["alpha bravo charlie", "delta echo foxtrot golf", "hotel india juliet"]


def states(messages: Messages, job_id: int) -> list[JobState]:
    """The states a job went through, in order (a repeat is a refresh, not a step)."""
    seen = [m.state for m in messages.of(JobChanged) if m.job.id == job_id]
    return [state for n, state in enumerate(seen) if n == 0 or seen[n - 1] != state]


SHORT_TALK = ["alpha bravo charlie", "delta echo"]


async def test_sample_queues_finishes_and_exports(isolated: Path) -> None:
    """End to end on the real model: the app starts its own engine, transcribes and exports."""
    app = app_for(isolated, files=[SAMPLE])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.main.query_one(StatusBar).state == "ready", timeout=120)
        job = next(iter(app.batch.jobs.values()))
        await wait_for(pilot, lambda: job.state in (JobState.DONE, JobState.FAILED), timeout=120)
        assert job.state == JobState.DONE, job.error
        assert wer(references()["sample.wav"], job.text) <= 0.25
        assert job.turnaround is not None and job.real_time_factor is not None
        pane = app.main.query_one("#job-transcript", TextArea)
        assert "morning" in pane.text.lower()
        assert "sample.wav" in str(app.main.query_one(JobTable).get_row(str(job.id))[0])
        await pilot.press("e")
        await pilot.pause()
        exports = sorted(p.suffix for p in (isolated / "exports").iterdir())
        assert exports == [".json", ".srt", ".txt", ".vtt"]
        data = json.loads(next((isolated / "exports").glob("*.json")).read_text())
        assert data["results"] and data["format"]
        vtt = next((isolated / "exports").glob("*.vtt")).read_text()
        assert vtt.startswith("WEBVTT") and "-->" in vtt
    assert app.supervisor.opened is None  # stopped on exit


async def test_add_file_with_the_path_input(standin: Any, isolated: Path, tmp_path: Path) -> None:
    talk = tone_file(tmp_path / "talk.wav", TALK)
    heard = Messages()
    app = app_for(isolated, standin)
    async with app.run_test(size=(80, 24), message_hook=heard) as pilot:
        await pilot.press("a")
        assert app.main.query_one("#path-input").has_focus
        await pilot.press(*str(talk), "enter")
        await wait_for(pilot, lambda: bool(app.batch.jobs))
        job = next(iter(app.batch.jobs.values()))
        await wait_for(pilot, lambda: job.state.finished)
        assert job.state == JobState.DONE, job.error
        assert normalise(job.text) == normalise(expected_text(TALK))
        assert states(heard, job.id) == [
            JobState.QUEUED,
            JobState.UPLOADING,
            JobState.RUNNING,
            JobState.DONE,
        ]
        assert app.main.query_one(JobTable).has_focus
        assert "talk" in app.main.query_one("#job-transcript", TextArea).text


async def test_pasting_paths_queues_them(standin: Any, isolated: Path, tmp_path: Path) -> None:
    one = tone_file(tmp_path / "one.wav", ["alpha"])
    two = tone_file(tmp_path / "two.wav", ["bravo"])
    app = app_for(isolated, standin)
    async with app.run_test(size=(80, 24)) as pilot:
        app.main.post_message(events.Paste(f"{one}\n{two}\n"))
        await wait_for(pilot, lambda: len(app.batch.jobs) == 2)
        assert sorted(j.name for j in app.batch.jobs.values()) == ["one.wav", "two.wav"]
        await wait_for(pilot, lambda: all(j.state.finished for j in app.batch.jobs.values()))
        assert sorted(j.text.strip() for j in app.batch.jobs.values()) == ["Alpha.", "Bravo."]


async def test_missing_and_non_audio_files_fail_clearly(
    standin: Any, isolated: Path, tmp_path: Path
) -> None:
    text_file = tmp_path / "notes.wav"
    text_file.write_text("not audio")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    good = tone_file(tmp_path / "good.wav", TALK[:1])
    app = app_for(isolated, standin, files=[isolated / "nope.wav", text_file, empty, good])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: all(j.state.finished for j in app.batch.jobs.values()))
        errors = [j.error or "" for j in app.batch.jobs.values()]
        assert "does not exist" in errors[0]
        assert "not audio" in errors[1]
        assert "empty" in errors[2]
        assert errors[3] == ""  # the good file still runs
        assert "does not exist" in notices(app)


async def test_retry_requeues_a_failed_job(standin: Any, isolated: Path, tmp_path: Path) -> None:
    talk = tmp_path / "later.wav"
    heard = Messages()
    app = app_for(isolated, standin, files=[talk])
    async with app.run_test(size=(80, 24), message_hook=heard) as pilot:
        job = next(iter(app.batch.jobs.values()))
        await wait_for(pilot, lambda: job.state == JobState.FAILED)
        assert "does not exist" in (job.error or "")
        tone_file(talk, TALK[:1])  # the file turns up
        before = len(states(heard, job.id))
        await pilot.press("r")
        await wait_for(pilot, lambda: job.state == JobState.DONE)
        again = states(heard, job.id)[before:]
        assert again[0] == JobState.QUEUED and again[-1] == JobState.DONE, again
        assert normalise(job.text) == normalise(expected_text(TALK[:1]))


async def test_store_is_shown_again_and_the_sample_queued_once(
    standin: Any, isolated: Path, tmp_path: Path
) -> None:
    """A second run shows the first run's jobs from the store and does not queue a file twice."""
    talk = tone_file(tmp_path / "talk.wav", TALK[:1])
    first = app_for(isolated, standin, files=[talk], sample=True)
    async with first.run_test(size=(80, 24)) as pilot:
        await wait_for(
            pilot, lambda: all(j.state == JobState.DONE for j in first.batch.jobs.values())
        )
    second = app_for(isolated, standin, files=[talk], sample=True)
    async with second.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        jobs = list(second.batch.jobs.values())
        assert len(jobs) == 1 and jobs[0].state == JobState.DONE
        assert normalise(jobs[0].text) == normalise(expected_text(TALK[:1]))
        assert second.main.query_one(JobTable).row_count == 1


async def test_cancel_and_delete_stop_the_job_on_the_engine(isolated: Path, tmp_path: Path) -> None:
    """x and d delete the running job on the engine (force), which stops working on it."""
    from speechmatics.batch import AsyncClient, JobStatus

    from tests.standin import InProcessEngine, ToneRecognizer

    slow = ToneRecognizer(delay_s=0.5)  # half a second a piece: a long file takes a while
    engine = InProcessEngine(tmp_path / "slow-engine", slow).start()
    try:
        long_talk = tone_file(tmp_path / "long.wav", TALK * 30)  # about 3 minutes: 7 pieces
        app = app_for(isolated, engine, files=[long_talk, long_talk])
        async with app.run_test(size=(120, 40)) as pilot:
            first, second = app.batch.jobs.values()
            await wait_for(
                pilot,
                lambda: (
                    first.state == JobState.RUNNING
                    and second.state == JobState.RUNNING
                    and slow.calls > 0
                ),
            )
            await pilot.press("x")  # the first row is selected
            await wait_for(pilot, lambda: first.state == JobState.CANCELLED)
            await pilot.press("down", "d")
            await wait_for(pilot, lambda: app.screen.__class__.__name__ == "Ask")
            await pilot.press("y")  # delete asks first
            await wait_for(pilot, lambda: second.id not in app.batch.jobs)
            async with AsyncClient(api_key=engine.api_key, url=engine.batch_url) as client:
                for job in (first, second):
                    assert job.engine_job_id is not None

                    async def deleted(engine_job_id: str = job.engine_job_id) -> bool:
                        info = await client.get_job_info(engine_job_id)
                        return bool(info.status == JobStatus.DELETED)

                    for _ in range(100):
                        if await deleted():
                            break
                        await pilot.pause(0.1)
                    assert await deleted()
            for job in (first, second):  # the engine's own work on them has stopped
                held = engine.jobs.jobs[job.engine_job_id or ""]
                await wait_for(pilot, lambda held=held: held.task is not None and held.task.done())
                assert held.results is None and held.audio_path is None
    finally:
        engine.stop()


async def test_delete_asks_and_escape_keeps_the_job(
    standin: Any, isolated: Path, tmp_path: Path
) -> None:
    talk = tone_file(tmp_path / "talk.wav", SHORT_TALK)
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


async def test_a_running_job_shows_progress_from_the_engine(
    isolated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tui.core.batch_run.PROGRESS_EVERY_S", 0.1)
    engine = InProcessEngine(tmp_path / "slow", ToneRecognizer(delay_s=0.6)).start()
    try:
        talk = tone_file(tmp_path / "long.wav", SHORT_TALK * 24)  # three 30 s windows
        assert len(tone_speech(SHORT_TALK * 24)) / 16000 > 84
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
            assert expected_text(SHORT_TALK).split()[0] in job.text
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
        for job in standin.jobs.jobs.values()
        if job.data_name == "labelled.wav"
    ]
    assert configs and configs[-1]["diarization"] == "speaker"
    assert configs[-1]["model"] == "standard"


async def test_the_job_pane_lists_entities_summary_sentiment_and_topics(
    standin: Any, isolated: Path
) -> None:
    """A finished job's entities (the engine's own results, through the SDK's model as the
    dashboard keeps them) are listed under the header with what was said, then its summary,
    sentiment and topics."""
    import dataclasses

    from speechmatics.batch._models import RecognitionResult

    from tui.core.batch import BatchJob, without_nulls
    from tui.engine.protocol.entities import with_entities
    from tui.engine.protocol.results import to_results
    from tui.engine.recognition.asr import Word

    text = "It costs $500 on January 15th, 2025 and 1 2 3 4 5 6 7."
    words = [Word(" " + t, 0.4 * i, 0.4 * i + 0.3, 0.9) for i, t in enumerate(text.split())]
    results = with_entities(to_results(words, speaker="UU"), "en")
    kept = [without_nulls(dataclasses.asdict(RecognitionResult.from_dict(r))) for r in results]
    job = BatchJob(Path("prices.wav"), state=JobState.DONE, text=text)
    job.transcript = {
        "results": kept,
        "summary": {"content": "- It costs $500."},
        "sentiment_analysis": {
            "segments": [],
            "summary": {"overall": {"positive_count": 0, "negative_count": 1, "neutral_count": 1}},
        },
        "topics": {"segments": [], "summary": {"overall": {"pricing": 1, "weather": 0}}},
    }
    app = app_for(isolated, standin)
    async with app.run_test(size=(80, 24)) as pilot:
        app.main.show_job(job)
        await pilot.pause()
        pane = app.main.query_one("#job-transcript", TextArea).text
        assert "◆ $500 (five hundred dollars)" in pane
        assert "◆ January 15th, 2025 (January fifteenth twenty twenty-five)" in pane
        assert "◆ and 3 more" in pane  # nine entities, six listed
        assert "Summary: - It costs $500." in pane
        assert "Sentiment: 0 positive · 1 negative · 1 neutral sentences" in pane
        assert "Topics: pricing\n" in pane
        assert pane.rstrip().endswith(text)
