"""Running a comparison matrix: each configuration on each file, one after another, through
the official SDKs, so no run slows another; the figures are ``tui.core.matrix``'s.

Targets are opened before any audio is sent: the local engine is started once, Speechmatics
needs a key, and every remote target must answer an authenticated request first.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tui.core.comparison import percentile
from tui.core.matrix import Configuration, Figures, MatrixInputError, Run, summarise
from tui.core.target import SAAS_BATCH_URL, SAAS_RT_URL, EngineTarget, OpenedTarget
from tui.core.wer import wer
from tui.settings import Settings

YARDSTICK = ("speechmatics", "url", "local")  # whose enhanced batch stands in for a reference


@dataclass
class FileAudio:
    """A file to run, its audio and its reference (None: the most accurate batch side's
    transcript stands in)."""

    path: Path
    pcm: Any
    reference: str | None = None

    @property
    def audio_s(self) -> float:
        from tui.shared.audio import RATE

        return len(self.pcm) / RATE


@dataclass
class Matrix:
    """A matrix's runs so far: (configuration, file name) → runs, in the order they finished.
    It is filled as runs finish, so what finished survives a ctrl+c."""

    configurations: list[Configuration]
    files: list[FileAudio]
    runs: dict[tuple[Configuration, str], list[Run]] = field(default_factory=dict)

    def add(self, configuration: Configuration, file: str, run: Run) -> None:
        self.runs.setdefault((configuration, file), []).append(run)

    def figures(self, settings: Settings) -> list[Figures]:
        """Each configuration's figures over every file and repeat finished so far."""
        out = []
        yardsticks = {file.path.name: self._yardstick(file) for file in self.files}
        for configuration in self.configurations:
            runs: list[Run] = []
            wers: list[float | None] = []
            against = ""
            for file in self.files:
                these = self.runs.get((configuration, file.path.name), [])
                runs += these
                name, text = yardsticks[file.path.name]
                against = name
                for run in these:
                    wers.append(wer(text, run.transcript) if text and run.transcript else None)
            if runs:
                out.append(summarise(configuration, runs, wers, settings.prices, against))
        return out

    def _yardstick(self, file: FileAudio) -> tuple[str, str | None]:
        """What a run's transcript is scored against: the reference, or the transcript of the
        most accurate batch side that ran (enhanced, Speechmatics before a URL before local)."""
        if file.reference:
            return "reference", file.reference
        batches = [
            c
            for c in self.configurations
            if c.mode == "batch" and self.runs.get((c, file.path.name))
        ]
        batches.sort(key=lambda c: (c.model != "enhanced", YARDSTICK.index(_kind(c.target))))
        for configuration in batches:
            for run in self.runs[(configuration, file.path.name)]:
                if run.transcript and not run.errors:
                    return configuration.label, run.transcript
        return "", None


def _kind(target: str) -> str:
    return target if target in ("local", "speechmatics") else "url"


def remote(target: str, settings: Settings) -> EngineTarget:
    """Speechmatics or a URL as a target (checked, not yet reached)."""
    if target == "speechmatics":
        if not settings.api_key:
            raise MatrixInputError(
                "--target speechmatics needs a Speechmatics API key: set SPEECHMATICS_API_KEY "
                "(in the environment or a .env file)"
            )
        return EngineTarget(
            SAAS_BATCH_URL,
            SAAS_RT_URL,
            settings.api_key,
            f"Speechmatics · key {settings.masked_key}",
        )
    from urllib.parse import urlparse

    url = urlparse(target)
    secure = url.scheme in ("https", "wss")
    path = url.path if url.path not in ("", "/") else "/v2"
    batch = f"{'https' if secure else 'http'}://{url.netloc}{path}"
    rt = f"{'wss' if secure else 'ws'}://{url.netloc}{path}"
    key = settings.api_key or "none"  # an on-premises engine may not ask for one
    return EngineTarget(batch, rt, key, f"{url.netloc}")


async def open_targets(
    targets: Sequence[str], settings: Settings, say: Callable[[str], object]
) -> dict[str, OpenedTarget]:
    """Every target, ready: remote ones checked to answer, the local engine started once.

    Raises:
        MatrixInputError: A target cannot be used; nothing has been sent.
    """
    from tui.core.engine_process import EngineStartError
    from tui.core.target import open_target, probe

    opened: dict[str, OpenedTarget] = {}
    for name in targets:
        if name == "local":
            continue
        target = remote(name, settings)
        outcome, seen = await probe(target)
        if outcome != "ready":
            raise MatrixInputError(
                f"--target {name} cannot be used: {outcome} ({seen}); check the URL and key"
            )
        opened[name] = OpenedTarget(target)
    if "local" in targets:
        say("starting the local engine…")
        try:
            opened["local"] = await asyncio.to_thread(
                open_target, settings.with_changes(api_key=None, batch_url=None, rt_url=None)
            )
        except EngineStartError as exc:
            raise MatrixInputError(f"--target local: {exc}") from exc
    return opened


async def run_matrix(
    matrix: Matrix,
    targets: dict[str, OpenedTarget],
    settings: Settings,
    repeat: int,
    say: Callable[[str], object],
) -> None:
    """Run every configuration on every file ``repeat`` times, one run at a time, adding each
    run to ``matrix`` as it finishes."""
    total = len(matrix.configurations) * len(matrix.files) * repeat
    done = 0
    for round_ in range(repeat):
        for file in matrix.files:
            for configuration in matrix.configurations:
                done += 1
                again = f", round {round_ + 1}" if repeat > 1 else ""
                say(f"[{done}/{total}] {configuration.label} on {file.path.name}{again}")
                target = targets[configuration.target].target
                run = await _run_one(configuration, target, file, settings.language)
                matrix.add(configuration, file.path.name, run)
                if run.errors:
                    say(f"  failed: {'; '.join(run.errors)}")


async def _run_one(
    configuration: Configuration, target: EngineTarget, file: FileAudio, language: str
) -> Run:
    """One configuration on one file; an error is kept in the run, never raised."""
    from tui.core.compare import run_batch, run_realtime

    try:
        if configuration.mode == "batch":
            batch = await run_batch(
                replace(target, batch_model=configuration.model), file.path, language
            )
            return Run(
                latency_p50_s=round(batch.turnaround_s, 3),
                latency_p95_s=round(batch.turnaround_s, 3),
                transcript=batch.transcript,
                compute_s=await _batch_compute(target, batch.job_id) if not batch.error else None,
                audio_s=file.audio_s,
                errors=[batch.error] if batch.error else [],
            )
        load = _SessionLoad(target)
        assert configuration.max_delay is not None
        # Only the local engine says a session's compute (a 404 until its first step).
        watching = asyncio.create_task(load.watch() if target.local else asyncio.sleep(0))
        try:
            realtime = await run_realtime(
                replace(target, rt_model=configuration.model),
                file.pcm,
                configuration.max_delay,
                language,
                on_started=load.started,
            )
        finally:
            watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watching
        latencies = realtime.latencies
        return Run(
            latency_p50_s=_r(percentile(latencies, 50)),
            latency_p95_s=_r(percentile(latencies, 95)),
            first_partial_s=_r(realtime.first_partial_s),
            transcript=realtime.transcript,
            compute_s=_r(load.compute_s),
            audio_s=file.audio_s,
            errors=list(realtime.errors) or ([] if latencies else ["no final words came back"]),
        )
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a configuration that fails shows it in its row
        from tui.core.errors import explain

        return Run(audio_s=file.audio_s, errors=[explain(exc, target.batch_url)])


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


async def _batch_compute(target: EngineTarget, job_id: str | None) -> float | None:
    """The seconds the engine says it spent on a job (the local engine's header; None from
    engines that do not say)."""
    import aiohttp

    from tui.shared.extensions import COMPUTE_HEADER

    if job_id is None:
        return None
    url, headers = target.job_url(job_id), target.headers
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
            session.get(url, headers=headers) as response,
        ):
            said = response.headers.get(COMPUTE_HEADER)
        return round(float(said), 3) if said is not None else None
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None


class _SessionLoad:
    """A running real-time session's compute, read from the local engine while it runs (the
    last answer before the session ends)."""

    def __init__(self, target: EngineTarget) -> None:
        self.target = target
        self.session_id: str | None = None
        self.compute_s: float | None = None

    def started(self, message: dict[str, Any]) -> None:
        self.session_id = str(message.get("id") or "") or None

    def _heard(self, body: dict[str, Any]) -> None:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            self.compute_s = float(body["compute_s"])

    async def watch(self) -> None:
        from tui.core.session_load import follow_load

        await follow_load(self.target, lambda: self.session_id, self._heard, patient=True)
