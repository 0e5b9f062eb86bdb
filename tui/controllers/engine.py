"""Choosing the engine, and supervising the local one."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from tui.core.engine_process import EngineProcess
from tui.core.target import EngineTarget
from tui.messages import EngineStatusChanged
from tui.settings import Settings

if TYPE_CHECKING:
    from textual.timer import Timer

    from tui.app import SmTuiApp


class EngineSupervisor:
    """Speechmatics with a key; otherwise a local engine in a child process, watched."""

    def __init__(self, app: SmTuiApp, settings: Settings, target: EngineTarget | None) -> None:
        self.app = app
        self.settings = settings
        self.target = target
        self.process: EngineProcess | None = None
        self.ready = asyncio.Event()
        self._watch: Timer | None = None

    def start(self) -> None:
        """Use the given target, Speechmatics when a key is set, or start the local engine."""
        from tui.core.target import remote_target

        if self.target is not None:  # given (an engine someone else runs)
            self.app.post_message(EngineStatusChanged(self.target.label, ready=True))
            return
        if not self.settings.uses_local_engine:
            self.target = remote_target(self.settings)
            self.app.post_message(EngineStatusChanged(self.target.label, ready=True))
            return
        self.app.post_message(
            EngineStatusChanged(f"starting the local engine ({self.settings.engine_model})…")
        )
        self.app.run_worker(self._run_local, thread=True, group="engine",
                            description="starting the local engine", exit_on_error=False)  # fmt: skip

    def _run_local(self) -> None:
        """Runs on a thread: the model load takes seconds."""
        from tui.core.engine_process import EngineStartError, start_engine
        from tui.core.target import local_target

        def progress(line: str) -> None:
            shown = line.split(": ", 1)[-1][:70]
            self.app.post_message(EngineStatusChanged(f"local engine starting · {shown}"))

        try:
            process = start_engine(self.settings, on_progress=progress)
        except EngineStartError as exc:
            self.app.post_message(EngineStatusChanged(f"{exc} — ctrl+r retries", failed=True))
            return
        self.process = process
        self.target = local_target(
            process.batch_url, process.rt_url, process.api_key, self.settings.engine_model
        )
        self.app.post_message(
            EngineStatusChanged(f"{self.target.label} · {process.batch_url}", ready=True)
        )

    def status_changed(self, event: EngineStatusChanged) -> bool:
        """Track readiness; True the first time the engine becomes ready."""
        if not event.ready:
            return False
        first = not self.ready.is_set() and self._watch is None
        self.ready.set()
        if self._watch is None:
            self._watch = self.app.set_interval(2.0, self._check, name="engine-watch")
        return first

    def _check(self) -> None:
        if self.process is not None and not self.process.alive and self.ready.is_set():
            self.ready.clear()
            log = self.process.log_path
            self.app.post_message(
                EngineStatusChanged(
                    f"the local engine stopped (log: {log}) — ctrl+r restarts", failed=True
                )
            )

    def restart(self) -> None:
        """Start the local engine again (after it died or failed to start)."""
        if not self.settings.uses_local_engine or (self.process is None and self.ready.is_set()):
            return
        self.ready.clear()
        self.stop()
        self.start()

    def stop(self) -> None:
        """Stop the local engine if this app started it."""
        if self.process is not None:
            self.process.stop()
            self.process = None
