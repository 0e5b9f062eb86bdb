"""The persistent batch queue: SQLite under the data folder; nothing else writes SQL.

Each write is one transaction in WAL mode, so a ``kill -9`` at any moment leaves either the
old row or the new one, never half of it. A store that cannot be read (empty, truncated,
garbage) is moved aside, never silently taken as empty, and the user is told where it went. A
job is run by one process at a time: it is claimed with a lease that its runner renews.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from tui.core.batch import BatchJob, JobState
from tui.paths import DataPaths

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
ADDED_COLUMNS = {  # columns later versions added, with their definitions
    "notice": "TEXT NOT NULL DEFAULT ''",
    "owner": "TEXT",
    "lease_until": "REAL",
}
COLUMNS = (
    "path",
    "size",
    "duration",
    "language",
    "engine",
    "engine_job_id",
    "state",
    "error",
    "created_at",
    "submitted_at",
    "finished_at",
    "transcript",
    "text",
    "txt",
    "srt",
    "notice",
)


class StoreError(RuntimeError):
    """The store cannot be used; the message names the file and says what to do."""


class JobStore:
    """Jobs in SQLite, as ``BatchJob`` objects.

    Args:
        path: The database file (created with its folder if missing).

    Attributes:
        notice: Something the user should know about opening it (a broken store moved aside).

    Raises:
        StoreError: The folder or the file cannot be written, or the store cannot be opened.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.notice: str | None = None
        self._lock = threading.Lock()
        _writable_folder(path.parent)
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            if _read_only(exc):
                raise StoreError(_read_only_message(path)) from None
            self.notice = self._move_aside(str(exc))
            self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        if self.path.is_file() and self.path.stat().st_size == 0 and not _has_wal(self.path):
            raise sqlite3.DatabaseError("the file is empty (0 bytes)")
        db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA busy_timeout=5000")  # another sm-tui writing: wait, do not fail
            check = db.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise sqlite3.DatabaseError(f"integrity check failed: {check}")
            db.executescript(SCHEMA)
            present = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
            for name, definition in ADDED_COLUMNS.items():
                if name not in present:
                    db.execute(f"ALTER TABLE jobs ADD COLUMN {name} {definition}")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _move_aside(self, reason: str) -> str:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.broken-{stamp}")
        try:
            os.replace(self.path, aside)
            for suffix in ("-wal", "-shm"):
                extra = self.path.with_name(self.path.name + suffix)
                if extra.exists():
                    os.replace(extra, aside.with_name(aside.name + suffix))
        except OSError as exc:
            raise StoreError(
                f"the job store {self.path} cannot be read ({reason}) and cannot be moved "
                f"aside ({exc.strerror}); move it away yourself, then start sm-tui again"
            ) from None
        return (
            f"the job store {self.path} could not be read ({reason}); it was moved to "
            f"{aside.name} and a new, empty store was started"
        )

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _write(self, sql: str, args: tuple[Any, ...]) -> sqlite3.Cursor:
        try:
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    cursor = self._db.execute(sql, args)
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
                return cursor
        except sqlite3.Error as exc:
            if _read_only(exc):
                raise StoreError(_read_only_message(self.path)) from None
            raise StoreError(f"the job store {self.path} could not be written: {exc}") from None

    def add(self, job: BatchJob) -> BatchJob:
        """Insert a new job; its ``id`` becomes the row's id."""
        cursor = self._write(
            f"INSERT INTO jobs ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
            self._values(job),
        )
        job.id = int(cursor.lastrowid or 0)
        return job

    def save(self, job: BatchJob) -> None:
        """Write a job's current state."""
        self._write(
            f"UPDATE jobs SET {', '.join(c + ' = ?' for c in COLUMNS)} WHERE id = ?",
            (*self._values(job), job.id),
        )

    def delete(self, job_id: int) -> None:
        """Remove a job."""
        self._write("DELETE FROM jobs WHERE id = ?", (job_id,))

    def claim(self, job_id: int, owner: str, lease_s: float) -> bool:
        """Take a job for ``owner`` unless another live process holds it; True if taken.

        Owners are ``host:pid:nonce``: a lease held by a process of this machine that no longer
        runs (killed) is taken at once rather than waited out.
        """
        now = time.time()
        held = self.holder(job_id)
        dead = held if held is not None and _gone(held) else ""
        cursor = self._write(
            "UPDATE jobs SET owner = ?, lease_until = ? WHERE id = ? AND "
            "(owner IS NULL OR owner = ? OR owner = ? OR lease_until IS NULL OR lease_until < ?)",
            (owner, now + lease_s, job_id, owner, dead, now),
        )
        return cursor.rowcount == 1

    def renew(self, job_id: int, owner: str, lease_s: float) -> bool:
        """Extend the lease on a job this owner holds; False if it lost it."""
        cursor = self._write(
            "UPDATE jobs SET lease_until = ? WHERE id = ? AND owner = ?",
            (time.time() + lease_s, job_id, owner),
        )
        return cursor.rowcount == 1

    def release(self, job_id: int, owner: str) -> None:
        """Give a job up."""
        self._write(
            "UPDATE jobs SET owner = NULL, lease_until = NULL WHERE id = ? AND owner = ?",
            (job_id, owner),
        )

    def holder(self, job_id: int) -> str | None:
        """Who holds a live lease on the job, if anyone."""
        rows = self._read(
            "SELECT owner FROM jobs WHERE id = ? AND lease_until > ?", (job_id, time.time())
        )
        return str(rows[0][0]) if rows and rows[0][0] else None

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

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            with self._lock:
                return list(self._db.execute(sql, args).fetchall())
        except sqlite3.Error as exc:
            raise StoreError(f"the job store {self.path} could not be read: {exc}") from None

    def _select(self, sql: str, args: tuple[Any, ...] = ()) -> list[BatchJob]:
        try:
            with self._lock:
                cursor = self._db.execute(sql, args)
                names = [d[0] for d in cursor.description]
                rows = cursor.fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"the job store {self.path} could not be read: {exc}") from None
        return [_to_job(dict(zip(names, row, strict=True))) for row in rows]

    @staticmethod
    def _values(job: BatchJob) -> tuple[Any, ...]:
        return (
            str(job.path),
            job.size,
            job.duration,
            job.language,
            job.engine,
            job.engine_job_id,
            job.state.value,
            job.error,
            job.created_at,
            job.submitted_at,
            job.finished_at,
            json.dumps(job.transcript) if job.transcript is not None else None,
            job.text,
            job.txt,
            job.srt,
            job.notice,
        )


def open_store(data_dir: Path) -> tuple[JobStore, DataPaths]:
    """The data folder's store, its folders made first.

    Raises:
        StoreError: The folders cannot be made, or the store cannot be used; the message says
            what to do.
    """
    try:
        paths = DataPaths(data_dir).ensure()
    except OSError as exc:
        raise StoreError(
            f"cannot use the data folder {data_dir} ({exc.strerror}); "
            "point SM_TUI_DATA_DIR at a folder you can write"
        ) from None
    return JobStore(paths.store), paths


def _gone(owner: str) -> bool:
    """True if ``owner`` names a process of this machine that is no longer running."""
    import socket

    host, _, rest = owner.partition(":")
    pid_text = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it runs, as someone else
        return False
    return False


def _writable_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the data folder {folder} ({exc.strerror}); "
            "point SM_TUI_DATA_DIR at a folder you can write"
        ) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(
            f"the data folder {folder} is read-only; point SM_TUI_DATA_DIR at a folder you can "
            "write, or make this one writable"
        )


def _has_wal(path: Path) -> bool:
    wal = path.with_name(path.name + "-wal")
    return wal.is_file() and wal.stat().st_size > 0


def _read_only(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "readonly" in text or "read-only" in text or "permission denied" in text


def _read_only_message(path: Path) -> str:
    return (
        f"the job store {path} is read-only; make it writable, or point SM_TUI_DATA_DIR at a "
        "folder you can write"
    )


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
        notice=row.get("notice") or "",
    )
