"""The client never loses work (issue #10): quitting, killing, hanging up, two processes on one
folder, cancelling, a broken store, and bad command lines."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import SAMPLE, joined

pytestmark = pytest.mark.engine

# What is tested here is the queue, not the model: jobs run on the faster one (tiny.en), and the
# engine does not load base at all.
QUICK = {"SM_TUI_BATCH_OPERATING_POINT": "standard", "SM_TUI_ENGINE_ENHANCED": "0"}


def sm_tui(*args: str, data: Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **QUICK, "SM_TUI_DATA_DIR": str(data)}
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        stdin=subprocess.DEVNULL,
        **kwargs,
    )


def states(data: Path) -> list[tuple[int, str, str | None]]:
    try:
        with sqlite3.connect(str(data / "jobs.sqlite3")) as con:
            return list(con.execute("SELECT id, state, engine_job_id FROM jobs ORDER BY id"))
    except sqlite3.Error:
        return []


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(0.1)


def three_talks(tmp_path: Path, shared_audio: Path) -> list[Path]:
    names = ["agent.wav", "customer.wav", "hello.wav"]  # 26 s each
    return [
        joined(tmp_path / f"talk{i}.wav", *[shared_audio / n for n in names[i:] + names[:i]])
        for i in range(3)
    ]


@pytest.mark.parametrize(
    "how", ["kill -9 of the app alone", "SIGINT to the group", "SIGHUP to the group"]
)
def test_stopping_mid_run_loses_nothing_and_runs_each_job_once(
    tmp_path: Path, shared_audio: Path, how: str
) -> None:
    data = tmp_path / "data"
    env = {**os.environ, **QUICK, "SM_TUI_DATA_DIR": str(data)}
    files = three_talks(tmp_path, shared_audio)
    app = subprocess.Popen(
        [sys.executable, "-m", "tui", "batch", *map(str, files)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until(
            lambda: any(s == "running" and e for _, s, e in states(data)),
            180,
            "a job running on the engine",
        )
        engines = children(app.pid)
        assert engines, "the app runs its engine as a child"
        if how.startswith("kill -9"):
            app.kill()
        else:
            os.killpg(app.pid, signal.SIGINT if "SIGINT" in how else signal.SIGHUP)
        app.wait(60)
        # No engine is left behind: it sees its parent go (or the signal) and stops.
        wait_until(lambda: not any(alive(pid) for pid in engines), 60, "the engine to stop")
    finally:
        if app.poll() is None:
            os.killpg(app.pid, signal.SIGKILL)
    assert any(s != "done" for _, s, _ in states(data)), "stopped too late to test anything"
    resumed = sm_tui("batch", data=data)
    assert resumed.returncode == 0, resumed.stderr
    assert "Traceback" not in resumed.stderr
    final = states(data)
    assert [s for _, s, _ in final] == ["done"] * 3, final
    log = (data / "logs" / "engine.log").read_text(encoding="utf-8")
    finished = re.findall(r"job (\w+) done", log)
    # each job transcribed exactly once, by the engine job the store knows it by
    assert sorted(finished) == sorted(e for _, _, e in final if e), (finished, final)


def test_two_processes_on_one_folder_never_run_a_job_twice(
    tmp_path: Path, shared_audio: Path
) -> None:
    data = tmp_path / "data"
    env = {**os.environ, **QUICK, "SM_TUI_DATA_DIR": str(data)}
    files = three_talks(tmp_path, shared_audio)
    first = subprocess.Popen(
        [sys.executable, "-m", "tui", "batch", *map(str, files)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_until(lambda: len(states(data)) == 3, 60, "the first to queue its files")
    second = subprocess.Popen(
        [sys.executable, "-m", "tui", "batch"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out1, err1 = first.communicate(timeout=600)
    out2, err2 = second.communicate(timeout=600)
    assert first.returncode == 0 and second.returncode == 0, (err1, err2)
    assert [s for _, s, _ in states(data)] == ["done"] * 3
    log = (data / "logs" / "engine.log").read_text(encoding="utf-8")
    assert len(re.findall(r"job \w+ done", log)) == 3, log  # not six
    printed = out1.count("== talk") + out2.count("== talk")
    assert printed == 3, (out1, out2)


# --- a broken store is a message, never a traceback ------------------------------------------


@pytest.mark.parametrize(
    "content", [b"", b"garbage " * 500, "truncated"], ids=["zero-byte", "garbage", "truncated"]
)
def test_a_broken_store_is_moved_aside_and_said(tmp_path: Path, content: Any) -> None:
    data = tmp_path / "data"
    if content == "truncated":
        made = sm_tui("batch", str(tmp_path / "nope.wav"), data=data)  # a real store with a job
        assert made.returncode == 1
        whole = (data / "jobs.sqlite3").read_bytes()
        content = whole[: len(whole) // 2]
    data.mkdir(exist_ok=True)
    (data / "jobs.sqlite3").write_bytes(content)
    run = sm_tui("jobs", data=data)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    assert "could not be read" in run.stderr and "moved to jobs.sqlite3.broken-" in run.stderr
    assert list(data.glob("jobs.sqlite3.broken-*"))  # kept, not deleted
    again = sm_tui("batch", str(SAMPLE), data=data)
    assert again.returncode == 0, again.stderr


def immutable(path: Path) -> bool:
    """Make a path read-only even for root (tests run as root, where chmod does not bind)."""
    if os.geteuid() != 0:
        path.chmod(0o555 if path.is_dir() else 0o444)
        return True
    return subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0


def mutable(path: Path) -> None:
    if os.geteuid() != 0:
        path.chmod(0o755 if path.is_dir() else 0o644)
    else:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)


@pytest.mark.parametrize("what", ["folder", "store"])
def test_read_only_data_is_named_not_a_traceback(tmp_path: Path, what: str) -> None:
    data = tmp_path / "data"
    assert sm_tui("jobs", data=data).returncode == 0
    target = data if what == "folder" else data / "jobs.sqlite3"
    if not immutable(target):
        pytest.skip("this file system cannot make a file read-only for root")
    try:
        if what == "store":  # reading a read-only store works: listing is fine
            assert sm_tui("jobs", data=data).returncode == 0
        for command in (["jobs"], ["batch", str(SAMPLE)])[what == "store" :]:
            run = sm_tui(*command, data=data)
            assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
            assert "read-only" in run.stderr or "Operation not permitted" in run.stderr
            assert str(data) in run.stderr
    finally:
        mutable(target)


def test_a_read_only_exports_folder_is_reported_on_the_job(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "exports").mkdir(parents=True)
    if not immutable(data / "exports"):
        pytest.skip("this file system cannot make a folder read-only for root")
    try:
        run = sm_tui("batch", str(SAMPLE), data=data)
    finally:
        mutable(data / "exports")
    assert run.returncode == 0, run.stderr
    assert "could not be exported" in run.stderr and "exports" in run.stderr
    with sqlite3.connect(str(data / "jobs.sqlite3")) as con:
        (notice,) = con.execute("SELECT notice FROM jobs").fetchone()
    assert "could not be exported" in notice


# --- bad command lines -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["compare", "/etc/passwd"], "is not audio"),
        (["compare", "EMPTY"], "is empty"),
        (["compare", "MISSING"], "does not exist"),
        (["compare", "FOLDER"], "is not audio"),
        (["compare", "FOLDER", "--references", "MISSING"], "does not exist"),
        (["serve", "--port", "99999"], "is not a port"),
        (["serve", "--host", "no-such-host.invalid"], "is not an address"),
        (["--live", "MISSING"], "does not exist"),
        (["--live", "/etc/passwd"], "is not audio"),
    ],
)
def test_bad_command_lines_say_what_is_wrong(tmp_path: Path, args: list[str], said: str) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "notes.wav").write_text("not audio")
    names = {"EMPTY": str(empty), "MISSING": str(tmp_path / "missing.wav"), "FOLDER": str(folder)}
    started = time.monotonic()
    run = sm_tui(*[names.get(a, a) for a in args], data=tmp_path / "data")
    assert run.returncode != 0
    assert said in run.stderr and "Traceback" not in run.stderr, run.stderr
    assert time.monotonic() - started < 20  # said before any model loads
    assert "loading model" not in run.stderr


def test_serve_names_a_read_only_engine_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "engine").mkdir(parents=True)
    if not immutable(data / "engine"):
        pytest.skip("this file system cannot make a folder read-only for root")
    try:
        run = sm_tui("serve", "--port", "0", data=data)
    finally:
        mutable(data / "engine")
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert "read-only" in run.stderr and str(data / "engine") in run.stderr
    assert "loading model" not in run.stderr
