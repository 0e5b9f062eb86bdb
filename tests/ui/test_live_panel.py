"""The live panel: files and stdin played live, partials then finals, session settings."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import normalise
from tests.standin import expected_text, tone_file, tone_speech
from tests.ui.pilot import Messages, app_for, notices, wait_for
from tui.messages import LiveEnded, LiveStarted
from tui.screens.ask import Ask
from tui.screens.compare import CompareScreen
from tui.settings import Settings
from tui.shared.audio import decode_file
from tui.widgets.level_meter import LevelMeter
from tui.widgets.live_transcript import LiveTranscript

TALK = ["alpha bravo charlie", "delta echo foxtrot golf", "hotel india juliet"]


SHORT_TALK = ["alpha bravo charlie", "delta echo"]


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
        # the four formats, and the audio heard (kept in the recordings as it streamed)
        await wait_for(pilot, lambda: len(list((isolated / "exports").glob("live-*"))) == 5)
        exported = list((isolated / "exports").glob("live-*"))
        (audio,) = [p for p in exported if p.suffix == ".flac"]
        length = len(tone_speech(TALK)) / 16000
        assert len(decode_file(audio)) / 16000 == pytest.approx(length, abs=0.1)
        assert [r.suffix for r in (isolated / "recordings").iterdir()] == [".flac"]
        saved = {p.suffix: p.read_text() for p in exported if p.suffix != ".flac"}
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


async def test_space_after_stdin_ended_keeps_the_transcript(
    standin: Any, isolated: Path, tmp_path: Path
) -> None:
    """stdin can be read once: space after it ended asks about the unsaved transcript, then says
    there is no more audio, and the transcript stays on screen."""
    talk = tone_file(tmp_path / "talk.wav", SHORT_TALK)
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


async def test_c_in_the_live_panel_compares_the_session_with_batch(
    standin: Any, isolated: Path, tmp_path: Path
) -> None:
    """After a session ends, ``c`` in the live panel sends its recording to batch and opens the
    comparison: the latencies the session measured, batch's turnaround, kept in the history."""
    talk = tone_file(tmp_path / "talk.wav", TALK)
    heard = Messages()
    app = app_for(isolated, standin, live=str(talk))
    async with app.run_test(size=(120, 40), message_hook=heard) as pilot:
        await wait_for(pilot, lambda: bool(heard.of(LiveEnded)))
        live = app.main.query_one(LiveTranscript)
        live.focus()
        await wait_for(pilot, lambda: app.main.live_comparable)
        await pilot.press("c")
        await wait_for(pilot, lambda: getattr(app.screen, "summary", None) is not None, timeout=120)
        screen = app.screen
        assert isinstance(screen, CompareScreen) and screen.summary is not None
        summary = screen.summary
        assert normalise(summary.batch.transcript) == normalise(expected_text(TALK))
        assert summary.wer.between == 0.0
        words = summary.realtime.words
        assert normalise(" ".join(w.word for w in words)) == normalise(expected_text(TALK))
        assert summary.realtime.final_latency_p95_s is not None
        assert summary.batch.turnaround_s > 0
        assert list((isolated / "comparisons").glob("*.json"))  # kept in the history
        await pilot.press("escape")
        # with the queue focused, c is the selected job's again (no job here: nothing to do)
        app.main.query_one("#jobs").focus()
        await pilot.pause()
        assert not app.main.check_action("compare_job", ())
