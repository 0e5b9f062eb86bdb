"""Runs the local engine as a child process, so transcription never competes with the UI."""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tui.paths import DataPaths
from tui.settings import Settings


class EngineStartError(RuntimeError):
    """The local engine did not come up; the message says why and what to do."""


@dataclass
class EngineProcess:
    """A running ``sm-tui serve`` child.

    Attributes:
        port: The port it listens on.
        api_key: The one-off key it demands (never shown).
        log_path: Where its output goes.
    """

    process: subprocess.Popen[str]
    host: str
    port: int
    api_key: str = field(repr=False)
    log_path: Path

    @property
    def batch_url(self) -> str:
        """Base URL of the batch API."""
        return f"http://{self.host}:{self.port}/v2"

    @property
    def rt_url(self) -> str:
        """URL of the real-time API."""
        return f"ws://{self.host}:{self.port}/v2"

    @property
    def alive(self) -> bool:
        """True while the child runs."""
        return self.process.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the child: close its stdin, then terminate, then kill."""
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)


def start_engine(
    settings: Settings,
    extra_args: Sequence[str] = (),
    on_progress: Callable[[str], None] | None = None,
    timeout: float = 120.0,
) -> EngineProcess:
    """Start ``sm-tui serve`` on a free loopback port and wait until it is ready.

    Args:
        settings: Model, host, limits and the data folder come from here.
        extra_args: More ``serve`` options (tests use small limits).
        on_progress: Called with each line the engine logs while it starts.
        timeout: Seconds to wait for the model to load.

    Raises:
        EngineStartError: The engine exited or did not become ready in time.
    """
    paths = DataPaths(settings.data_dir).ensure()
    log_path = paths.logs / "engine.log"
    key = secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "SM_TUI_ENGINE_API_KEY": key,
        "SM_TUI_DATA_DIR": str(settings.data_dir),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("SPEECHMATICS_API_KEY", None)
    command = [
        sys.executable,
        "-m",
        "tui",
        "serve",
        "--port",
        "0",
        "--announce",
        "--watch-stdin",
        "--host",
        settings.engine_host,
        "--model",
        settings.engine_model,
        *extra_args,
    ]
    log = log_path.open("a", encoding="utf-8")
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        bufsize=1,
    )
    assert process.stdout is not None
    port: list[int] = []
    ready = threading.Event()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("READY "):
                port.append(int(line.split()[1]))
                ready.set()
                continue
            log.write(line)
            log.flush()
            if on_progress is not None and not ready.is_set():
                on_progress(line.rstrip())
        log.close()
        ready.set()

    threading.Thread(target=pump, name="engine-output", daemon=True).start()
    started = time.monotonic()
    while not ready.wait(0.2):
        if time.monotonic() - started > timeout:
            process.kill()
            raise EngineStartError(
                f"the local engine did not start within {timeout:.0f}s; see {log_path}"
            )
    if not port:
        process.wait(5)
        tail = _tail(log_path)
        raise EngineStartError(f"the local engine exited ({tail}); see {log_path}")
    return EngineProcess(process, settings.engine_host, port[0], key, log_path)


def _tail(path: Path) -> str:
    with contextlib.suppress(OSError):
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if lines:
            return lines[-1][-200:]
    return "no output"
