"""``make benchmark-load``: real time measured idle, beside a CPU hog, beside a long batch job,
and beside a second live session on the same engine.

For each situation, every shared recording with a reference is compared (batch and real time
at once, real time paced at 1x, as ``sm-tui compare`` does) on one local engine, and a row of
pooled figures is printed: final-word latency p50 and p95, mean real-time and batch WER, the
worst word's latency, and any session errors.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import joined  # noqa: E402
from tui.core.compare import ComparisonSummary, compare  # noqa: E402
from tui.core.references import load_references  # noqa: E402
from tui.core.target import EngineTarget, open_target  # noqa: E402
from tui.settings import Settings  # noqa: E402

AUDIO = ROOT.parent / "shared" / "audio"
SITUATIONS = ("idle", "one-core CPU hog", "16-min batch job on the same engine",
              "a second live session on the same engine")  # fmt: skip


async def run_all(target: EngineTarget, refs: dict[str, str]) -> list[ComparisonSummary]:
    out = []
    for name, reference in sorted(refs.items()):
        result = await compare(target, AUDIO / name, reference, max_delay=1.0)
        out.append(result.summary())
    return out


def row(situation: str, summaries: list[ComparisonSummary]) -> str:
    latencies = [w.latency_s for s in summaries for w in s.realtime.words]
    rt = [s.wer.realtime for s in summaries if s.wer.realtime is not None]
    batch = [s.wer.batch for s in summaries if s.wer.batch is not None]
    errors = sum(len(s.realtime.errors) for s in summaries)
    behind = max(s.realtime.behind_max_s for s in summaries)
    return (
        f"| {situation} | {np.percentile(latencies, 50):.2f} s | {np.percentile(latencies, 95):.2f} s "
        f"| {max(latencies):.2f} s | {behind:.2f} s | {100 * np.mean(rt):.1f}% "
        f"| {100 * np.mean(batch):.1f}% | {errors} |"
    )


async def main() -> None:
    refs = {k: v for k, v in load_references(AUDIO / "references.tsv").items()
            if (AUDIO / k).is_file()}  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        names = sorted(refs) * 20
        long_file = joined(tmp / "long.wav", *[AUDIO / n for n in names])  # about 16 minutes
        opened = await asyncio.to_thread(open_target, Settings(data_dir=tmp / "data"))
        lines = ["| situation | final p50 | final p95 | worst word | most behind | RT WER "
                 "| batch WER | errors |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
        try:
            chosen = [s for s in SITUATIONS if not sys.argv[1:] or any(
                word in s for word in sys.argv[1:])]  # fmt: skip
            for situation in chosen:
                hog = None
                batch_id = None
                other: asyncio.Task[object] | None = None
                if situation.startswith("one-core"):
                    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
                elif situation.startswith("16-min"):
                    from speechmatics.batch import AsyncClient

                    async with AsyncClient(api_key=opened.target.api_key,
                                           url=opened.target.batch_url) as client:  # fmt: skip
                        batch_id = (await client.submit_job(str(long_file))).id
                elif situation.startswith("a second"):
                    from tui.core.compare import load_pcm, run_realtime

                    pcm = await asyncio.to_thread(load_pcm, long_file)
                    other = asyncio.create_task(run_realtime(opened.target, pcm, 1.0))
                try:
                    summaries = await run_all(opened.target, refs)
                finally:
                    if other is not None:
                        other.cancel()
                        await asyncio.gather(other, return_exceptions=True)
                    if hog is not None:
                        hog.kill()
                    if batch_id is not None:
                        from speechmatics.batch import AsyncClient

                        async with AsyncClient(api_key=opened.target.api_key,
                                               url=opened.target.batch_url) as client:  # fmt: skip
                            await client.delete_job(batch_id, force=True)
                lines.append(row(situation, summaries))
                print(lines[-1], flush=True)
        finally:
            opened.close()
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
