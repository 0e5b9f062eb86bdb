"""Batch jobs of the local engine: storage of their audio, transcription, lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import string
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui.engine.asr import SpeechModel, Word
from tui.engine.results import LANGUAGE_PACK, to_results
from tui.engine.scheduler import BATCH, InferenceScheduler
from tui.shared.audio import AudioDecodeError, decode_file

log = logging.getLogger("sm_tui.engine.batch")
ID_ALPHABET = string.ascii_lowercase + string.digits
SDK_TRANSCRIPTION_KEYS = {
    "language", "model", "output_locale", "diarization", "additional_vocab",
    "punctuation_overrides", "domain", "enable_entities", "speaker_diarization_config",
    "channel_diarization_labels", "enable_partials", "max_delay", "max_delay_mode",
    "transcript_filtering_config", "audio_filtering_config", "operating_point",
    "language_hints", "language_hints_strict",
}  # fmt: skip


def utc_now() -> str:
    """The time now as the API writes it: ISO-8601 UTC with milliseconds and Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def new_job_id() -> str:
    """Ten lowercase alphanumerics."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(10))


@dataclass
class Job:
    """One batch job held by the engine."""

    id: str
    data_name: str
    config: dict[str, Any]
    audio_path: Path | None
    duration: float
    created_at: str = field(default_factory=utc_now)
    status: str = "running"
    results: list[dict[str, Any]] | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    finished_at: float | None = None  # wall clock, so retention survives a restart
    transcript_created_at: str = ""
    task: asyncio.Task[None] | None = None
    expired: bool = False

    def record(self) -> dict[str, Any]:
        """What is kept on disk, so a restarted engine still has its jobs."""
        return {
            "id": self.id, "data_name": self.data_name, "config": self.config,
            "audio": self.audio_path.name if self.audio_path else None, "duration": self.duration,
            "created_at": self.created_at, "status": self.status, "results": self.results,
            "errors": self.errors, "finished_at": self.finished_at,
            "transcript_created_at": self.transcript_created_at, "expired": self.expired,
        }  # fmt: skip

    @property
    def finished(self) -> bool:
        """True when the job is done, rejected or deleted."""
        return self.status in ("done", "rejected", "deleted")

    def details(self) -> dict[str, Any]:
        """JobDetails as the SDK parses them: no nulls, only keys its models know."""
        config = dict(self.config)
        transcription = config.get("transcription_config")
        if isinstance(transcription, dict):
            config["transcription_config"] = {
                k: v for k, v in transcription.items() if k in SDK_TRANSCRIPTION_KEYS
            }
        tracking = config.get("tracking")
        if isinstance(tracking, dict):
            config["tracking"] = {
                k: v for k, v in tracking.items() if k in ("title", "reference", "tags")
            }
        details: dict[str, Any] = {
            "id": self.id,
            "created_at": self.created_at,
            "data_name": self.data_name,
            "duration": round(self.duration),
            "status": self.status,
            "config": _without_nulls(config),
        }
        if self.errors:
            details["errors"] = self.errors
        return details

    def transcript(self) -> dict[str, Any]:
        """The json-v2 transcript of a done job."""
        transcription = self.config.get("transcription_config", {})
        return {
            "format": "2.9",
            "job": {
                "id": self.id,
                "created_at": self.created_at,
                "data_name": self.data_name,
                "duration": round(self.duration),
            },
            "metadata": {
                "created_at": self.transcript_created_at,
                "type": "transcription",
                "transcription_config": _without_nulls(
                    {k: v for k, v in transcription.items() if k in SDK_TRANSCRIPTION_KEYS}
                ),
                "orchestrator_version": "local-0.1.0",
                "language_pack_info": LANGUAGE_PACK,
            },
            "results": self.results or [],
        }


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


class JobManager:
    """Holds the engine's jobs and runs them on the inference scheduler."""

    def __init__(
        self, folder: Path, scheduler: InferenceScheduler, recognizer: SpeechModel
    ) -> None:
        self.folder = folder
        """Where job records and uploads live."""
        self.scheduler = scheduler
        self.recognizer = recognizer
        self.jobs: dict[str, Job] = {}

    def add(self, job: Job) -> Job:
        """Register a job and start transcribing it."""
        self.jobs[job.id] = job
        self._persist(job)
        job.task = asyncio.create_task(self._run(job))
        return job

    def _persist(self, job: Job) -> None:
        target = self.folder / f"{job.id}.job.json"
        temporary = target.with_suffix(".tmp")
        temporary.write_text(json.dumps(job.record()), encoding="utf-8")
        os.replace(temporary, target)  # atomic: a crash leaves the old record or the new one

    def restore(self) -> None:
        """Load the jobs a previous run of the engine left; restart those it was running."""
        for record_path in sorted(self.folder.glob("*.job.json"), key=lambda p: p.stat().st_mtime):
            try:
                record = json.loads(record_path.read_text(encoding="utf-8"))
                audio = self.folder / record["audio"] if record.get("audio") else None
                job = Job(
                    record["id"], record["data_name"], record["config"], audio, record["duration"],
                    created_at=record["created_at"], status=record["status"], results=record["results"],
                    errors=record["errors"], finished_at=record["finished_at"],
                    transcript_created_at=record["transcript_created_at"], expired=record["expired"],
                )  # fmt: skip
            except (OSError, ValueError, KeyError, TypeError):
                log.warning("skipping unreadable job record %s", record_path.name)
                continue
            self.jobs[job.id] = job
            if job.status == "running":
                if job.audio_path is not None and job.audio_path.is_file():
                    job.task = asyncio.create_task(self._run(job))
                else:
                    self._reject(job, "The engine restarted and the job's audio was lost")
                    self._persist(job)
        if self.jobs:
            log.info("restored %d job(s)", len(self.jobs))

    async def _run(self, job: Job) -> None:
        try:
            words = await self._transcribe(job)
        except asyncio.CancelledError:
            raise
        except AudioDecodeError as exc:
            self._reject(job, f"Audio decode error: {exc}")
        except Exception as exc:  # the job fails, the engine carries on
            log.exception("job %s failed", job.id)
            self._reject(job, f"Transcription failed: {exc.__class__.__name__}")
        else:
            if job.status == "running":
                speaker = (
                    "S1"
                    if job.config["transcription_config"].get("diarization") == "speaker"
                    else "UU"
                )
                language = str(job.config["transcription_config"].get("language", "en"))
                job.results = to_results(words, speaker=speaker, language=language)
                job.transcript_created_at = utc_now()
                job.status = "done"
                job.finished_at = time.time()
                log.info("job %s done: %d words", job.id, len(words))
        finally:
            self._drop_audio(job)
            self._persist(job)

    async def _transcribe(self, job: Job) -> list[Word]:
        assert job.audio_path is not None
        scheduler, recognizer = self.scheduler, self.recognizer
        audio = await asyncio.to_thread(decode_file, job.audio_path)
        segments = await scheduler.run(BATCH, recognizer.segments, audio)
        words: list[Word] = []
        # One 30 s window per scheduled call, so real-time steps can go in between.
        while (chunk := await scheduler.run(BATCH, next, segments, None)) is not None:
            words.extend(chunk)
        return words

    def _reject(self, job: Job, message: str) -> None:
        if job.status == "running":
            job.status = "rejected"
            job.errors.append({"timestamp": utc_now(), "message": message})
            job.finished_at = time.time()

    def _drop_audio(self, job: Job) -> None:
        if job.audio_path is not None:
            with contextlib.suppress(OSError):
                job.audio_path.unlink()
            job.audio_path = None

    def delete(self, job: Job) -> None:
        """Mark a job deleted, stop its work and drop its data."""
        if job.task is not None and not job.task.done():
            job.task.cancel()
        job.status = "deleted"
        job.results = None
        job.finished_at = job.finished_at or time.time()
        self._drop_audio(job)
        self._persist(job)

    def expire_old(self, retention_s: float) -> None:
        """Expire finished jobs older than the retention: data gone, answers 410."""
        now = time.time()
        for job in self.jobs.values():
            if (
                job.finished_at is not None
                and not job.expired
                and now - job.finished_at > retention_s
            ):
                job.expired = True
                job.results = None
                self._drop_audio(job)
                self._persist(job)
