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

from tui.engine.batch.intelligence import Intelligence, analyse, asked
from tui.engine.batch.transcribe import AudioTooLong, BatchTranscriber, translation_targets
from tui.engine.protocol.results import language_pack
from tui.engine.recognition.asr import ModelLoadError
from tui.engine.recognition.models import ModelSet
from tui.engine.recognition.native_memory import give_back
from tui.engine.recognition.scheduler import InferenceScheduler, InferenceStalled
from tui.shared.audio import AudioDecodeError

log = logging.getLogger("sm_tui.engine.batch")
ID_ALPHABET = string.ascii_lowercase + string.digits
SDK_TRANSCRIPTION_KEYS = {
    "language",
    "model",
    "output_locale",
    "diarization",
    "additional_vocab",
    "punctuation_overrides",
    "domain",
    "enable_entities",
    "speaker_diarization_config",
    "channel_diarization_labels",
    "enable_partials",
    "max_delay",
    "max_delay_mode",
    "transcript_filtering_config",
    "audio_filtering_config",
    "operating_point",
    "language_hints",
    "language_hints_strict",
}


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
    crashes: int = 0  # engine deaths while this job ran, in a row
    stopped_cleanly: bool = False  # the engine stopped on purpose while this job ran
    done_s: float = 0.0  # audio seconds transcribed so far (not kept: progress while running)
    compute_s: float | None = None  # seconds spent transcribing it (not kept)
    language: str = ""  # the language transcribed (found, for auto)
    model: str = ""  # the model that transcribed it
    translations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    speakers: list[dict[str, Any]] = field(default_factory=list)  # when get_speakers asks
    intelligence: Intelligence = field(default_factory=Intelligence)  # summaries, sentiment…

    @property
    def progress(self) -> float | None:
        """The share of the audio transcribed, while the job runs (None otherwise)."""
        if self.status != "running" or self.duration <= 0:
            return None
        return min(1.0, self.done_s / self.duration)

    def record(self) -> dict[str, Any]:
        """What is kept on disk, so a restarted engine still has its jobs."""
        return {
            "id": self.id,
            "data_name": self.data_name,
            "config": self.config,
            "audio": self.audio_path.name if self.audio_path else None,
            "duration": self.duration,
            "created_at": self.created_at,
            "status": self.status,
            "results": self.results,
            "errors": self.errors,
            "finished_at": self.finished_at,
            "transcript_created_at": self.transcript_created_at,
            "expired": self.expired,
            "crashes": self.crashes,
            "stopped_cleanly": self.stopped_cleanly,
            "language": self.language,
            "model": self.model,
            "translations": self.translations,
            "speakers": self.speakers,
            "intelligence": self.intelligence.record(),
        }

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
                "language_pack_info": language_pack(self.language or language_of(transcription)),
                **self._translation_errors(),
                **self.intelligence.errors,
                **({"sm_tui_approximations": notes} if (notes := self.intelligence.notes) else {}),
            },
            "results": self.results or [],
            **self.intelligence.made,
            **({"translations": self.translations} if self.translations else {}),
            **({"speakers": self.speakers} if self.speakers else {}),
        }

    def _translation_errors(self) -> dict[str, Any]:
        """Each translation asked for and not made says why (only to English from another
        language is made: the model's translate task)."""
        language = self.language or language_of(self.config.get("transcription_config", {}))
        errors = [
            {
                "type": "unsupported_translation_pair",
                "message": f"Translation from {language} to {target} is not supported by the "
                "local engine (it translates other languages to English)",
            }
            for target in translation_targets(self.config)
            if target not in self.translations
        ]
        return {"translation_errors": errors} if errors else {}


def language_of(transcription: dict[str, Any]) -> str:
    """The language a transcription_config asks for."""
    return str(transcription.get("language", "en"))


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


MAX_CRASHES = 2
RUNNING_AT_ONCE = 2  # jobs decoding at once; the others wait without holding any audio


class JobManager:
    """Holds the engine's jobs and runs them on the inference scheduler.

    Args:
        folder: Where job records and uploads live.
        scheduler: The inference thread.
        models: The engine's models.
        max_audio_s: Longest audio a job may hold.
    """

    def __init__(
        self,
        folder: Path,
        scheduler: InferenceScheduler,
        models: ModelSet,
        max_audio_s: float = float("inf"),
        default_point: str = "enhanced",
    ) -> None:
        self.folder = folder
        self.scheduler = scheduler
        self.transcriber = BatchTranscriber(scheduler, models, max_audio_s, default_point)
        self.jobs: dict[str, Job] = {}
        self.stopping = False
        self._slots = asyncio.Semaphore(RUNNING_AT_ONCE)

    @property
    def unfinished(self) -> int:
        """Jobs still running (or waiting for their turn)."""
        return sum(1 for job in self.jobs.values() if job.status == "running")

    def add(self, job: Job) -> Job:
        """Register a job and start transcribing it (raises OSError if it cannot be kept)."""
        self._persist(job)
        self.jobs[job.id] = job
        job.task = asyncio.create_task(self._run(job))
        return job

    def _persist(self, job: Job) -> None:
        target = self.folder / f"{job.id}.job.json"
        temporary = target.with_suffix(".tmp")
        temporary.write_text(json.dumps(job.record()), encoding="utf-8")
        os.replace(temporary, target)  # atomic: a crash leaves the old record or the new one

    def restore(self) -> None:
        """Load the jobs a previous run left, resume those it was running, clear leftovers.

        A job that was running when the engine stopped on purpose resumes as it was; one that
        was running when the engine died resumes too, unless the engine died under it twice
        in a row, when it fails with that reason rather than crash the engine again.
        """
        for record_path in sorted(self.folder.glob("*.job.json"), key=lambda p: p.stat().st_mtime):
            job = self._load(record_path)
            if job is None:
                continue
            self.jobs[job.id] = job
            if job.status != "running":
                continue
            if job.audio_path is None or not job.audio_path.is_file():
                self._reject(job, "The engine restarted and the job's audio was lost")
            elif not job.stopped_cleanly and job.crashes + 1 >= MAX_CRASHES:
                job.crashes += 1
                self._reject(
                    job,
                    "The engine stopped unexpectedly twice while transcribing this job, "
                    "so it was given up (the audio may be what makes it fail)",
                )
                self._drop_audio(job)
            else:
                job.crashes = 0 if job.stopped_cleanly else job.crashes + 1
                job.stopped_cleanly = False
                job.task = asyncio.create_task(self._run(job))
            self._persist(job)
        self._remove_orphans()
        if self.jobs:
            log.info("restored %d job(s)", len(self.jobs))

    def _load(self, record_path: Path) -> Job | None:
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
            audio = self.folder / Path(record["audio"]).name if record.get("audio") else None
            return Job(
                record["id"],
                record["data_name"],
                record["config"],
                audio,
                record["duration"],
                created_at=record["created_at"],
                status=record["status"],
                results=record["results"],
                errors=record["errors"],
                finished_at=record["finished_at"],
                transcript_created_at=record["transcript_created_at"],
                expired=record["expired"],
                crashes=int(record.get("crashes", 0)),
                stopped_cleanly=bool(record.get("stopped_cleanly", False)),
                language=str(record.get("language", "")),
                model=str(record.get("model", "")),
                translations=dict(record.get("translations") or {}),
                speakers=list(record.get("speakers") or []),
                intelligence=Intelligence.from_record(record.get("intelligence")),
            )
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("skipping unreadable job record %s", record_path.name)
            return None

    def _remove_orphans(self) -> None:
        """Uploads no job refers to (a kill -9 mid-upload) and half-written records."""
        kept = {job.audio_path.name for job in self.jobs.values() if job.audio_path is not None}
        for leftover in [*self.folder.glob("*.upload"), *self.folder.glob("*.tmp")]:
            if leftover.name not in kept:
                with contextlib.suppress(OSError):
                    leftover.unlink()
                    log.info("removed leftover %s", leftover.name)

    async def suspend(self) -> None:
        """The engine is stopping: running jobs keep their audio and resume after a restart."""
        self.stopping = True
        tasks = [job.task for job in self.jobs.values() if job.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, job: Job) -> None:
        try:
            async with self._slots:
                assert job.audio_path is not None

                def progress(done_s: float) -> None:
                    job.done_s = done_s

                def chosen(model: str) -> None:
                    job.model = model

                began = time.monotonic()
                done = await self.transcriber.run(
                    job.audio_path, job.config, job.duration, progress, chosen
                )
                job.compute_s = time.monotonic() - began
        except asyncio.CancelledError:
            if job.status == "running":  # stopping (not deleted): keep the audio for a restart
                job.stopped_cleanly = self.stopping
                self._persist(job)
            raise
        except AudioDecodeError as exc:
            self._reject(job, f"Audio decode error: {exc}")
        except (AudioTooLong, ModelLoadError) as exc:
            self._reject(job, str(exc))
        except InferenceStalled as exc:  # the lane already logged it
            self._reject(
                job,
                f"The recogniser stopped answering ({exc}): submit the job again, and restart "
                "the engine if it happens again",
            )
        except Exception as exc:  # the job fails, the engine carries on
            log.exception("job %s failed", job.id)
            self._reject(job, f"Transcription failed: {exc.__class__.__name__}")
        else:
            if job.status == "running" and asked(job.config):
                job.intelligence = await asyncio.to_thread(
                    analyse, job.config, done.results, done.language
                )
            if job.status == "running":
                job.results, job.translations = done.results, done.translations
                job.language, job.model = done.language, done.model
                job.speakers = done.speakers
                job.transcript_created_at = utc_now()
                job.status = "done"
                job.finished_at = time.time()
                log.info("job %s done: %d results", job.id, len(job.results))
        self._drop_audio(job)
        self._persist(job)
        give_back()  # the job's buffers, freed, go back to the system

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
        job.translations, job.speakers, job.intelligence = {}, [], Intelligence()
        job.finished_at = job.finished_at or time.time()
        self._drop_audio(job)
        self._persist(job)

    def expire_old(self, retention_s: float) -> None:
        """Past the retention a finished job's data and record are removed.

        It answers 410 until the engine restarts (then 404); after another retention it is
        forgotten in memory too, so neither the folder nor memory grows with old jobs.
        """
        now = time.time()
        for job in list(self.jobs.values()):
            if job.finished_at is None or now - job.finished_at <= retention_s:
                continue
            if not job.expired:
                job.expired = True
                job.results, job.intelligence = None, Intelligence()
                job.config = {}
                self._drop_audio(job)
                with contextlib.suppress(OSError):
                    (self.folder / f"{job.id}.job.json").unlink()
            elif now - job.finished_at > 2 * retention_s:
                del self.jobs[job.id]
