"""Nothing lost: the persistent queue, resuming after kill -9, retries, and the key kept secret."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.helpers import SAMPLE, engine_target, joined, references, transcribe_then_expire, wer
from tui.core.batch import JobState
from tui.core.queue import BatchQueue
from tui.core.store import JobStore
from tui.core.target import EngineTarget

pytestmark = pytest.mark.engine


def sm_tui(*args: str, env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        **kwargs,
    )


def test_batch_and_jobs_commands(isolated: Path, tmp_path: Path, shared_audio: Path) -> None:
    env = {**os.environ, "SM_TUI_DATA_DIR": str(isolated)}
    spaced = tmp_path / "a folder" / "réunion du matin.wav"
    spaced.parent.mkdir()
    spaced.write_bytes((shared_audio / "meeting.wav").read_bytes())
    run = sm_tui("batch", str(SAMPLE), str(spaced), env=env)
    assert run.returncode == 0, run.stderr
    assert "réunion du matin.wav" in run.stdout and "morning" in run.stdout.lower()
    listed = sm_tui("jobs", env=env)
    lines = listed.stdout.strip().splitlines()
    assert len(lines) == 2 and all(" done " in line for line in lines)
    exports = {p.suffix for p in (isolated / "exports").iterdir()}
    assert exports == {".txt", ".srt", ".vtt", ".json"}
    again = sm_tui("batch", env=env)
    assert "nothing to do" in again.stdout


def _states(db: Path) -> list[tuple[int, str, str | None]]:
    try:
        with sqlite3.connect(str(db)) as con:
            return list(con.execute("SELECT id, state, engine_job_id FROM jobs ORDER BY id"))
    except sqlite3.Error:
        return []


def test_kill_9_mid_run_then_resume(isolated: Path, tmp_path: Path, shared_audio: Path) -> None:
    files = [
        joined(tmp_path / f"long{i}.wav", *[shared_audio / "config_demo.wav"] * 2) for i in range(3)
    ]
    env = {**os.environ, "SM_TUI_DATA_DIR": str(isolated), "SM_TUI_BATCH_CONCURRENCY": "2"}
    db = isolated / "jobs.sqlite3"
    runner = subprocess.Popen(
        [sys.executable, "-m", "tui", "batch", *map(str, files)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not any(state == "running" and job_id for _, state, job_id in _states(db)):
        assert time.monotonic() < deadline and runner.poll() is None, "never saw a running job"
        time.sleep(0.05)
    before = {row[0]: row for row in _states(db)}
    os.killpg(runner.pid, signal.SIGKILL)  # the whole group: sm-tui batch and its engine
    runner.wait()

    resumed = sm_tui("batch", env=env)
    assert resumed.returncode == 0, resumed.stderr
    after = _states(db)
    assert len(after) == 3 and all(state == "done" for _, state, _ in after)
    for job_id, state, engine_job_id in before.values():
        if state == "running" and engine_job_id:
            assert (
                dict((r[0], r[2]) for r in after)[job_id] == engine_job_id
            )  # polled, not resubmitted
    store = JobStore(db)
    twice = " ".join([references()["config_demo.wav"]] * 2)
    for job in store.all():
        assert wer(twice, job.text) <= 0.25, job.text
    assert len(list((isolated / "exports").glob("*.txt"))) == 3


class FlakyProxy:
    """Forwards to the engine, answering 503 to the first ``failures`` requests of each kind."""

    def __init__(self, upstream: str, failures: int) -> None:
        self.upstream = upstream.rstrip("/")
        self.left = {"POST": failures, "GET": failures}
        self.served_503 = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if self.left.get(request.method, 0) > 0:
            self.left[request.method] -= 1
            self.served_503 += 1
            return web.json_response({"code": 503, "error": "Service Unavailable"}, status=503)
        body = await request.read()
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")
        }
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                request.method,
                self.upstream + request.path_qs.removeprefix("/v2"),
                data=body,
                headers=headers,
            ) as response,
        ):
            payload = await response.read()
            return web.Response(
                body=payload,
                status=response.status,
                content_type=response.content_type,
                charset=response.charset,
            )


@pytest.fixture
async def flaky(engine: Any) -> AsyncIterator[tuple[FlakyProxy, str]]:
    proxy = FlakyProxy(engine.batch_url, failures=3)
    app = web.Application(client_max_size=1 << 26)
    app.router.add_route("*", "/{tail:.*}", proxy.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield proxy, f"http://127.0.0.1:{port}/v2"
    await runner.cleanup()


async def test_submission_and_polling_retry_on_503(
    engine: Any, flaky: tuple[FlakyProxy, str], isolated: Path
) -> None:
    proxy, url = flaky
    target = EngineTarget(url, engine.rt_url, engine.api_key, "flaky proxy")
    store = JobStore(isolated / "jobs.sqlite3")
    queue = BatchQueue(store, isolated / "exports", 1)
    (job,) = queue.add([SAMPLE])
    await asyncio.wait_for(queue.run(job, target), timeout=120)
    assert job.state == JobState.DONE, job.error
    assert proxy.served_503 == 6  # three on submit, three on polling: all retried
    assert store.get(job.id) is not None and store.get(job.id).state == JobState.DONE  # type: ignore[union-attr]


async def test_deleted_file_and_unreachable_engine(
    engine: Any, isolated: Path, tmp_path: Path
) -> None:
    doomed = tmp_path / "soon gone.wav"
    doomed.write_bytes(SAMPLE.read_bytes())
    store = JobStore(isolated / "jobs.sqlite3")
    queue = BatchQueue(store, isolated / "exports", 2)
    (job,) = queue.add([doomed])
    doomed.unlink()  # deleted after it was queued
    await queue.run(job, engine_target(engine))
    assert job.state == JobState.FAILED and "does not exist" in (job.error or "")
    nowhere = EngineTarget("http://127.0.0.1:9/v2", "ws://127.0.0.1:9/v2", "k", "nowhere")
    (lost,) = queue.add([SAMPLE])
    await asyncio.wait_for(queue.run(lost, nowhere), timeout=120)
    # no engine is no reason to lose the job: it stays queued, and says why
    assert lost.state == JobState.QUEUED and lost.error is None
    assert "cannot reach the engine" in lost.notice and "stays queued" in lost.notice
    assert store.get(lost.id) is not None and store.get(lost.id).state == JobState.QUEUED  # type: ignore[union-attr]


def test_api_key_never_appears_anywhere(isolated: Path, tmp_path: Path) -> None:
    """A recognisable key, used for real against `sm-tui serve --api-key`, is in no output."""
    key = "sk-RECOGNISABLE-9f8e7d6c5b4a-1a2b"
    serve = subprocess.Popen(
        [sys.executable, "-m", "tui", "serve", "--port", "0", "--announce", "--api-key", key],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SM_TUI_DATA_DIR": str(tmp_path / "engine-data")},
    )
    try:
        assert serve.stdout is not None
        port = int(serve.stdout.readline().split()[1])
        env = {
            **os.environ,
            "SM_TUI_DATA_DIR": str(isolated),
            "SPEECHMATICS_API_KEY": key,
            "SPEECHMATICS_BATCH_URL": f"http://127.0.0.1:{port}/v2",
            "SPEECHMATICS_RT_URL": f"ws://127.0.0.1:{port}/v2",
        }
        outputs = [
            sm_tui("batch", str(SAMPLE), env=env),
            sm_tui("jobs", env=env),
            sm_tui("compare", str(SAMPLE), "--json", str(isolated / "c.json"), env=env),
        ]
        assert all(o.returncode == 0 for o in outputs), [o.stderr for o in outputs]
        assert "morning" in outputs[0].stdout.lower()
    finally:
        serve.send_signal(signal.SIGINT)
        _, engine_log = serve.communicate(timeout=20)
    texts = [o.stdout + o.stderr for o in outputs] + [engine_log]
    for path in [*isolated.rglob("*"), *(tmp_path / "engine-data").rglob("*")]:
        if path.is_file():
            texts.append(path.read_bytes().decode("utf-8", errors="replace"))
    assert len(texts) > 8
    assert not [t[:80] for t in texts if key in t]


async def test_rejected_job_shows_the_engine_reason(
    small_uploads: Any, isolated: Path, tmp_path: Path
) -> None:
    """A file that is fine here but over the engine's upload limit: the engine's words reach the row."""
    import numpy as np

    from tests.helpers import write_wav

    hollow = write_wav(tmp_path / "hollow.wav", np.zeros(0, dtype=np.float32))
    big = write_wav(tmp_path / "big.wav", 0.3 * np.sin(np.arange(40 * 16000) / 5))
    queue = BatchQueue(JobStore(isolated / "jobs.sqlite3"), isolated / "exports", 2)
    too_big, empty = queue.add([big, hollow])
    target = engine_target(small_uploads)
    await asyncio.wait_for(
        asyncio.gather(queue.run(too_big, target), queue.run(empty, target)), timeout=60
    )
    assert too_big.state == JobState.FAILED and "upload limit" in (too_big.error or ""), (
        too_big.error
    )
    assert empty.state == JobState.FAILED and "no audio samples" in (empty.error or ""), empty.error


async def test_a_job_the_engine_lost_is_sent_again_or_fails_saying_so(
    isolated: Path, tmp_path: Path
) -> None:
    """The engine expired a job before its transcript was fetched: sent again from the file;
    with the file gone, it fails and says why."""
    from speechmatics.batch import AsyncClient

    from tui.core.engine_process import start_engine
    from tui.settings import Settings

    # Long enough that the job sent again is fetched before it expires too (the client polls
    # every 2 s; with 1 s a busy machine lost the second job as well), short enough to wait for.
    short = start_engine(Settings(data_dir=tmp_path / "short"), ["--retention", "4"])
    try:
        target = engine_target(short)
        async with AsyncClient(api_key=short.api_key, url=short.batch_url) as client:
            expired = [await transcribe_then_expire(client) for _ in range(2)]
        queue = BatchQueue(JobStore(isolated / "jobs.sqlite3"), isolated / "exports", 1)
        copy = tmp_path / "copy.wav"
        copy.write_bytes(SAMPLE.read_bytes())
        kept, gone = queue.add([SAMPLE, copy])
        for job, engine_job_id in zip((kept, gone), expired, strict=True):
            job.state, job.engine_job_id = JobState.RUNNING, engine_job_id  # as when resumed
            queue.store.save(job)
        copy.unlink()
        await asyncio.wait_for(asyncio.gather(queue.run(kept, target), queue.run(gone, target)), 60)
        assert kept.state == JobState.DONE and kept.engine_job_id not in expired
        assert "morning" in kept.text.lower()
        assert gone.state == JobState.FAILED
        assert "the engine lost this job" in (gone.error or "") and "does not exist" in (
            gone.error or ""
        )
    finally:
        short.stop()


async def test_a_submission_cut_off_before_its_id_came_back_is_not_sent_twice(
    engine: Any, isolated: Path
) -> None:
    """Killed between the upload and its answer: the engine has the job, the store no id."""
    from speechmatics.batch import AsyncClient, JobConfig, JobType, TranscriptionConfig
    from speechmatics.batch._models import TrackingConfig

    from tui.core.batch_run import reference

    queue = BatchQueue(JobStore(isolated / "jobs.sqlite3"), isolated / "exports", 1)
    (job,) = queue.add([SAMPLE])
    job.state = JobState.UPLOADING  # as the store had it when the process died
    queue.store.save(job)
    async with AsyncClient(api_key=engine.api_key, url=engine.batch_url) as client:
        config = JobConfig(
            type=JobType.TRANSCRIPTION,
            transcription_config=TranscriptionConfig(language="en"),
            tracking=TrackingConfig(reference=reference(job)),
        )
        sent = (await client.submit_job(str(SAMPLE), config=config)).id
        before = {j.id for j in await client.list_jobs(limit=100)}
        await asyncio.wait_for(queue.run(job, engine_target(engine)), timeout=60)
        after = {j.id for j in await client.list_jobs(limit=100)}
    assert job.state == JobState.DONE and job.engine_job_id == sent
    assert after == before  # adopted, not submitted again
