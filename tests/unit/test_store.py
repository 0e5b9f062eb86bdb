"""The SQLite job store: round trips, and consistency after kill -9 mid-write."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tui.core.batch import BatchJob, JobState
from tui.core.store import JobStore


def test_round_trip_and_unfinished(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "db" / "jobs.sqlite3")
    first = store.add(BatchJob(path=Path("/a b/ünï.wav"), language="en"))
    second = store.add(BatchJob(path=Path("/x.wav")))
    assert (first.id, second.id) == (1, 2)
    first.state, first.engine_job_id, first.duration = JobState.RUNNING, "abcdefghij", 4.5
    first.transcript = {"results": [{"type": "word"}]}
    store.save(first)
    second.state, second.text = JobState.DONE, "hello"
    store.save(second)
    again = JobStore(tmp_path / "db" / "jobs.sqlite3")
    loaded = again.get(first.id)
    assert loaded is not None
    assert loaded.path == Path("/a b/ünï.wav") and loaded.engine_job_id == "abcdefghij"
    assert loaded.transcript == {"results": [{"type": "word"}]} and loaded.duration == 4.5
    assert [j.id for j in again.unfinished()] == [first.id]
    assert [j.text for j in again.all()] == ["", "hello"]
    again.delete(second.id)
    assert again.get(second.id) is None


WRITER = """
import sys, time
from pathlib import Path
from tui.core.batch import BatchJob, JobState
from tui.core.store import JobStore
store = JobStore(Path(sys.argv[1]))
n = 0
while True:
    job = store.add(BatchJob(path=Path(f"/f{n}.wav")))
    job.state, job.text = JobState.DONE, "word " * 2000
    store.save(job)
    n += 1
    print(n, flush=True)
"""


def test_kill_9_mid_write_leaves_a_consistent_store(tmp_path: Path) -> None:
    db = tmp_path / "jobs.sqlite3"
    for _ in range(3):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True
        )
        assert writer.stdout is not None
        writer.stdout.readline()  # it is writing
        time.sleep(0.3)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    check = sqlite3.connect(str(db))
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check.close()
    jobs = JobStore(db).all()
    assert len(jobs) > 3
    # every row is whole: either just added (queued) or fully saved (done, with its text)
    assert all(j.state == JobState.QUEUED or len(j.text) == 10000 for j in jobs)
