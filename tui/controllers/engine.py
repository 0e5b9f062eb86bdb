"""The engine the dashboard uses: given, Speechmatics, or the local engine it supervises.

All state here is touched on the UI thread only: the blocking start (loading the model) runs in
a thread worker that returns its result, and a generation number drops the result of a start
that a restart has since replaced.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from tui.controllers.host import Host
from tui.core.target import Choices, EngineTarget, OpenedTarget
from tui.messages import EngineState, EngineStatusChanged
from tui.settings import Settings

if TYPE_CHECKING:
    from textual.timer import Timer

WATCH_S = 1.0


class EngineSupervisor:
    """Chooses the engine with ``open_target`` and watches the local one.

    Args:
        host: The app.
        settings: Which engine, and how to start the local one.
        target: An engine someone else runs, used as it is (tests, ``--url`` setups).
    """

    def __init__(self, host: Host, settings: Settings, target: EngineTarget | None) -> None:
        self.host = host
        self.settings = settings
        self.given = target
        self.choices = Choices.from_settings(settings)
        """Language, operating points and labels for new jobs and live sessions."""
        self.opened: OpenedTarget | None = None
        self.state: EngineState = "starting"
        self.ready = asyncio.Event()
        self._generation = 0
        self._watch: Timer | None = None
        self._text = ""
        self.probes = 0
        """Authenticated requests tried so far (an unreachable engine is tried again)."""

    @property
    def target(self) -> EngineTarget | None:
        """The engine to talk to, once there is one, asking for what is chosen."""
        if self.given is not None:
            return self.choices.applied(self.given)
        return self.choices.applied(self.opened.target) if self.opened is not None else None

    @property
    def restartable(self) -> bool:
        """Whether ctrl+r applies: a local engine that is not starting right now."""
        return self.given is None and self.settings.uses_local_engine and self.state != "starting"

    def start(self) -> None:
        """Use the given engine, Speechmatics when a key is set, or start the local engine."""
        self._generation += 1
        if self.given is not None or not self.settings.uses_local_engine:
            from tui.core.target import open_target

            if self.given is None:
                self.opened = open_target(self.settings)  # remote: nothing to start
            assert self.target is not None
            self._set("starting", f"{self.target.label} · checking the key…")
            self.host.run_worker(
                self._check_remote(self._generation),
                group="engine",
                description="checking the engine",
                exit_on_error=False,
            )
            return
        self._set("starting", f"starting the local engine ({self.settings.engine_model})…")
        self.host.run_worker(
            self._start_local(self._generation),
            group="engine",
            description="starting the local engine",
            exit_on_error=False,
        )

    async def _check_remote(self, generation: int) -> None:
        """Ready only after an authenticated request succeeded; retry while unreachable."""
        from tui.core.target import probe

        target = self.target
        assert target is not None
        delay = 1.0
        while generation == self._generation:
            outcome, seen = await probe(target)
            self.probes += 1
            if outcome == "ready":
                self._set("ready", target.label)
                return
            if outcome == "refused":
                self._set(
                    "refused",
                    f"{target.label} · the key was refused ({seen}): check "
                    "SPEECHMATICS_API_KEY in your environment or .env, then restart",
                )
                return
            self._set(
                "unreachable",
                f"{target.label} · no answer from {target.batch_url} "
                f"({seen}) — is the URL right, and the engine up?",
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)

    async def _start_local(self, generation: int) -> None:
        from tui.core.engine_process import EngineStartError
        from tui.core.target import open_target

        def progress(line: str) -> None:  # on the engine's output thread: only post
            shown = line.split(": ", 1)[-1][:70]
            self.host.post_message(EngineStatusChanged(f"local engine starting · {shown}"))

        previous, self.opened = self.opened, None
        if previous is not None:
            await asyncio.to_thread(previous.close)
        try:
            opened = await asyncio.to_thread(open_target, self.settings, progress)
        except EngineStartError as exc:
            if generation == self._generation:
                self._set("failed", f"{exc} — ctrl+r retries")
            return
        if generation != self._generation:  # a newer start replaced this one
            await asyncio.to_thread(opened.close)
            return
        self.opened = opened
        assert opened.process is not None
        target = opened.target
        self._set("ready", f"{target.label} · {target.models_short} · {opened.process.batch_url}")
        if self._watch is None:
            self._watch = self.host.set_interval(WATCH_S, self._check, name="engine-watch")

    def _set(self, state: EngineState, text: str) -> None:
        if (state, text) == (self.state, self._text):
            return
        self.state, self._text = state, text
        if state == "ready":
            self.ready.set()
        else:
            self.ready.clear()
        self.host.post_message(EngineStatusChanged(text, state))

    def _check(self) -> None:
        process = self.opened.process if self.opened is not None else None
        if self.state == "ready" and process is not None and not process.alive:
            self._set(
                "stopped", f"the local engine stopped (log: {process.log_path}) — ctrl+r restarts"
            )

    def restart(self) -> None:
        """Stop the local engine and start a new one (after it died, or at will)."""
        if not self.restartable:
            if self.state == "starting":
                self.host.tell("the engine is still starting", "warning")
            return
        self.start()

    def stop(self) -> None:
        """Stop the local engine if this app started it (blocking, at most a few seconds)."""
        self._generation += 1  # a start still under way closes what it opens
        if self.opened is not None:
            self.opened.close()
            self.opened = None
