"""The microphone picker, and pasting paths to queue them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import events
from textual.app import App

from tests.helpers import SAMPLE, SHARED_AUDIO
from tests.ui.conftest import app_for, notices, wait_for
from tui.screens.devices import DevicePicker


async def test_picker_returns_the_chosen_device() -> None:
    """No microphone exists on this machine, so the picker gets a list as PortAudio would give it."""
    chosen: list[int | None] = []

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(
                DevicePicker([(3, "USB microphone", 48000), (5, "Headset", 16000)]), chosen.append
            )

    async with Host().run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "enter")
        await pilot.pause()
    assert chosen == [5]


async def test_m_without_a_microphone_says_what_to_do(engine: Any, isolated: Path) -> None:
    app = app_for(isolated, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m")
        await pilot.pause()
        told = notices(app)
        assert (
            "no microphone found" in told
            or "PortAudio" in told
            or isinstance(app.screen, DevicePicker)
        )


async def test_pasting_paths_queues_them(engine: Any, isolated: Path) -> None:
    app = app_for(isolated, engine)
    async with app.run_test(size=(80, 24)) as pilot:
        app.main.post_message(events.Paste(f"{SAMPLE}\n{SHARED_AUDIO / 'meeting.wav'}\n"))
        await wait_for(pilot, lambda: len(app.batch.jobs) == 2)
        assert sorted(j.name for j in app.batch.jobs.values()) == ["meeting.wav", "sample.wav"]
