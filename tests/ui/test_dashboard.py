"""Pilot tests: the dashboard as a keyboard user drives it, on the real local engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.widgets import TextArea

from tests.helpers import SAMPLE, SHARED_AUDIO, references, wer
from tests.ui.conftest import app_for, notices, wait_for
from tui.core.batch import JobState
from tui.widgets.job_table import JobTable
from tui.widgets.level_meter import LevelMeter
from tui.widgets.live_transcript import LiveTranscript
from tui.widgets.status_bar import StatusBar


async def test_sample_queues_finishes_and_exports(isolated: Path) -> None:
    """The app starts its own local engine, transcribes the sample and exports it."""
    app = app_for(isolated, files=[SAMPLE])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.main.query_one(StatusBar).state == "ready", timeout=120)
        job = next(iter(app.batch.jobs.values()))
        await wait_for(pilot, lambda: job.state in (JobState.DONE, JobState.FAILED))
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
    assert app.supervisor.process is None  # stopped on exit


async def test_add_file_with_the_path_input(engine: Any, isolated: Path) -> None:
    app = app_for(isolated, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a")
        assert app.main.query_one("#path-input").has_focus
        await pilot.press(*str(SHARED_AUDIO / "hello.wav"), "enter")
        await wait_for(
            pilot,
            lambda: (
                bool(app.batch.jobs) and next(iter(app.batch.jobs.values())).state == JobState.DONE
            ),
        )
        job = next(iter(app.batch.jobs.values()))
        assert wer(references()["hello.wav"], job.text) <= 0.25
        assert app.main.query_one(JobTable).has_focus


async def test_live_file_shows_partials_then_finals(engine: Any, isolated: Path) -> None:
    app = app_for(isolated, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f", *str(SHARED_AUDIO / "customer.wav"), "enter")
        live = app.main.query_one(LiveTranscript)
        meter = app.main.query_one(LevelMeter)
        seen_partial_first = False
        meter_moved = False

        def progressed() -> bool:
            nonlocal seen_partial_first, meter_moved
            seen_partial_first |= bool(live._partial) and not live.text
            meter_moved |= meter.active and meter.rms_db > -60
            return app.main.live_running is False and bool(live.text)

        await wait_for(pilot, lambda: app.main.live_running)
        await wait_for(pilot, progressed, timeout=60)
        assert seen_partial_first and meter_moved
        assert wer(references()["customer.wav"], live.text) <= 0.30, live.text
        assert app.main.session is not None and app.main.session.ended_cleanly
        await pilot.press("s")
        saved = list((isolated / "exports").glob("live-*.txt"))
        assert saved and "account" in saved[0].read_text().lower()


async def test_missing_and_non_audio_files_fail_clearly(engine: Any, isolated: Path) -> None:
    text_file = isolated.parent / "notes.wav"
    text_file.write_text("not audio")
    empty = isolated.parent / "empty.wav"
    empty.write_bytes(b"")
    app = app_for(isolated, engine, files=[isolated / "nope.wav", text_file, empty, SAMPLE])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(
            pilot,
            lambda: all(
                j.state in (JobState.DONE, JobState.FAILED) for j in app.batch.jobs.values()
            ),
        )
        errors = [j.error or "" for j in app.batch.jobs.values()]
        assert "does not exist" in errors[0]
        assert "not audio" in errors[1]
        assert "empty" in errors[2]
        assert errors[3] == ""  # the good file still runs
        assert "does not exist" in notices(app)


async def test_wrong_key_is_reported_and_never_shown(engine: Any, isolated: Path) -> None:
    from tui.core.target import remote_target
    from tui.settings import Settings

    key = "sk-WRONG-recognisable-key-1a2b"
    settings = Settings(
        api_key=key, batch_url=engine.batch_url, rt_url=engine.rt_url, data_dir=isolated
    )
    app = app_for(isolated, settings=settings, target=remote_target(settings), files=[SAMPLE])
    async with app.run_test(size=(120, 40)) as pilot:
        job = next(iter(app.batch.jobs.values()))
        await wait_for(pilot, lambda: job.state == JobState.FAILED)
        assert "API key was refused" in (job.error or "")
        await pilot.press("f", *str(SAMPLE), "enter")
        await wait_for(pilot, lambda: "live session could not start" in notices(app))
        status = app.main.query_one(StatusBar)
        assert "sk…1a2b" in status.engine
        screen = app.export_screenshot()
        assert key not in screen and key not in notices(app)


async def test_unreachable_engine(isolated: Path) -> None:
    from tui.core.target import remote_target
    from tui.settings import Settings

    settings = Settings(api_key="k" * 20, batch_url="http://127.0.0.1:9/v2", rt_url="ws://127.0.0.1:9/v2",
                        data_dir=isolated)  # fmt: skip
    app = app_for(isolated, settings=settings, target=remote_target(settings), files=[SAMPLE])
    async with app.run_test(size=(80, 24)) as pilot:
        job = next(iter(app.batch.jobs.values()))
        await wait_for(pilot, lambda: job.state == JobState.FAILED)
        assert "cannot reach the engine" in (job.error or "")
        await pilot.press("r")  # retry is offered and fails the same way, the app stays up
        await wait_for(pilot, lambda: job.state == JobState.FAILED)


async def test_engine_that_dies_is_reported(isolated: Path) -> None:
    app = app_for(isolated)
    async with app.run_test(size=(80, 24)) as pilot:
        status = app.main.query_one(StatusBar)
        await wait_for(pilot, lambda: status.state == "ready", timeout=120)
        assert app.supervisor.process is not None
        app.supervisor.process.process.kill()
        await wait_for(pilot, lambda: status.state == "failed", timeout=10)
        assert "stopped" in status.engine and "ctrl+r" in status.engine
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: status.state == "ready", timeout=120)


async def test_no_microphone_says_what_to_do(engine: Any, isolated: Path) -> None:
    app = app_for(isolated, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space")
        await pilot.pause()
        told = notices(app)
        assert (
            ("no microphone" in told and "press f" in told)
            or "PortAudio" in told
            or app.main.live_running
        )


async def test_no_portaudio_library(engine: Any, isolated: Path, monkeypatch: Any) -> None:
    """PortAudio cannot be removed from this machine, so its absence is simulated at import."""
    import sys

    class NoPortAudio:
        def find_spec(self, name: str, *args: object) -> None:
            if name == "sounddevice":
                raise OSError("PortAudio library not found")

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [NoPortAudio(), *sys.meta_path])
    app = app_for(isolated, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space")
        await pilot.pause()
        assert "PortAudio library is missing" in notices(app)
        assert "libportaudio2" in notices(app)


async def test_live_option_starts_when_the_engine_is_ready(engine: Any, isolated: Path) -> None:
    app = app_for(isolated, engine, live=str(SHARED_AUDIO / "meeting.wav"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.main.live_running)
        assert app.main.default_source == "meeting.wav"
        live = app.main.query_one(LiveTranscript)
        await wait_for(pilot, lambda: not app.main.live_running and bool(live.text), timeout=60)
        assert wer(references()["meeting.wav"], live.text) <= 0.3


async def test_live_sessions_get_the_session_limit_from_settings(
    engine: Any, isolated: Path
) -> None:
    from tui.settings import Settings

    settings = Settings(data_dir=isolated, max_session_s=7.0, max_delay=2.0)
    app = app_for(isolated, engine, settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f", *str(SHARED_AUDIO / "meeting.wav"), "enter")
        await wait_for(pilot, lambda: app.main.live_running)
        session = app.main.session
        assert session is not None
        assert (session.max_session_s, session.max_delay) == (7.0, 2.0)
        await pilot.press("space")  # stop: it flushes and ends cleanly
        await wait_for(pilot, lambda: not app.main.live_running, timeout=60)
        assert session.ended_cleanly


async def test_store_is_shown_again_and_the_sample_queued_once(engine: Any, isolated: Path) -> None:
    """A second run shows the first run's jobs from the store and does not queue the sample twice."""
    first = app_for(isolated, engine, files=[SAMPLE], sample=True)
    async with first.run_test(size=(80, 24)) as pilot:
        await wait_for(
            pilot, lambda: all(j.state == JobState.DONE for j in first.batch.jobs.values())
        )
    second = app_for(isolated, engine, files=[SAMPLE], sample=True)
    async with second.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        jobs = list(second.batch.jobs.values())
        assert (
            len(jobs) == 1 and jobs[0].state == JobState.DONE and "morning" in jobs[0].text.lower()
        )
        assert second.main.query_one(JobTable).row_count == 1
