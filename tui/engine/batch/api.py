"""The batch v2 REST API under ``/v2``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import aiohttp
from aiohttp import BodyPartReader, web

from tui.engine.batch.jobs import Job, JobManager, new_job_id
from tui.engine.context import ENGINE, Engine
from tui.engine.protocol import config as cfg
from tui.engine.protocol import schema
from tui.shared.audio import AudioDecodeError, probe
from tui.shared.extensions import COMPUTE_HEADER, MODEL_HEADER, PROGRESS_HEADER
from tui.shared.transcripts import render_srt, render_txt

log = logging.getLogger("sm_tui.engine.batch")
T = TypeVar("T")
JSON_TYPE = "application/json"
FORMATS = {"json-v2", "txt", "srt"}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_WAIT_S = 30  # ?wait=N blocks at most this long ("capped server-side", as the spec says)
UNPROCESSABLE = "Unprocessable Entity"  # the published spec's error value for a bad parameter


class ApiError(Exception):
    """An error answer: ``{"code", "error", "detail"?}`` with that HTTP status."""

    def __init__(
        self,
        status: int,
        error: str,
        detail: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or error)
        self.status, self.error, self.detail = status, error, detail
        self.headers = headers or {}

    def response(self) -> web.Response:
        """The JSON response for this error."""
        body: dict[str, Any] = {"code": self.status, "error": self.error}
        if self.detail:
            body["detail"] = self.detail
        return web.json_response(body, status=self.status, headers=self.headers)


JOBS = web.AppKey("jobs", JobManager)
"""Where the aiohttp application keeps the job queue (the server builds it)."""


def _engine(request: web.Request) -> Engine:
    engine: Engine = request.app[ENGINE]
    return engine


def _jobs(request: web.Request) -> JobManager:
    return request.app[JOBS]


def _job(request: web.Request) -> Job:
    job = _jobs(request).jobs.get(request.match_info["job_id"])
    if job is None:
        raise ApiError(404, "Job not found")
    if job.expired:
        raise ApiError(410, "Job Expired", "The job and its data passed their retention time")
    return job


async def _receive_upload(part: Any, target: Path, limit: int, idle_s: float) -> int:
    """Stream an uploaded file to disk, stopping at ``limit`` bytes or ``idle_s`` of silence."""
    size = 0
    with target.open("wb") as handle:
        while chunk := await _in_time(part.read_chunk(1 << 16), idle_s):
            size += len(chunk)
            if size > limit:
                raise ApiError(400, "Job rejected", f"File exceeds the {limit} byte upload limit")
            handle.write(chunk)
    return size


async def _parsed(read: Awaitable[T]) -> T:
    """A multipart read (the reader, or its next part); a body without a boundary, or a part
    with broken headers or framing, is the client's error."""
    try:
        return await read
    except (ValueError, aiohttp.http_exceptions.HttpProcessingError) as exc:
        raise ApiError(400, "Malformed request", f"Unreadable multipart body: {exc}") from None


async def _in_time(read: Awaitable[T], seconds: float) -> T:
    """A body read that must make progress within ``seconds``."""
    try:
        return await asyncio.wait_for(read, timeout=seconds)
    except TimeoutError:
        raise ApiError(408, "Request Timeout", f"No data arrived for {seconds:g}s") from None


FETCH_FAILED = "Audio fetch error: the URL could not be fetched"
FETCH_TIMEOUT = aiohttp.ClientTimeout(total=60, connect=5, sock_connect=5, sock_read=10)


async def _fetch(url: str, target: Path, limit: int) -> None:
    """Fetch ``fetch_data.url`` from this machine (the engine never reaches elsewhere).

    Redirects are not followed (a redirect could lead anywhere), reads time out, the size is
    capped while downloading, and every failure gives the same answer, so the answers say
    nothing of which ports are open.
    """
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or parsed.hostname not in LOOPBACK:
        raise ApiError(400, "Job rejected", "fetch_data.url must be an http URL on this machine")
    try:
        async with (
            aiohttp.ClientSession(timeout=FETCH_TIMEOUT) as session,
            session.get(url, allow_redirects=False) as response,
        ):
            if response.status != 200:
                raise ApiError(400, "Job rejected", FETCH_FAILED)
            size = 0
            with target.open("wb") as handle:
                async for chunk in response.content.iter_chunked(1 << 16):
                    size += len(chunk)
                    if size > limit:
                        raise ApiError(400, "Job rejected", "Fetched file exceeds the upload limit")
                    handle.write(chunk)
    except ApiError:
        raise
    except (aiohttp.ClientError, TimeoutError, OSError, ValueError):
        raise ApiError(400, "Job rejected", FETCH_FAILED) from None


def _parse_config(text: str | None, languages: frozenset[str] = cfg.ENGLISH) -> dict[str, Any]:
    """The job config, checked whole: every known sub-object's shape, type and range."""
    if text is None:
        raise ApiError(400, "Malformed request", "Missing config")
    try:
        config = json.loads(text)
    except RecursionError:
        raise ApiError(400, "Job rejected", "Job config nests too deeply") from None
    except ValueError:
        raise ApiError(400, "Job rejected", "Job config JSON is invalid") from None
    if not isinstance(config, dict) or "type" not in config:
        raise ApiError(400, "Malformed request", "Job config needs a type")
    if config["type"] != "transcription":
        raise ApiError(400, "Job rejected", f"Unsupported job type: {str(config['type'])[:40]}")
    transcription = config.get("transcription_config")
    if not isinstance(transcription, dict) or not transcription.get("language"):
        raise ApiError(400, "No language selected")
    try:
        schema.check(config, schema.JOB, "")
        cfg.validate(transcription, realtime=False, languages=languages)
    except schema.SchemaError as exc:
        raise ApiError(400, "Job rejected", str(exc)) from None
    except cfg.ConfigError as exc:
        raise ApiError(400, "Job rejected", exc.reason) from None
    return config


async def create_job(request: web.Request) -> web.Response:
    """``POST /v2/jobs``: validate, store the audio, start transcribing."""
    engine, jobs = _engine(request), _jobs(request)
    if not request.content_type.startswith("multipart/"):
        raise ApiError(400, "Malformed request", "Expected multipart/form-data")
    config_text: str | None = None
    data_name: str | None = None
    upload = engine.folder / f"{new_job_id()}.upload"
    limit = engine.limits.max_upload_bytes
    idle = engine.limits.start_timeout_s
    try:
        reader = await _in_time(_parsed(request.multipart()), idle)
        while (part := await _in_time(_parsed(reader.next()), idle)) is not None:
            if not isinstance(part, BodyPartReader):
                raise ApiError(400, "Malformed request", "Nested multipart is not accepted")
            if part.name == "config":
                config_text = await _in_time(part.text(), idle)
            elif part.name == "data_file":
                data_name = part.filename or "audio.wav"
                if await _receive_upload(part, upload, limit, idle) == 0:
                    raise ApiError(400, "Job rejected due to invalid audio", "The file is empty")
            else:
                await _in_time(part.release(), idle)
        config = _parse_config(config_text, engine.languages)
        fetch = config.get("fetch_data")
        if data_name is None and not fetch:
            raise ApiError(400, "Missing data_file")
        if data_name is not None and fetch:
            raise ApiError(400, "Malformed request", "Send data_file or fetch_data, not both")
        if fetch:
            if not isinstance(fetch, dict) or not isinstance(fetch.get("url"), str):
                raise ApiError(400, "Malformed request", "fetch_data needs a url")
            await _fetch(fetch["url"], upload, limit)
            data_name = Path(urlparse(fetch["url"]).path).name or "fetched"
        try:
            duration = (await asyncio.to_thread(probe, upload)).duration
        except AudioDecodeError as exc:
            raise ApiError(400, "Job rejected due to invalid audio", str(exc)) from None
        if duration > engine.limits.max_audio_s:
            raise ApiError(
                400,
                "Job rejected",
                (
                    f"The audio is {duration / 3600:.1f} h long; this engine takes at most "
                    f"{engine.limits.max_audio_s / 3600:g} h (sm-tui serve --max-audio-hours)"
                ),
            )
        if jobs.unfinished >= engine.limits.max_queued_jobs:
            raise ApiError(
                429,
                "Too Many Requests",
                f"The engine holds {engine.limits.max_queued_jobs} unfinished jobs; retry shortly",
                headers={"Retry-After": "10"},
            )
    except OSError as exc:  # the engine's own folder, not the client's doing
        with contextlib.suppress(OSError):
            upload.unlink()
        raise ApiError(
            507, "Insufficient Storage", f"The engine cannot write its files: {exc.strerror or exc}"
        ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            upload.unlink()
        raise
    assert data_name is not None
    try:
        job = jobs.add(Job(new_job_id(), data_name, config, upload, duration))
    except OSError as exc:
        with contextlib.suppress(OSError):
            upload.unlink()
        raise ApiError(
            507, "Insufficient Storage", f"The engine cannot write its files: {exc.strerror or exc}"
        ) from None
    return web.json_response({"id": job.id}, status=201)


def _query_int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(422, UNPROCESSABLE, f"{name} must be an integer") from None
    if not low <= value <= high:
        raise ApiError(422, UNPROCESSABLE, f"{name} must be between {low} and {high}")
    return value


def _query_bool(request: web.Request, name: str) -> bool:
    raw = request.query.get(name, "false").lower()
    if raw not in ("true", "false"):
        raise ApiError(422, UNPROCESSABLE, f"{name} must be true or false")
    return raw == "true"


async def list_jobs(request: web.Request) -> web.Response:
    """``GET /v2/jobs``: newest first."""
    limit = _query_int(request, "limit", 100, 1, 100)
    include_deleted = _query_bool(request, "include_deleted")
    before, after = request.query.get("created_before"), request.query.get("created_after")
    for name, stamp in (("created_before", before), ("created_after", after)):
        if stamp is not None:
            try:
                if "T" not in stamp.upper():
                    raise ValueError(stamp)
                datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            except ValueError:
                raise ApiError(
                    422, UNPROCESSABLE, f"{name} must be a date-time: 2026-01-31T12:00:00Z"
                ) from None
    jobs = [
        job
        for job in reversed(_jobs(request).jobs.values())
        if not job.expired
        and (include_deleted or job.status != "deleted")
        and (not before or job.created_at < before)
        and (not after or job.created_at > after)
    ]
    return web.json_response({"jobs": [d for job in jobs[:limit] if (d := _details(job))]})


def _details(job: Job) -> dict[str, Any] | None:
    """A job's details; a record that cannot be shown is left out, never a 500 for everyone."""
    try:
        return job.details()
    except Exception:  # configs are checked at submit; this guards records from older engines
        log.exception("job %s cannot be listed", job.id)
        return None


def _query_wait(request: web.Request) -> int:
    """``?wait=N``: any integer, however long (the spec sets no bounds), held to 0..MAX_WAIT_S."""
    raw = request.query.get("wait", "0").strip()
    digits = raw.lstrip("+-")
    if not digits.isascii() or not digits.isdigit() or len(raw) - len(digits) > 1:
        raise ApiError(422, UNPROCESSABLE, "wait must be an integer")
    if raw.startswith("-"):
        return 0
    return min(int(digits), MAX_WAIT_S) if len(digits) <= 9 else MAX_WAIT_S


async def _wait(request: web.Request, job: Job) -> None:
    wait = _query_wait(request)
    if wait and job.task is not None and not job.finished:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(job.task), timeout=wait)


async def get_job(request: web.Request) -> web.Response:
    """``GET /v2/jobs/{id}``."""
    job = _job(request)
    await _wait(request, job)
    details = _details(job)
    if details is None:
        raise ApiError(500, "Internal Server Error", "This job's stored record cannot be read")
    response = web.json_response({"job": details})
    if (progress := job.progress) is not None:  # outside the API's body: clients ignore it
        response.headers[PROGRESS_HEADER] = f"{progress:.3f}"
    if job.model:
        response.headers[MODEL_HEADER] = job.model
    if job.compute_s is not None:
        response.headers[COMPUTE_HEADER] = f"{job.compute_s:.3f}"
    return response


async def get_transcript(request: web.Request) -> web.Response:
    """``GET /v2/jobs/{id}/transcript?format=json-v2|txt|srt``."""
    fmt = request.query.get("format", "json-v2")
    if fmt not in FORMATS:
        raise ApiError(400, "Format Not Supported", f"Unknown format: {fmt}")
    job = _job(request)
    await _wait(request, job)
    if job.status == "deleted":
        raise ApiError(404, "Job not found", "The job was deleted")
    if job.status == "rejected":
        raise ApiError(404, "Job rejected", job.errors[-1]["message"] if job.errors else None)
    if job.status != "done" or job.results is None:
        raise ApiError(404, "Transcription not ready")
    if fmt == "json-v2":
        return web.json_response(job.transcript())
    if fmt == "txt":
        return web.Response(
            text=render_txt(job.results), content_type="text/plain", charset="utf-8"
        )
    overrides = job.config.get("output_config", {}).get("srt_overrides", {}) or {}
    srt = render_srt(
        job.results,
        max_line_length=int(overrides.get("max_line_length", 37)),
        max_lines=int(overrides.get("max_lines", 2)),
    )
    return web.Response(text=srt, content_type="application/x-subrip", charset="utf-8")


async def delete_job(request: web.Request) -> web.Response:
    """``DELETE /v2/jobs/{id}[?force=true]``."""
    job = _job(request)
    if job.status == "deleted":
        raise ApiError(404, "Job not found", "The job was already deleted")
    force = request.query.get("force", "false").lower() == "true"
    if job.status == "running" and not force:
        raise ApiError(423, "Resource Locked", "The job is still running; pass force=true")
    _jobs(request).delete(job)
    return web.json_response({"job": job.details()})


async def job_log(request: web.Request) -> web.Response:
    """``GET /v2/jobs/{id}/log``: the job's story as plain text, one line an event."""
    job = _job(request)
    model = job.model or str(job.config.get("transcription_config", {}).get("model", ""))
    lines = [
        f"{job.created_at} job {job.id} created: {job.data_name}, "
        f"{job.duration:.1f} s of audio, model {model or 'default'}"
    ]
    if job.language:
        lines.append(f"{job.created_at} language {job.language}")
    lines += [f"{e.get('timestamp', '')} error: {e.get('message', '')}" for e in job.errors]
    if job.status == "running":
        share = job.progress
        lines.append("running" + (f": {100 * share:.0f}% transcribed" if share else ""))
    elif job.status == "done":
        lines.append(f"{job.transcript_created_at} transcript ready")
    else:
        lines.append(f"job {job.status}")
    return web.Response(text="\n".join(lines) + "\n", content_type="text/plain", charset="utf-8")


async def usage(request: web.Request) -> web.Response:
    """``GET /v2/usage?since=YYYY-MM-DD&until=YYYY-MM-DD``: the jobs transcribed between the
    two days (inclusive; by default from the first of this month to today), answered with
    both days as date-times, as the published spec describes them."""
    today = datetime.now(UTC).date()
    since = _query_date(request, "since", today.replace(day=1))
    until = _query_date(request, "until", today)
    first = datetime.combine(since, time.min, UTC)
    last = datetime.combine(until, time.max, UTC)
    done = [
        j
        for j in _jobs(request).jobs.values()
        if j.status == "done" and first <= _created(j) <= last
    ]
    hours = round(sum(j.duration for j in done) / 3600, 4)
    item = {"mode": "batch", "type": "transcription", "count": len(done), "duration_hrs": hours}
    return web.json_response(
        {
            "since": _stamp(first),
            "until": _stamp(last),
            "summary": [item],
            "details": [item],
        }
    )


def _stamp(moment: datetime) -> str:
    """RFC 3339 in UTC to the second, the year in four digits (``0324-06-20T00:00:00Z``)."""
    return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def _query_date(request: web.Request, name: str, default: date) -> date:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiError(422, UNPROCESSABLE, f"{name} must be a date: YYYY-MM-DD") from None


def _created(job: Job) -> datetime:
    try:
        stamp = datetime.fromisoformat(job.created_at.replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def add_routes(app: web.Application) -> None:
    """Register the batch routes (before the real-time ``/v2/{lang}`` route)."""
    for prefix in ("/v2/jobs", "/v2/jobs/"):
        app.router.add_post(prefix, create_job)
        app.router.add_get(prefix, list_jobs)
    for suffix in ("", "/"):
        app.router.add_get("/v2/jobs/{job_id}" + suffix, get_job)
        app.router.add_delete("/v2/jobs/{job_id}" + suffix, delete_job)
        app.router.add_get("/v2/jobs/{job_id}/transcript" + suffix, get_transcript)
        app.router.add_get("/v2/jobs/{job_id}/log" + suffix, job_log)
    app.router.add_get("/v2/usage", usage)
