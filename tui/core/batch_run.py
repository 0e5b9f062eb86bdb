"""Running one batch job through the batch SDK: submit, or resume by polling, with retries."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar

from tui.core.batch import BatchJob, JobInputError, JobState, inspect, without_nulls
from tui.core.errors import explain
from tui.core.job_wait import until_ended
from tui.core.target import EngineTarget
from tui.shared.transcripts import render_turns

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


Outcome = Literal["finished", "interrupted"]


def unreachable(exc: BaseException) -> bool:
    """True when the engine did not answer at all (a dropped or refused connection, a
    timeout), as opposed to an answer that says no."""
    import aiohttp
    from speechmatics.batch import TransportError

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, TransportError) and seen.status_code:
            return False
        if isinstance(seen, aiohttp.ClientConnectionError | asyncio.TimeoutError | ConnectionError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def run_job(
    job: BatchJob,
    target: Callable[[], EngineTarget | None],
    on_change: Callable[[BatchJob], None],
    ready: asyncio.Event | None = None,
) -> Outcome:
    """Take a job to done or failed, updating it in place and calling ``on_change`` each step.

    The file is checked first, so a missing or broken file fails at once, whatever the engine
    is doing; then the job waits for the engine to be ready. A job that already has an engine
    job id (one that was running when sm-tui stopped) is polled, not submitted again; if the
    engine no longer has it (forgotten, expired, or its audio lost), it is submitted afresh
    from the file, and fails saying so if the file is gone. Never raises for a failure of the
    job itself: the job ends failed with the reason.
    """
    from speechmatics.batch import AsyncClient

    def step(state: JobState, error: str | None = None) -> None:
        job.state, job.error = state, error
        if state in (JobState.DONE, JobState.FAILED):
            job.finished_at = time.time()
        on_change(job)

    try:
        if job.engine_job_id is None:  # PyAV opens the file: never on the event loop
            job.size, job.duration = await asyncio.to_thread(inspect, job.path)
            on_change(job)  # its row shows the audio's length while it waits
    except JobInputError as exc:
        step(JobState.FAILED, str(exc))
        return "finished"
    if ready is not None:
        await ready.wait()
    engine = target()
    assert engine is not None, "the engine is ready, so it is known"
    job.engine = f"{engine.label} · {engine.model_label(engine.batch_model)}"
    job.engine_progress = None
    watching = asyncio.create_task(watch_progress(engine, job))
    try:
        async with AsyncClient(api_key=engine.api_key, url=engine.batch_url) as client:
            transcript = None
            if job.engine_job_id is None and job.state == JobState.UPLOADING:
                await _adopt(client, job)  # stopped mid-submit: the engine may have it
            if job.engine_job_id is not None:
                transcript = await _resume(client, engine, job, step)
            if transcript is None:
                transcript = await _submit_and_wait(client, job, step, engine)
            job.txt, job.srt = await _texts(client, job.engine_job_id or "")
    except JobInputError as exc:
        step(JobState.FAILED, str(exc))
        return "finished"
    except Exception as exc:  # every failure becomes the job's reason, shown in its row
        if unreachable(exc):
            job.notice = f"{explain(exc, engine.batch_url)}; it stays queued and resumes"
            step(JobState.RUNNING if job.engine_job_id else JobState.QUEUED)
            return "interrupted"
        step(JobState.FAILED, explain(exc, engine.batch_url))
        return "finished"
    finally:
        watching.cancel()
    job.transcript = without_nulls(dataclasses.asdict(transcript))
    results = job.transcript.get("results") or []
    # The SDK's text knows speakers but not channels: turns are named here, as the live panel
    # names them ("agent: …", "S2: …").
    labelled = any(
        "channel" in result or result["alternatives"][0].get("speaker", "UU") != "UU"
        for result in results
        if result.get("alternatives")
    )
    job.text = render_turns(results) if labelled else str(transcript.transcript_text)
    job.notice = stated_errors(job.transcript)
    step(JobState.DONE)
    return "finished"


def stated_errors(transcript: dict[str, Any]) -> str:
    """What the transcript's metadata says was asked for and not made (a translation, a
    summary, sentiment…), one line each, so the job pane shows it rather than nothing."""
    metadata = transcript.get("metadata") or {}
    lines = [
        str(error.get("message") or error.get("type"))
        for key, errors in sorted(metadata.items())
        if key.endswith("_errors") and isinstance(errors, list)
        for error in errors
        if isinstance(error, dict)
    ]
    return "\n".join(dict.fromkeys(lines))


LOST = ("audio was lost", "stopped unexpectedly")


async def _resume(
    client: Any, engine: EngineTarget, job: BatchJob, step: Callable[[JobState], None]
) -> Any:
    """Poll a job the engine may still have; None if it lost it (then it is sent again).

    Raises:
        JobInputError: The engine lost the job and the file is no longer there to send again.
    """
    from speechmatics.batch import JobError, JobExpiredError

    step(JobState.RUNNING)
    try:
        return await _wait(client, engine, job.engine_job_id or "")
    except JobExpiredError:
        pass  # it finished, but its transcript was not fetched in time
    except JobError as exc:
        if not (_not_found(exc) or any(reason in str(exc) for reason in LOST)):
            raise
    job.engine_job_id = None
    try:
        job.size, job.duration = await asyncio.to_thread(inspect, job.path)
    except JobInputError as exc:
        raise JobInputError(
            f"the engine lost this job, and it cannot be sent again: {exc}"
        ) from None
    return None


def reference(job: BatchJob) -> str:
    """The tag a job carries to the engine (``tracking.reference``), to know it again."""
    return f"sm-tui:{job.id}:{int(job.created_at * 1000)}"


async def _adopt(client: Any, job: BatchJob) -> None:
    """Find the engine's job for one whose submission was interrupted before its id came back,
    so it is polled rather than sent (and run, and billed) twice."""
    try:
        listed = await with_retries(lambda: client.list_jobs(limit=100))
    except Exception:  # the submission is sent again: a duplicate, not a loss
        return
    for details in listed:
        tracking = getattr(getattr(details, "config", None), "tracking", None)
        if getattr(tracking, "reference", None) == reference(job):
            job.engine_job_id = str(details.id)
            return


async def _submit_and_wait(
    client: Any, job: BatchJob, step: Callable[[JobState], None], engine: EngineTarget
) -> Any:
    from speechmatics.batch import (
        JobConfig,
        JobType,
        Model,
        SentimentAnalysisConfig,
        SummarizationConfig,
        TopicDetectionConfig,
        TranscriptionConfig,
    )
    from speechmatics.batch._models import TrackingConfig  # not re-exported by the package

    job.submitted_at, job.finished_at = time.time(), None
    step(JobState.UPLOADING)
    config = JobConfig(
        type=JobType.TRANSCRIPTION,
        transcription_config=TranscriptionConfig(
            language=job.language,
            model=Model(engine.batch_model),
            diarization=None if engine.diarization == "none" else engine.diarization,
            enable_entities=True,  # the job pane lists them (◆), with what was said
        ),
        tracking=TrackingConfig(reference=reference(job)),
    )
    if engine.local:  # free there (Speechmatics bills them): a summary, sentiment and topics
        config.summarization_config = SummarizationConfig()
        config.sentiment_analysis_config = SentimentAnalysisConfig()
        config.topic_detection_config = TopicDetectionConfig()
    details = await with_retries(lambda: client.submit_job(str(job.path), config=config))
    job.engine_job_id = details.id
    step(JobState.RUNNING)
    return await _wait(client, engine, details.id)


async def _wait(client: Any, engine: EngineTarget, engine_job_id: str) -> Any:
    """Wait for the transcript (held by the API's long poll, then the SDK's polling, which
    finds it at once); a rejected job fails with the engine's own reason."""
    from speechmatics.batch import JobError

    await until_ended(engine, engine_job_id)
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


PROGRESS_EVERY_S = 2.0  # how often a running job's progress is asked of the local engine


async def watch_progress(engine: EngineTarget, job: BatchJob) -> None:
    """Keep ``job.engine_progress`` up to date from the engine's progress header while it runs,
    and ``job.engine`` naming the model the engine says transcribes it.

    Stops at the first answer without the header (an engine that does not report progress,
    such as Speechmatics: no requests are spent on it) or at the first failure.
    """
    import aiohttp

    from tui.shared.extensions import MODEL_HEADER, PROGRESS_HEADER

    headers = engine.headers
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            while True:
                await asyncio.sleep(PROGRESS_EVERY_S)
                if job.state != JobState.RUNNING or job.engine_job_id is None:
                    continue
                url = engine.job_url(job.engine_job_id)
                async with session.get(url, headers=headers) as response:
                    said = response.headers.get(PROGRESS_HEADER)
                    model = response.headers.get(MODEL_HEADER)
                if response.status != 200 or said is None:
                    return
                job.engine_progress = float(said)
                if model:  # the model the engine chose (a language may need another)
                    job.engine = f"{engine.label} · {engine.batch_model} ({model})"
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return


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


async def stop_on_engine(target: EngineTarget, engine_job_id: str) -> str | None:
    """Delete a job on the engine (``force``: a running one stops); why it failed, or None.

    A job the engine no longer has counts as stopped.
    """
    from speechmatics.batch import AsyncClient

    try:
        async with AsyncClient(api_key=target.api_key, url=target.batch_url) as client:
            await asyncio.wait_for(client.delete_job(engine_job_id, force=True), timeout=30)
    except Exception as exc:  # reported to the user; the job is cancelled here either way
        if _not_found(exc):
            return None
        return explain(exc, target.batch_url)
    return None
