"""A private PulseAudio server whose null sink's monitor is the default microphone.

Speech played into the sink (``paplay``) is what any program recording from the ``pulse``
device hears, as on a user's machine: PortAudio reaches it through ALSA's pulse plugin.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

SINK = "sm_tui_mic"


class PulseError(RuntimeError):
    """The server could not start here; the message says why."""


class PulseServer:
    """One ``pulseaudio`` daemon in its own runtime folder (nothing of the user's is touched).

    Args:
        folder: Where its runtime folder and home go.
    """

    def __init__(self, folder: Path) -> None:
        if shutil.which("pulseaudio") is None or shutil.which("pactl") is None:
            raise PulseError(
                "pulseaudio and pactl are not installed "
                "(Debian: apt-get install pulseaudio pulseaudio-utils libasound2-plugins)"
            )
        run, home = folder / "run", folder / "home"
        run.mkdir(parents=True, mode=0o700)
        home.mkdir(parents=True)
        self.env = {**os.environ, "XDG_RUNTIME_DIR": str(run), "HOME": str(home)}
        self.env.pop("PULSE_SERVER", None)
        self.log = folder / "pulseaudio.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1",
                 "--disallow-exit", "--log-target=stderr",
                 "--load=module-native-protocol-unix",
                 f"--load=module-null-sink sink_name={SINK} rate=16000 channels=1"],
                env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            )  # fmt: skip
        deadline = time.monotonic() + 20
        while self.pactl("info").returncode != 0:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise PulseError(f"pulseaudio did not start: {self.log.read_text()[-600:]}")
            time.sleep(0.1)  # a server starting: polled, the deadline bounds it
        self.pactl("set-default-source", f"{SINK}.monitor", check=True)

    def pactl(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["pactl", *args], env=self.env, capture_output=True, text=True, timeout=10, check=check
        )

    def play(self, path: Path) -> subprocess.Popen[bytes]:
        """Play a file into the sink: the microphone hears it."""
        return subprocess.Popen(
            ["paplay", f"--device={SINK}", str(path)], env=self.env, stderr=subprocess.DEVNULL
        )

    def unplug(self) -> None:
        """Take the microphone away, as pulling out a USB microphone does."""
        self.pactl("unload-module", "module-null-sink", check=True)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
