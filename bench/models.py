"""``make benchmark-models``: both operating points on the shared recordings, batch and real time.

For each operating point (``standard``: tiny.en, ``enhanced``: Whisper base), every shared
recording with a reference is compared (batch and real time at ``max_delay`` 1.0, as
``sm-tui compare`` does) and a row of pooled figures is printed: mean WER and the batch
real-time factor (turnaround over audio length); final-word latency p50 and p95. ``enhanced``
is what the official SDKs ask for by default. ``--long`` adds three minutes of continuous
speech made at run time (``bench/speech.py``), pooled with the rest.

    .venv/bin/python bench/models.py [--long]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import Table, write_results  # noqa: E402
from bench.speech import STORY, story  # noqa: E402
from tui.core.compare import compare  # noqa: E402
from tui.core.references import load_references  # noqa: E402
from tui.core.target import open_target  # noqa: E402
from tui.settings import Settings  # noqa: E402

AUDIO = ROOT.parent / "shared" / "audio"


async def main(long: bool = False) -> None:
    refs = {
        AUDIO / k: v
        for k, v in load_references(AUDIO / "references.tsv").items()
        if (AUDIO / k).is_file()
    }
    with tempfile.TemporaryDirectory() as folder:
        if long:
            refs[story(Path(folder))] = STORY
        opened = await asyncio.to_thread(open_target, Settings(data_dir=Path(folder) / "data"))
        table = Table(
            f"Both operating points on the shared recordings"
            f"{' and 3 minutes of espeak-ng' if long else ''} (batch and real time at once, "
            "max_delay 1)",
            ["operating point", "model", "batch WER", "batch turnaround ÷ audio",
             "real-time WER", "final p50", "final p95"],
        )  # fmt: skip
        try:
            for point in ("standard", "enhanced"):
                target = dataclasses.replace(opened.target, batch_model=point, rt_model=point)
                summaries = [
                    (await compare(target, path, ref, max_delay=1.0)).summary()
                    for path, ref in sorted(refs.items())
                ]
                latencies = [w.latency_s for s in summaries for w in s.realtime.words]
                batch = [s.wer.batch for s in summaries if s.wer.batch is not None]
                rt = [s.wer.realtime for s in summaries if s.wer.realtime is not None]
                ratio = sum(s.batch.turnaround_s for s in summaries) / sum(
                    s.audio_s for s in summaries
                )
                table.add(
                    point,
                    target.model_label(point),
                    f"{100 * np.mean(batch):.1f}%",
                    f"{ratio:.2f}",
                    f"{100 * np.mean(rt):.1f}%",
                    f"{np.percentile(latencies, 50):.2f} s",
                    f"{np.percentile(latencies, 95):.2f} s",
                )
        finally:
            opened.close()
    name, command = ("models_long", "bench/models.py --long") if long else ("models", "")
    print(f"\nwrote {write_results(name, {}, [table], command or 'make benchmark-models')}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long", action="store_true", help="also 3 minutes of continuous speech")
    asyncio.run(main(parser.parse_args().long))
