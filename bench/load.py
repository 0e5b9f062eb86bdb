"""``make benchmark-load``: real time measured idle, beside a CPU hog, beside a long batch job,
and beside a second live session on the same engine.

For each situation, every shared recording with a reference is compared (batch and real time
at once, real time paced at 1x, as ``sm-tui compare`` does) on one local engine, and a row of
pooled figures is printed: final-word latency p50 and p95 over every word, real-time and batch
WER over every word (a short recording weighs no more than its words), the worst word's
latency, and any session errors. Each situation runs the recordings ``--repeat`` times (3 by
default): 77 reference words make one error 1.3 points, so one pass says little.

    .venv/bin/python bench/load.py [idle] [hog] [batch] [second] [--repeat N] [--show]
        [--operating-point enhanced] [--long]

``--show`` prints each recording's real-time transcript under its row. The dashboard's
operating points run by default (batch ``enhanced``, live ``standard``);
``--operating-point enhanced`` runs both on ``enhanced``, as the official SDKs ask by default.
``--long`` adds three minutes of continuous speech made at run time (``bench/speech.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import Table, write_results  # noqa: E402
from bench.speech import STORY, story  # noqa: E402
from tests.helpers import joined  # noqa: E402
from tui.core.compare import compare  # noqa: E402
from tui.core.comparison import ComparisonSummary  # noqa: E402
from tui.core.references import load_references  # noqa: E402
from tui.core.target import EngineTarget, open_target  # noqa: E402
from tui.core.wer import pooled_wer  # noqa: E402
from tui.settings import Settings  # noqa: E402

AUDIO = ROOT.parent / "shared" / "audio"
SITUATIONS = (
    "idle",
    "one-core CPU hog",
    "16-min batch job on the same engine",
    "a second live session on the same engine",
)


async def run_all(
    target: EngineTarget, refs: dict[Path, str], repeat: int
) -> list[ComparisonSummary]:
    out = []
    for _ in range(repeat):
        for path, reference in sorted(refs.items()):
            result = await compare(target, path, reference, max_delay=1.0)
            out.append(result.summary())
    return out


def row(situation: str, summaries: list[ComparisonSummary]) -> str:
    latencies = [w.latency_s for s in summaries for w in s.realtime.words]
    rt = pooled_wer([(s.reference or "", s.realtime.transcript) for s in summaries]) or 0.0
    batch = pooled_wer([(s.reference or "", s.batch.transcript) for s in summaries]) or 0.0
    errors = sum(len(s.realtime.errors) for s in summaries)
    behind = max(s.realtime.behind_max_s for s in summaries)
    return [
        situation,
        f"{np.percentile(latencies, 50):.2f} s",
        f"{np.percentile(latencies, 95):.2f} s",
        f"{max(latencies):.2f} s",
        f"{behind:.2f} s",
        f"{100 * rt:.1f}%",
        f"{100 * batch:.1f}%",
        str(errors),
    ]


async def main(
    words: list[str], repeat: int, show: bool, point: str | None = None, long: bool = False
) -> None:
    refs = {
        AUDIO / k: v
        for k, v in load_references(AUDIO / "references.tsv").items()
        if (AUDIO / k).is_file()
    }
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        names = sorted(refs) * 20
        long_file = joined(tmp / "long.wav", *names)  # about 16 minutes
        if long:
            refs[story(tmp)] = STORY
        opened = await asyncio.to_thread(open_target, Settings(data_dir=tmp / "data"))
        if point is not None:
            opened.target = replace(opened.target, batch_model=point, rt_model=point)
        points = f"both {point}" if point else "the dashboard's: batch enhanced, live standard"
        table = Table(
            f"Real time (max_delay 1) on the referenced shared recordings"
            f"{' and 3 minutes of espeak-ng' if long else ''}, {repeat} passes a situation, "
            f"operating points {points}; latency and WER pooled over every word",
            ["situation", "final p50", "final p95", "worst word", "most behind", "RT WER",
             "batch WER", "errors"],
        )  # fmt: skip
        try:
            chosen = [s for s in SITUATIONS if not words or any(w in s for w in words)]
            for situation in chosen:
                hog = None
                batch_id = None
                other: asyncio.Task[object] | None = None
                if situation.startswith("one-core"):
                    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
                elif situation.startswith("16-min"):
                    from speechmatics.batch import AsyncClient

                    async with AsyncClient(
                        api_key=opened.target.api_key, url=opened.target.batch_url
                    ) as client:
                        batch_id = (await client.submit_job(str(long_file))).id
                elif situation.startswith("a second"):
                    from tui.core.compare import load_pcm, run_realtime

                    pcm = await asyncio.to_thread(load_pcm, long_file)
                    other = asyncio.create_task(run_realtime(opened.target, pcm, 1.0))
                try:
                    summaries = await run_all(opened.target, refs, repeat)
                finally:
                    if other is not None:
                        other.cancel()
                        await asyncio.gather(other, return_exceptions=True)
                    if hog is not None:
                        hog.kill()
                    if batch_id is not None:
                        from speechmatics.batch import AsyncClient

                        async with AsyncClient(
                            api_key=opened.target.api_key, url=opened.target.batch_url
                        ) as client:
                            await client.delete_job(batch_id, force=True)
                table.add(*row(situation, summaries))
                if show:
                    for s in summaries:
                        print(
                            f"  {s.file}: RT WER {100 * (s.wer.realtime or 0):.1f}%: "
                            f"{s.realtime.transcript}",
                            flush=True,
                        )
        finally:
            opened.close()
    options = [f"--repeat {repeat}"] + ([f"--operating-point {point}"] if point else [])
    command = "bench/load.py " + " ".join([*words, *options, *(["--long"] if long else [])])
    name = "load" + (f"_{point}" if point else "") + ("_long" if long else "")
    print(f"\nwrote {write_results(name, {'repeat': repeat}, [table], command)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("situations", nargs="*", help="words of the situations to run (all)")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the recordings")
    parser.add_argument("--show", action="store_true", help="each real-time transcript")
    parser.add_argument(
        "--operating-point",
        choices=("standard", "enhanced"),
        help="batch and live on this one (default: the dashboard's)",
    )
    parser.add_argument("--long", action="store_true", help="also 3 minutes of continuous speech")
    args = parser.parse_args()
    asyncio.run(main(args.situations, args.repeat, args.show, args.operating_point, args.long))
