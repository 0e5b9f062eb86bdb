"""``sm-tui batch`` and ``sm-tui jobs``: the persistent queue without the dashboard."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from tui.settings import Settings


def add_parsers(sub: Any) -> None:
    """Register the subcommands."""
    batch = sub.add_parser("batch", help="queue files and run the queue; with no files, resume it")
    batch.add_argument("files", nargs="*", type=Path, help="audio files to add to the queue")
    sub.add_parser("jobs", help="list every job in the queue, one line each")


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}s"


def run_jobs(args: argparse.Namespace, settings: Settings) -> int:
    """Print every job, one line each."""
    from tui.core.store import JobStore, StoreError
    from tui.paths import DataPaths

    try:
        store = JobStore(DataPaths(settings.data_dir).store)
        jobs = store.all()
    except StoreError as exc:
        print(f"sm-tui jobs: {exc}", file=sys.stderr)
        return 1
    if store.notice:
        print(f"sm-tui: {store.notice}", file=sys.stderr)
    if not jobs:
        print("no jobs yet: sm-tui batch FILE... adds some")
    for job in jobs:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(job.created_at))
        extra = f"  {job.error}" if job.error else ""
        print(
            f"{job.id:>4}  {job.state.value:<9} {when}  {_fmt(job.duration):>7}  "
            f"turnaround {_fmt(job.turnaround):>7}  {job.path}{extra}"
        )
    store.close()
    return 0


def run_batch(args: argparse.Namespace, settings: Settings) -> int:
    """Add files, then run every unfinished job, printing each transcript as it finishes.

    ctrl+c, or the terminal closing (SIGHUP), stops cleanly: the local engine keeps the jobs
    it was running, and ``sm-tui batch`` resumes them.
    """
    import signal

    def hang_up(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGHUP, hang_up)
    try:
        return asyncio.run(_batch(args.files, settings))
    except KeyboardInterrupt:
        print("sm-tui batch: stopped; `sm-tui batch` resumes the unfinished jobs", file=sys.stderr)
        return 130


async def _batch(files: list[Path], settings: Settings) -> int:
    from tui.commands.progress_lines import ProgressLines
    from tui.core.batch import BatchJob, JobState
    from tui.core.queue import BatchQueue
    from tui.core.store import StoreError, open_store

    try:
        store, paths = open_store(settings.data_dir)
    except StoreError as exc:
        print(f"sm-tui batch: {exc}", file=sys.stderr)
        return 1
    if store.notice:
        print(f"sm-tui: {store.notice}", file=sys.stderr)

    lines: ProgressLines | None = None

    def changed(job: BatchJob) -> None:
        if lines is not None and job.state.finished:
            lines.clear()
        if job.state == JobState.DONE:
            print(
                f"== {job.path.name} (job {job.id}, {_fmt(job.turnaround)})\n{job.text}\n",
                flush=True,
            )
            if job.notice:
                print(f"   {job.notice}", file=sys.stderr, flush=True)
        elif job.state == JobState.FAILED:
            print(
                f"== {job.path.name} (job {job.id}) failed: {job.error}\n",
                file=sys.stderr,
                flush=True,
            )

    def problem(text: str) -> None:
        print(f"sm-tui batch: {text}", file=sys.stderr, flush=True)

    queue = BatchQueue(store, paths.exports, settings.batch_concurrency, changed, problem)
    try:
        queue.add(files, settings.language)
        pending = store.unfinished()
    except StoreError as exc:
        print(f"sm-tui batch: {exc}", file=sys.stderr)
        return 1
    if not pending:
        print("nothing to do: every job is finished (sm-tui jobs lists them)")
        return 0
    print(f"{len(pending)} job(s) to run; transcripts also go to {paths.exports}", flush=True)
    from tui.core.engine_process import EngineStartError
    from tui.core.target import open_target

    try:
        opened = await asyncio.to_thread(open_target, settings)
    except EngineStartError as exc:
        print(f"sm-tui batch: {exc}", file=sys.stderr)
        store.close()
        return 1
    finished_before = [j for j in store.all() if j.state == JobState.DONE]
    lines = ProgressLines(pending, lambda: [*finished_before, *pending])
    showing = asyncio.create_task(lines.run())
    try:
        ran = await asyncio.gather(*(queue.run(job, opened.target) for job in pending))
    finally:
        showing.cancel()
        await asyncio.gather(showing, return_exceptions=True)
        opened.close()
        store.close()
    elsewhere = sum(1 for taken in ran if not taken)
    if elsewhere:
        print(f"{elsewhere} job(s) left to the other sm-tui running them", flush=True)
    failed = [
        j for j, taken in zip(pending, ran, strict=True) if taken and j.state != JobState.DONE
    ]
    return 1 if failed else 0
