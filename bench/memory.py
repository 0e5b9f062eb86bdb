"""``make benchmark-memory``: the engine's memory and time on hostile batch input.

Three uploads of a 2.7 MB FLAC holding 4 hours of silence, at once (the case that once took
the engine past 7 GB), then a real-time session given a 1 Hz sample rate. Prints the engine's
resident memory before, its peak (VmHWM), and the time taken.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.results import Table, write_results
from tests.helpers import quick_engine
from tests.integration.test_hostile import memory, silence_flac

MB = 1024 * 1024


async def main() -> None:
    from speechmatics.batch import AsyncClient

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        flac = silence_flac(tmp / "4h.flac", 4 * 3600)
        engine = quick_engine(tmp / "data")
        try:
            table = Table(
                "The engine's memory under hostile batch input",
                ["moment", "resident", "peak (VmHWM)", "time"],
            )
            rss, peak = memory(engine)
            table.add("engine loaded", f"{rss / MB:.0f} MB", f"{peak / MB:.0f} MB", "–")
            started = time.monotonic()
            async with AsyncClient(api_key=engine.api_key, url=engine.batch_url) as client:
                ids = [(await client.submit_job(str(flac))).id for _ in range(3)]
                for job_id in ids:
                    await client.wait_for_completion(job_id, polling_interval=2, timeout=3600)
            rss, peak = memory(engine)
            table.add(
                f"after 3 × 4 h of silence at once ({flac.stat().st_size / 1e6:.1f} MB FLAC each)",
                f"{rss / MB:.0f} MB",
                f"{peak / MB:.0f} MB",
                f"{time.monotonic() - started:.1f} s",
            )
        finally:
            engine.stop()
    print(f"\nwrote {write_results('memory', {}, [table], 'make benchmark-memory')}")


if __name__ == "__main__":
    asyncio.run(main())
