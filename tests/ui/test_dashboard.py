"""Pilot tests: the dashboard as a keyboard user drives it.

They run on the real engine with the stand-in recogniser (``tests/standin.py``), so what they
see is exact and quick; the first test and the engine-supervision tests keep the real model.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from textual.widgets import TextArea

from tests.helpers import SAMPLE, normalise, references, wer
from tests.standin import expected_text, tone_file
from tests.ui.conftest import Messages, app_for, notices, wait_for
from tui.core.batch import JobState
from tui.messages import EngineStatusChanged, JobChanged, LiveEnded, LiveStarted
from tui.screens.ask import Ask
from tui.screens.devices import DevicePicker
from tui.settings import Settings
from tui.widgets.job_table import JobTable
from tui.widgets.level_meter import LevelMeter
from tui.widgets.live_transcript import LiveTranscript
from tui.widgets.status_bar import StatusBar

TALK = ["alpha bravo charlie", "delta echo foxtrot golf", "hotel india juliet"]


def states(messages: Messages, job_id: int) -> list[JobState]:
    """The states a job went through, in order (a repeat is a refresh, not a step)."""
    seen = [m.state for m in messages.of(JobChanged) if m.job.id == job_id]
    return [state for n, state in enumerate(seen) if n == 0 or seen[n - 1] != state]


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


async def test_live_file_shows_partials_then_finals(
    standin: Any, isolated: Path, tmp_path: Path
) -> None:
    talk = tone_file(tmp_path / "talk.wav", TALK)
    heard = Messages()
    app = app_for(isolated, standin)
    async with app.run_test(size=(120, 40), message_hook=heard) as pilot:
        await pilot.press("f", *str(talk), "enter")
        live = app.main.query_one(LiveTranscript)
        meter = app.main.query_one(LevelMeter)
        seen_partial_first = False
        meter_moved = False
        lag_shown = False

        def progressed() -> bool:
            nonlocal seen_partial_first, meter_moved, lag_shown
            seen_partial_first |= bool(live._partial) and not live.text
            meter_moved |= meter.active and meter.rms_db > -60
            title = str(app.main.query_one("#live-panel").border_title)
            lag_shown |= bool(re.search(r"lag \d+\.\ds, \d+\.\ds unfinal", title))
            return bool(heard.of(LiveEnded))

        await wait_for(pilot, progressed)
        assert seen_partial_first and meter_moved and lag_shown
        assert [m.source for m in heard.of(LiveStarted)] == ["talk.wav"]
        assert heard.of(LiveEnded)[0].clean
        assert not app.main.live_running and not app.live.running
        assert normalise(live.text) == normalise(expected_text(TALK))
        # saving writes the controller's stitched transcript (stream order), not the widget
        assert normalise(app.live.transcript) == normalise(expected_text(TALK))
        await pilot.press("s")  # save asks which format: a is all four
        await wait_for(pilot, lambda: isinstance(app.screen, Ask))
        await pilot.press("a")
        await wait_for(pilot, lambda: len(list((isolated / "exports").glob("live-*"))) == 4)
        saved = {p.suffix: p.read_text() for p in (isolated / "exports").glob("live-*")}
        assert saved[".txt"].strip() == app.live.transcript
        assert saved[".vtt"].startswith("WEBVTT") and "-->" in saved[".srt"]
        document = json.loads(saved[".json"])
        words = [r for r in document["results"] if r["type"] == "word"]
        assert " ".join(w["alternatives"][0]["content"] for w in words).lower() == normalise(
            expected_text(TALK)
        )
        starts = [w["start_time"] for w in words]
        assert starts == sorted(starts) and all(w["end_time"] > w["start_time"] for w in words)
        assert not app.live.unsaved


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


async def test_wrong_key_is_reported_and_never_shown(
    standin: Any, isolated: Path, tmp_path: Path
) -> None:
    """The status line says the key was refused, jobs wait (never lost), and the key never shows."""
    from tui.core.target import remote_target

    key = "sk-WRONG-recognisable-key-1a2b"
    talk = tone_file(tmp_path / "talk.wav", TALK[:1])
    settings = Settings(
        api_key=key, batch_url=standin.batch_url, rt_url=standin.rt_url, data_dir=isolated
    )
    app = app_for(isolated, settings=settings, target=remote_target(settings), files=[talk])
    async with app.run_test(size=(120, 40)) as pilot:
        status = app.main.query_one(StatusBar)
        await wait_for(pilot, lambda: status.state == "refused")
        assert "key refused" in str(status.render()) and "SPEECHMATICS_API_KEY" in status.engine
        job = next(iter(app.batch.jobs.values()))
        assert job.state == JobState.QUEUED and job.error is None  # kept for a working key
        await pilot.press("f", *str(talk), "enter")
        await wait_for(pilot, lambda: "not ready" in notices(app))
        assert "sk…1a2b" in status.engine
        screen = app.export_screenshot()
        assert key not in screen and key not in notices(app)


async def test_an_unreachable_engine_is_said_and_retried(isolated: Path, tmp_path: Path) -> None:
    from tui.core.target import remote_target

    talk = tone_file(tmp_path / "talk.wav", TALK[:1])
    settings = Settings(
        api_key="k" * 20,
        batch_url="http://127.0.0.1:9/v2",
        rt_url="ws://127.0.0.1:9/v2",
        data_dir=isolated,
    )
    heard = Messages()
    app = app_for(isolated, settings=settings, target=remote_target(settings), files=[talk])
    async with app.run_test(size=(80, 24), message_hook=heard) as pilot:
        status = app.main.query_one(StatusBar)
        await wait_for(pilot, lambda: status.state == "unreachable")
        assert "unreachable (retrying…)" in str(status.render())
        assert "127.0.0.1:9" in status.engine and "is the URL right" in status.engine
        job = next(iter(app.batch.jobs.values()))
        assert job.state == JobState.QUEUED  # waits for the engine rather than fail
        assert [m.state for m in heard.of(EngineStatusChanged)] == ["starting", "unreachable"]
        await wait_for(pilot, lambda: app.supervisor.probes >= 2)  # and tries again
        assert job.state == JobState.QUEUED


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


async def test_engine_restart_replaces_the_process(isolated: Path) -> None:
    """On the real model: ctrl+r is refused while starting, restarts after a crash and at will."""
    app = app_for(isolated)
    async with app.run_test(size=(80, 24)) as pilot:
        status = app.main.query_one(StatusBar)
        assert app.supervisor.state == "starting"
        await pilot.press("ctrl+r")  # disabled while starting: no second engine
        await wait_for(pilot, lambda: status.state == "ready", timeout=120)
        opened = app.supervisor.opened
        assert opened is not None and opened.process is not None
        first = opened.process.process
        first.kill()
        await wait_for(pilot, lambda: status.state == "stopped", timeout=30)
        assert "stopped" in status.engine and "ctrl+r" in status.engine
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: status.state == "ready", timeout=120)
        opened = app.supervisor.opened
        assert opened is not None and opened.process is not None
        second = opened.process.process
        assert second.pid != first.pid and second.poll() is None
        await pilot.press("ctrl+r")  # at will: the running engine is replaced, not orphaned
        await wait_for(pilot, lambda: status.state == "starting", timeout=10)
        await wait_for(pilot, lambda: status.state == "ready", timeout=120)
        assert second.poll() is not None  # the old one is gone
        opened = app.supervisor.opened
        assert opened is not None and opened.process is not None
        third = opened.process.process
    assert third.poll() is not None  # and quitting stops the engine too


async def test_no_microphone_says_what_to_do(standin: Any, isolated: Path) -> None:
    """No microphone exists here; the app is given the empty device list PortAudio would give."""
    app = app_for(isolated, standin, list_devices=lambda: [])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space")
        await pilot.pause()
        assert "no microphone found" in notices(app) and "press f" in notices(app)
        assert not app.live.running
        await pilot.press("m")
        await pilot.pause()
        assert notices(app).count("no microphone found") == 2
        assert not isinstance(app.screen, DevicePicker)


async def test_microphone_picker_chooses_the_device(standin: Any, isolated: Path) -> None:
    devices = [(3, "USB microphone", 48000), (5, "Headset", 16000)]
    app = app_for(isolated, standin, list_devices=lambda: devices)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, DevicePicker))
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: app.screen is app.main)
        assert app.live.mic_device == 5
        assert app.main.default_source == "mic Headset"


async def test_no_portaudio_library(standin: Any, isolated: Path, monkeypatch: Any) -> None:
    """PortAudio cannot be removed from this machine, so its absence is simulated at import."""
    import sys

    class NoPortAudio:
        def find_spec(self, name: str, *args: object) -> None:
            if name == "sounddevice":
                raise OSError("PortAudio library not found")

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [NoPortAudio(), *sys.meta_path])
    app = app_for(isolated, standin)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space")
        await pilot.pause()
        assert "PortAudio library is missing" in notices(app)
        assert "libportaudio2" in notices(app)


async def test_live_option_starts_when_the_engine_is_ready(
    standin: Any, isolated: Path, tmp_path: Path
) -> None:
    talk = tone_file(tmp_path / "talk.wav", TALK)
    heard = Messages()
    app = app_for(isolated, standin, live=str(talk))
    async with app.run_test(size=(80, 24), message_hook=heard) as pilot:
        await wait_for(pilot, lambda: bool(heard.of(LiveStarted)))
        assert app.main.default_source == "talk.wav"
        await wait_for(pilot, lambda: bool(heard.of(LiveEnded)))
        live = app.main.query_one(LiveTranscript)
        assert normalise(live.text) == normalise(expected_text(TALK))


async def test_live_sessions_get_the_session_limit_from_settings(
    standin: Any, isolated: Path, tmp_path: Path
) -> None:
    talk = tone_file(tmp_path / "talk.wav", TALK)
    settings = Settings(data_dir=isolated, max_session_s=7.0, max_delay=2.0)
    app = app_for(isolated, standin, settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f", *str(talk), "enter")
        await wait_for(pilot, lambda: app.live.running)
        session = app.live.session
        assert session is not None
        assert (session.max_session_s, session.max_delay) == (7.0, 2.0)
        await pilot.press("space")  # stop: it flushes and ends cleanly
        await wait_for(pilot, lambda: not app.main.live_running)
        assert session.ended_cleanly


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
                held = engine.engine.jobs.jobs[job.engine_job_id or ""]
                await wait_for(pilot, lambda held=held: held.task is not None and held.task.done())
                assert held.results is None and held.audio_path is None
    finally:
        engine.stop()
