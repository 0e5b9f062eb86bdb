"""The status line tells the truth about the engine: a wrong key, an unreachable engine, a restart.

These keep the real model (the engine is a child process)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.standin import tone_file
from tests.ui.pilot import Messages, app_for, notices, wait_for
from tui.core.batch import JobState
from tui.messages import EngineStatusChanged
from tui.settings import Settings
from tui.widgets.status_bar import StatusBar

TALK = ["alpha bravo charlie", "delta echo foxtrot golf", "hotel india juliet"]


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
