"""``make soak``: one real-time session fed speech at 1x for half an hour (``--hours`` for
longer), beside a stream of batch jobs on the same engine, recording every minute.

Each minute it records the engine's resident memory, its open file descriptors, the job
store's size on disk, how far the session's answers were behind the audio sent (the most, over
the minute), the p95 final-word latency of the words finalised in that minute, and how many
batch jobs finished. The speech is the shared recordings with a reference, one after another,
round and round; the batch jobs are the same recordings, one at a time, each fetched and then
deleted as a client would. The models are the dashboard's defaults (live ``standard``, batch
``enhanced``) unless ``--model`` says otherwise.

It passes when the trends are flat: resident memory grows under 20 MB an hour (least squares
over the minutes after the first five), both as sampled at each minute's end and as the least
of that minute's samples (taken every 5 s: the memory held between jobs), the most-behind figure of the last third is within
1 s of the first third's, the file descriptors end where they settled, and no error came.
Exit status 0 when it passed, 1 when not.

    .venv/bin/python bench/soak.py [--hours H] [--minutes M] [--model standard|enhanced]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import collections
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import Table, write_results  # noqa: E402
from tests.helpers import joined_shared  # noqa: E402
from tui.core.compare import load_pcm  # noqa: E402
from tui.core.comparison import final_words  # noqa: E402
from tui.core.engine_process import EngineProcess, start_engine  # noqa: E402
from tui.settings import Settings  # noqa: E402
from tui.shared.audio import RATE  # noqa: E402

AUDIO = ROOT.parent / "shared" / "audio"
CHUNK_S = 0.1
SAMPLE_S = 5.0  # how often the minute's least resident memory is sampled
MB = 1024 * 1024
MEMORY_MB_PER_HOUR = 20.0
LAG_DRIFT_S = 1.0


@dataclass
class Minute:
    """What one minute of the soak saw."""

    minute: int
    rss_mb: float
    rss_floor_mb: float  # the least of the minute's samples (every 5 s): what stays held
    fds: int
    store_mb: float
    logs_mb: float
    behind_max_s: float
    final_p95_s: float | None
    words: int
    jobs_done: int
    errors: list[str] = field(default_factory=list)


class Session:
    """The live session's clock and answers: when audio was sent, how far answers reached."""

    def __init__(self) -> None:
        # (audio seconds sent, monotonic time), the last ten minutes: enough for any answer.
        self.sent: collections.deque[tuple[float, float]] = collections.deque(maxlen=6000)
        self.answered = 0.0
        self.behind_max_s = 0.0
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.words = 0

    def record_sent(self, audio_s: float) -> None:
        self.sent.append((audio_s, time.monotonic()))

    def sent_by_now(self) -> float:
        return self.sent[-1][0] if self.sent else 0.0

    def sent_at(self, audio_s: float) -> float | None:
        audio = [a for a, _ in self.sent]
        index = bisect.bisect_left(audio, audio_s - 1e-6)
        return self.sent[index][1] if index < len(self.sent) else None

    def answer(self, message: dict[str, Any], final: bool) -> None:
        arrived = time.monotonic()
        self.answered = max(self.answered, float(message["metadata"]["end_time"]))
        self.behind_max_s = max(self.behind_max_s, self.sent_by_now() - self.answered)
        if not final:
            return
        for _word, _start, end in final_words(message):
            sent = self.sent_at(end)
            if sent is not None:
                self.latencies.append(arrived - sent)
            self.words += 1

    def take(self) -> tuple[float, float | None, int, list[str]]:
        """The minute's most-behind, p95 latency, words and errors; then start a new minute."""
        behind = max(self.behind_max_s, self.sent_by_now() - self.answered)
        p95 = float(np.percentile(self.latencies, 95)) if self.latencies else None
        out = (behind, p95, self.words, self.errors)
        self.behind_max_s, self.latencies, self.words, self.errors = 0.0, [], 0, []
        return out


async def live(engine: EngineProcess, pcm: np.ndarray, model: str, session: Session) -> None:
    """Stream ``pcm`` round and round at 1x until cancelled, then end the session cleanly."""
    from speechmatics import rt

    client = rt.AsyncClient(api_key=engine.api_key, url=engine.rt_url)
    client.on(rt.ServerMessageType.ADD_PARTIAL_TRANSCRIPT, lambda m: session.answer(m, False))
    client.on(rt.ServerMessageType.ADD_TRANSCRIPT, lambda m: session.answer(m, True))
    client.on(
        rt.ServerMessageType.ERROR,
        lambda m: session.errors.append(f"realtime {m.get('type')}: {m.get('reason')}"),
    )
    client.on(
        rt.ServerMessageType.WARNING,
        lambda m: session.errors.append(f"realtime warning {m.get('type')}: {m.get('reason')}"),
    )
    chunk = int(RATE * CHUNK_S)
    await client.start_session(
        transcription_config=rt.TranscriptionConfig(
            language="en", enable_partials=True, max_delay=1.0, model=rt.Model(model)
        ),
        audio_format=rt.AudioFormat(
            encoding=rt.AudioEncoding.PCM_S16LE, sample_rate=RATE, chunk_size=chunk * 2
        ),
    )
    try:
        started = time.monotonic()
        sent = 0
        try:
            while True:
                index = sent % len(pcm)
                block = pcm[index : index + chunk]
                await asyncio.sleep(max(0.0, started + sent / RATE - time.monotonic()))
                await client.send_audio(block.astype("<i2").tobytes())
                sent += len(block)
                session.record_sent(sent / RATE)
        except asyncio.CancelledError:
            await asyncio.wait_for(client.stop_session(), timeout=120)
    finally:
        await client.close()


async def batch_stream(
    engine: EngineProcess, path: Path, errors: list[str], done: list[int]
) -> None:
    """Batch jobs one after another until cancelled: submit, wait, fetch, delete."""
    from speechmatics.batch import AsyncClient

    async with AsyncClient(api_key=engine.api_key, url=engine.batch_url) as client:
        while True:
            job_id = None
            try:
                job_id = (await client.submit_job(str(path))).id
                transcript = await client.wait_for_completion(
                    job_id, polling_interval=2, timeout=600
                )
                if not str(getattr(transcript, "transcript_text", "")).strip():
                    errors.append(f"batch job {job_id}: empty transcript")
                done[0] += 1
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # recorded in the minute, not raised
                errors.append(f"batch job {job_id}: {type(exc).__name__}: {exc}")
                await asyncio.sleep(5)
            finally:
                if job_id is not None:
                    try:
                        await asyncio.shield(client.delete_job(job_id, force=True))
                    except Exception as exc:
                        errors.append(f"deleting batch job {job_id}: {exc}")


def engine_memory(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def folder_mb(folder: Path, leave_out: tuple[str, ...] = ()) -> float:
    """Bytes on disk under ``folder``, in MB, without its subfolders named in ``leave_out``."""
    total = 0
    for path in folder.rglob("*"):
        parts = path.relative_to(folder).parts
        if path.is_file() and parts[0] not in leave_out:
            total += path.stat().st_size
    return total / MB


def slope_per_hour(minutes: list[Minute], value: str) -> float:
    """Least-squares growth of a per-minute figure, per hour, after the first five minutes."""
    points = [m for m in minutes if m.minute > 5] or minutes
    if len(points) < 2:
        return 0.0
    x = np.array([m.minute for m in points], dtype=float)
    y = np.array([getattr(m, value) for m in points], dtype=float)
    return float(np.polyfit(x, y, 1)[0] * 60)


def verdict(minutes: list[Minute]) -> tuple[bool, dict[str, Any]]:
    third = max(1, len(minutes) // 3)
    first = max(m.behind_max_s for m in minutes[:third])
    last = max(m.behind_max_s for m in minutes[-third:])
    settled = [m.fds for m in minutes if m.minute > 5] or [m.fds for m in minutes]
    errors = [e for m in minutes for e in m.errors]
    figures = {
        "minutes": len(minutes),
        "memory_growth_mb_per_hour": round(slope_per_hour(minutes, "rss_mb"), 1),
        "held_memory_growth_mb_per_hour": round(slope_per_hour(minutes, "rss_floor_mb"), 1),
        "store_growth_mb_per_hour": round(slope_per_hour(minutes, "store_mb"), 2),
        "logs_growth_mb_per_hour": round(slope_per_hour(minutes, "logs_mb"), 2),
        "most_behind_first_third_s": round(first, 2),
        "most_behind_last_third_s": round(last, 2),
        "fds_settled": min(settled),
        "fds_last": minutes[-1].fds,
        "jobs_done": sum(m.jobs_done for m in minutes),
        "words": sum(m.words for m in minutes),
        "errors": errors[:20],
        "error_count": len(errors),
    }
    passed = (
        figures["memory_growth_mb_per_hour"] < MEMORY_MB_PER_HOUR
        and figures["held_memory_growth_mb_per_hour"] < MEMORY_MB_PER_HOUR
        and last <= first + LAG_DRIFT_S
        and minutes[-1].fds <= max(settled)
        and not errors
    )
    figures["passed"] = passed
    return passed, figures


def summary_table(figures: dict[str, Any]) -> Table:
    """The trends and the verdict, as the docs show them."""
    table = Table(
        "The trends (each must be flat for the soak to pass)",
        ["resident memory", "held memory", "job store", "logs", "most behind, first / last third",
         "open fds, settled / last", "batch jobs done", "words finalised", "errors", "verdict"],
    )  # fmt: skip
    table.add(
        f"{figures['memory_growth_mb_per_hour']:+.1f} MB/h (bound {MEMORY_MB_PER_HOUR:g})",
        f"{figures['held_memory_growth_mb_per_hour']:+.1f} MB/h",
        f"{figures['store_growth_mb_per_hour']:+.2f} MB/h",
        f"{figures['logs_growth_mb_per_hour']:+.2f} MB/h",
        f"{figures['most_behind_first_third_s']:.2f} / {figures['most_behind_last_third_s']:.2f} s",
        f"{figures['fds_settled']} / {figures['fds_last']}",
        figures["jobs_done"],
        figures["words"],
        figures["error_count"],
        "passed" if figures["passed"] else "FAILED",
        echo=False,
    )
    return table


async def soak(seconds: float, model: str, every: int) -> int:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        speech, _reference = joined_shared(tmp)
        pcm = await asyncio.to_thread(load_pcm, speech)
        data = tmp / "data"
        engine = await asyncio.to_thread(start_engine, Settings(data_dir=data))
        session = Session()
        batch_errors: list[str] = []
        done = [0]
        minutes: list[Minute] = []
        table = Table(
            f"A {seconds / 3600:g} h soak: one live session ({model}, max_delay 1) fed speech "
            "at 1x, beside batch jobs (enhanced) one after another; a row every "
            f"{every} min",
            ["minute", "resident", "held", "open fds", "job store", "logs", "most behind",
             "final p95", "words", "jobs done", "errors"],
        )  # fmt: skip
        print(
            f"soaking for {seconds / 60:.0f} min: live {model} at 1x beside batch jobs "
            f"(engine pid {engine.process.pid})",
            flush=True,
        )
        tasks = [
            asyncio.create_task(live(engine, pcm, model, session)),
            asyncio.create_task(batch_stream(engine, speech, batch_errors, done)),
        ]
        started = time.monotonic()
        try:
            pid = engine.process.pid
            for minute in range(1, int(seconds // 60) + 1):
                floor = float("inf")
                while (left := started + minute * 60 - time.monotonic()) > 0:
                    floor = min(floor, engine_memory(pid))
                    await asyncio.sleep(min(SAMPLE_S, left))
                for task in tasks:
                    if task.done() and not task.cancelled() and task.exception() is not None:
                        raise RuntimeError(f"the soak's client failed: {task.exception()!r}")
                behind, p95, words, errors = session.take()
                errors += batch_errors
                batch_errors.clear()
                rss = engine_memory(pid)
                row = Minute(
                    minute=minute,
                    rss_mb=rss,
                    rss_floor_mb=min(floor, rss),
                    fds=len(os.listdir(f"/proc/{pid}/fd")),
                    store_mb=folder_mb(data, leave_out=("models", "logs")),
                    logs_mb=folder_mb(data / "logs"),
                    behind_max_s=behind,
                    final_p95_s=p95,
                    words=words,
                    jobs_done=done[0],
                    errors=errors,
                )
                done[0] = 0
                minutes.append(row)
                cells = [
                    row.minute,
                    f"{row.rss_mb:.0f} MB",
                    f"{row.rss_floor_mb:.0f} MB",
                    row.fds,
                    f"{row.store_mb:.1f} MB",
                    f"{row.logs_mb:.2f} MB",
                    f"{row.behind_max_s:.2f} s",
                    "–" if p95 is None else f"{p95:.2f} s",
                    row.words,
                    row.jobs_done,
                    "; ".join(errors)[:120] or "0",
                ]
                table.add(*cells, echo=minute % every == 0 or bool(errors))
                if minute % every and not errors:
                    print("  " + " · ".join(str(c) for c in cells), flush=True)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.to_thread(engine.stop)
    if not minutes:
        print("nothing measured: the soak is shorter than a minute", file=sys.stderr)
        return 1
    passed, figures = verdict(minutes)
    table.rows = [r for r in table.rows if int(r[0]) % every == 0 or r[-1] != "0"]
    figures["model"] = model
    figures["per_minute"] = [m.__dict__ for m in minutes]
    command = f"make soak SOAK='--minutes {seconds / 60:g} --model {model}'"
    path = write_results("soak", figures, [summary_table(figures), table], command)
    print(
        f"\nmemory {figures['memory_growth_mb_per_hour']:+.1f} MB/h (under "
        f"{MEMORY_MB_PER_HOUR:g}), most behind {figures['most_behind_first_third_s']:.2f} s "
        f"first third, {figures['most_behind_last_third_s']:.2f} s last third, fds "
        f"{figures['fds_settled']}→{figures['fds_last']}, {figures['error_count']} errors: "
        f"{'passed' if passed else 'FAILED'}\nwrote {path}"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, help="how long (default half an hour)")
    parser.add_argument("--minutes", type=float, help="how long, in minutes")
    parser.add_argument("--model", default="standard", choices=["standard", "enhanced"])
    parser.add_argument("--every", type=int, default=0, help="table a row every N minutes")
    args = parser.parse_args()
    seconds = 3600 * args.hours if args.hours else 60 * (args.minutes or 30)
    every = args.every or max(1, round(seconds / 60 / 12))
    sys.exit(asyncio.run(soak(seconds, args.model, every)))
