"""The microphone: a real one through PulseAudio, the device picker, no input device, no
PortAudio library."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App

from tests.helpers import normalise
from tests.standin import expected_text, tone_file
from tests.ui.pilot import app_for, notices, wait_for
from tui.screens.devices import DevicePicker
from tui.widgets.level_meter import LevelMeter

TALK = ["alpha bravo charlie", "delta echo foxtrot golf"]


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


async def test_a_real_microphone_in_the_dashboard(
    pulse: Any, standin: Any, isolated: Path, tmp_path: Path
) -> None:
    """Through a real PulseAudio server (``tests/pulse.py``): the picker lists ``pulse``, the
    meter rises above -40 dBFS while speech plays and falls back in silence, and the words
    reach the transcript."""
    talk = tone_file(tmp_path / "talk.wav", TALK)
    app = app_for(isolated, standin)  # the real PortAudio device list
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.supervisor.ready.is_set())
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, DevicePicker))
        picker = app.screen
        assert isinstance(picker, DevicePicker)
        names = [name for _, name, _ in picker.devices]
        assert "pulse" in names
        await pilot.press(*["down"] * names.index("pulse"), "enter")
        await wait_for(pilot, lambda: app.screen is app.main)
        await pilot.press("space")
        await wait_for(pilot, lambda: app.live.running)
        meter = app.main.query_one(LevelMeter)
        player = pulse.play(talk)
        await wait_for(pilot, lambda: meter.rms_db > -40)  # speech
        await wait_for(pilot, lambda: player.poll() is not None and meter.rms_db < -40)  # silence
        assert player.returncode == 0
        await wait_for(
            pilot, lambda: normalise(expected_text(TALK)) in normalise(app.live.transcript)
        )
        await pilot.press("space")
        await wait_for(pilot, lambda: not app.live.running)
        assert "no microphone" not in notices(app)
