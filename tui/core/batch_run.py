"""Running one batch job through the batch SDK: submit, or resume by polling, with retries."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from tui.core.batch import BatchJob, JobInputError, JobState, inspect, without_nulls
from tui.core.errors import explain
from tui.core.target import EngineTarget

T = TypeVar("T")
RETRY_STATUSES = {408, 429, 500, 502, 503, 504}
MAX_ATTEMPTS = 6


def retryable(exc: BaseException) -> bool:
    """True for rate limits, server errors, timeouts and dropped connections (anywhere in the chain)."""
    import aiohttp
    from speechmatics.batch import AuthenticationError, TransportError

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, AuthenticationError):
            return False
        if isinstance(seen, TransportError) and seen.status_code in RETRY_STATUSES:
            return True
        if isinstance(seen, aiohttp.ClientConnectionError | asyncio.TimeoutError | ConnectionError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def with_retries(call: Callable[[], Awaitable[T]], base: float = 0.5, cap: float = 10.0) -> T:
    """Await ``call()``, retrying retryable failures with exponential backoff and ±20% jitter."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            return await call()
        except Exception as exc:
            if attempt == MAX_ATTEMPTS - 1 or not retryable(exc):
                raise
            delay = min(cap, base * 2**attempt) * random.uniform(0.8, 1.2)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


def _not_found(exc: BaseException) -> bool:
    text = str(exc)
    return "404" in text or "not found" in text.lower()


async def run_job(
    job: BatchJob,
    target: EngineTarget,
    on_change: Callable[[BatchJob], None],
) -> None:
    """Take a job to done or failed, updating it in place and calling ``on_change`` each step.

    A job that already has an engine job id (one that was running when sm-tui stopped) is polled,
    not submitted again; only if the engine no longer knows it is it submitted afresh.
    Never raises for a failure of the job itself: the job ends failed with the reason.
    """
    from speechmatics.batch import AsyncClient

    def step(state: JobState, error: str | None = None) -> None:
        job.state, job.error = state, error
        if state in (JobState.DONE, JobState.FAILED):
            job.finished_at = time.time()
        on_change(job)

    try:
        job.size, job.duration = (
            inspect(job.path) if job.engine_job_id is None else (job.size, job.duration)
        )
    except JobInputError as exc:
        step(JobState.FAILED, str(exc))
        return
    job.engine = target.label
    try:
        async with AsyncClient(api_key=target.api_key, url=target.batch_url) as client:
            transcript = None
            if job.engine_job_id is not None:
                transcript = await _resume(client, job, step)
            if transcript is None:
                transcript = await _submit_and_wait(client, job, step)
            job.txt, job.srt = await _texts(client, job.engine_job_id or "")
    except Exception as exc:  # every failure becomes the job's reason, shown in its row
        step(JobState.FAILED, explain(exc, target.batch_url))
        return
    job.transcript = without_nulls(dataclasses.asdict(transcript))
    job.text = str(transcript.transcript_text)
    step(JobState.DONE)


async def _resume(client: Any, job: BatchJob, step: Callable[[JobState], None]) -> Any:
    """Poll a job the engine may still have; None if it no longer knows it."""
    from speechmatics.batch import JobError

    step(JobState.RUNNING)
    try:
        return await _wait(client, job.engine_job_id or "")
    except JobError as exc:
        if _not_found(exc):
            job.engine_job_id = None
            return None
        raise


async def _submit_and_wait(client: Any, job: BatchJob, step: Callable[[JobState], None]) -> Any:
    from speechmatics.batch import TranscriptionConfig

    job.submitted_at, job.finished_at = time.time(), None
    step(JobState.UPLOADING)
    config = TranscriptionConfig(language=job.language)
    details = await with_retries(
        lambda: client.submit_job(str(job.path), transcription_config=config)
    )
    job.engine_job_id = details.id
    step(JobState.RUNNING)
    return await _wait(client, details.id)


async def _wait(client: Any, engine_job_id: str) -> Any:
    """Wait for the transcript; a rejected job fails with the engine's own reason."""
    from speechmatics.batch import JobError

    try:
        return await with_retries(
            lambda: client.wait_for_completion(
                engine_job_id, polling_interval=2.0, min_polling_interval=0.2
            )
        )
    except JobError as exc:
        reason = await _engine_reason(client, engine_job_id)
        if reason:
            raise JobError(f"the engine rejected the job: {reason}") from exc
        raise


async def _engine_reason(client: Any, engine_job_id: str) -> str | None:
    try:
        info = await client.get_job_info(engine_job_id)
    except Exception:  # the reason is a courtesy; the original error still stands
        return None
    errors = getattr(info, "errors", None) or []
    return str(errors[-1].message) if errors else None


async def _texts(client: Any, engine_job_id: str) -> tuple[str, str]:
    from speechmatics.batch import FormatType

    txt = await with_retries(
        lambda: client.get_transcript(engine_job_id, format_type=FormatType.TXT)
    )
    srt = await with_retries(
        lambda: client.get_transcript(engine_job_id, format_type=FormatType.SRT)
    )
    return str(txt), str(srt)
