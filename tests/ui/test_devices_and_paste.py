"""The microphone picker on its own, and pasting paths to queue them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import events
from textual.app import App

from tests.standin import tone_file
from tests.ui.conftest import app_for, wait_for
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
