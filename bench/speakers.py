"""``make benchmark-speakers``: how many words carry the label of the voice that said them.

On the call's two voices taking turns (``tests.helpers.call_turns``: stretches of each channel
of ``call_center_stereo.wav``, one after the other), on two espeak-ng voices in a dialogue of
long and short turns (``tests.helpers.dialogue``), on the call itself mixed to mono (where the
customer talks over the agent), on config_demo.wav (two voices saying a sentence each in turn:
``tests.helpers.CONFIG_DEMO_TURNS``), and the number of speakers found in each single-voice
recording; batch and real time (``max_delay`` 2), through the official clients. For the turns,
how often the labels change per minute beside how often the voice really does.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from speechmatics.batch import AsyncClient, JobConfig, JobType, TranscriptionConfig  # noqa: E402

from bench.results import Table, write_results  # noqa: E402
from tests.helpers import (  # noqa: E402
    CONFIG_DEMO_TURNS,
    call_turns,
    dialogue,
    flips_per_minute,
    labelled_share,
    write_wav,
)
from tests.integration.rt_helpers import pcm, stream  # noqa: E402
from tui.core.engine_process import start_engine  # noqa: E402
from tui.settings import Settings  # noqa: E402
from tui.shared.audio import iter_decoded  # noqa: E402

AUDIO = ROOT.parent / "shared" / "audio"


async def batch_results(engine: Any, path: Path) -> list[dict[str, Any]]:
    config = JobConfig(
        type=JobType.TRANSCRIPTION,
        transcription_config=TranscriptionConfig(language="en", diarization="speaker"),
    )
    async with AsyncClient(api_key=engine.api_key, url=engine.batch_url) as client:
        transcript = await client.transcribe(str(path), config=config, min_polling_interval=0.2)
    return [
        {
            "type": r.type,
            "start_time": r.start_time,
            "end_time": r.end_time,
            "alternatives": [{"speaker": r.alternatives[0].speaker}],
        }
        for r in transcript.results
    ]


async def realtime_results(engine: Any, path: Path) -> list[dict[str, Any]]:
    got = await stream(engine, pcm(path), diarization="speaker", max_delay=2.0)
    return [r for m in got.of("AddTranscript") for r in m["results"]]


def voices(results: list[dict[str, Any]]) -> int:
    return len({r["alternatives"][0]["speaker"] for r in results if r["type"] == "word"})


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        engine = start_engine(Settings(data_dir=tmp / "data"))
        try:
            turns, spans = call_turns(tmp / "turns.wav")
            stereo = AUDIO / "call_center_stereo.wav"
            channels = [np.concatenate(list(iter_decoded(stereo, channel=c))) for c in (0, 1)]
            mixed = write_wav(tmp / "mixed.wav", (channels[0] + channels[1]) / 2)
            mixed_spans = [(1, 0.0, 10.0)]  # every word heard in the mix is the customer's
            talk, talk_spans = dialogue(tmp / "dialogue.wav")
            demo = AUDIO / "config_demo.wav"
            table = Table(
                "Speaker diarization: words labelled with the voice that said them, and label "
                "changes per minute beside the true changes (more than true: flips)",
                ["audio", "mode", "words labelled right", "speakers found",
                 "label changes / min", "true changes / min"],
            )  # fmt: skip
            for name, path, truth in (
                ("the call's two voices taking turns", turns, spans),
                ("two espeak-ng voices, long and short turns", talk, talk_spans),
                ("the call mixed to mono", mixed, mixed_spans),
                ("config_demo.wav (two voices, a sentence each)", demo, CONFIG_DEMO_TURNS),
            ):
                for mode, run in (("batch", batch_results), ("real time", realtime_results)):
                    results = await run(engine, path)
                    share = labelled_share(results, truth)
                    flips, true = flips_per_minute(results, truth)
                    table.add(
                        name,
                        mode,
                        f"{100 * share:.0f}%",
                        voices(results),
                        f"{flips:.1f}",
                        f"{true:.1f}",
                    )
            for name in (
                "agent.wav",
                "customer.wav",
                "hello.wav",
                "meeting.wav",
            ):
                found = [
                    voices(await run(engine, AUDIO / name))
                    for run in (batch_results, realtime_results)
                ]
                table.add(name, "batch / real time", "–", f"{found[0]} / {found[1]}", "–", "–")
        finally:
            engine.stop()
    print(f"\nwrote {write_results('speakers', {}, [table], 'make benchmark-speakers')}")


if __name__ == "__main__":
    asyncio.run(main())
