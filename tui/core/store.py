"""The persistent batch queue: SQLite under the data folder; nothing else writes SQL.

Each write is one transaction in WAL mode, so a ``kill -9`` at any moment leaves either the
old row or the new one, never half of it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from tui.core.batch import BatchJob, JobState

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    duration REAL,
    language TEXT NOT NULL DEFAULT 'en',
    engine TEXT NOT NULL DEFAULT '',
    engine_job_id TEXT,
    state TEXT NOT NULL,
    error TEXT,
    created_at REAL NOT NULL,
    submitted_at REAL,
    finished_at REAL,
    transcript TEXT,
    text TEXT NOT NULL DEFAULT '',
    txt TEXT NOT NULL DEFAULT '',
    srt TEXT NOT NULL DEFAULT ''
);
"""
COLUMNS = ("path", "size", "duration", "language", "engine", "engine_job_id", "state", "error",
           "created_at", "submitted_at", "finished_at", "transcript", "text", "txt", "srt")  # fmt: skip


class JobStore:
    """Jobs in SQLite, as ``BatchJob`` objects.

    Args:
        path: The database file (created with its folder if missing).
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def add(self, job: BatchJob) -> BatchJob:
        """Insert a new job; its ``id`` becomes the row's id."""
        values = self._values(job)
        with self._lock, self._db:
            self._db.execute("BEGIN")
            cursor = self._db.execute(
                f"INSERT INTO jobs ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                values,
            )
            self._db.execute("COMMIT")
        job.id = int(cursor.lastrowid or 0)
        return job

    def save(self, job: BatchJob) -> None:
        """Write a job's current state."""
        with self._lock, self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                f"UPDATE jobs SET {', '.join(c + ' = ?' for c in COLUMNS)} WHERE id = ?",
                (*self._values(job), job.id),
            )
            self._db.execute("COMMIT")

    def delete(self, job_id: int) -> None:
        """Remove a job."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    def all(self) -> list[BatchJob]:
        """Every job, oldest first."""
        return self._select("SELECT * FROM jobs ORDER BY id")

    def unfinished(self) -> list[BatchJob]:
        """Jobs that were queued, uploading or running when sm-tui last stopped."""
        active = (JobState.QUEUED.value, JobState.UPLOADING.value, JobState.RUNNING.value)
        return self._select("SELECT * FROM jobs WHERE state IN (?, ?, ?) ORDER BY id", active)

    def get(self, job_id: int) -> BatchJob | None:
        """One job by id."""
        rows = self._select("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return rows[0] if rows else None

    def _select(self, sql: str, args: tuple[Any, ...] = ()) -> list[BatchJob]:
        with self._lock:
            cursor = self._db.execute(sql, args)
            names = [d[0] for d in cursor.description]
            return [_to_job(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]

    @staticmethod
    def _values(job: BatchJob) -> tuple[Any, ...]:
        return (
            str(job.path), job.size, job.duration, job.language, job.engine, job.engine_job_id,
            job.state.value, job.error, job.created_at, job.submitted_at, job.finished_at,
            json.dumps(job.transcript) if job.transcript is not None else None,
            job.text, job.txt, job.srt,
        )  # fmt: skip


def _to_job(row: dict[str, Any]) -> BatchJob:
    return BatchJob(
        path=Path(row["path"]),
        size=int(row["size"]),
        duration=row["duration"],
        id=int(row["id"]),
        state=JobState(row["state"]),
        error=row["error"],
        engine_job_id=row["engine_job_id"],
        submitted_at=row["submitted_at"],
        finished_at=row["finished_at"],
        transcript=json.loads(row["transcript"]) if row["transcript"] else None,
        text=row["text"],
        txt=row["txt"],
        srt=row["srt"],
        language=row["language"],
        engine=row["engine"],
        created_at=row["created_at"],
    )
