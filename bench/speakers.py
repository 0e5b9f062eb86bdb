"""``make benchmark-speakers``: how many words carry the label of the voice that said them.

On the call's two voices taking turns (``tests.helpers.call_turns``: stretches of each channel
of ``call_center_stereo.wav``, one after the other), on two espeak-ng voices in a dialogue of
long and short turns (``tests.helpers.dialogue``), on the call itself mixed to mono (where the
customer talks over the agent), on config_demo.wav (two voices saying a sentence each in turn:
``tests.helpers.CONFIG_DEMO_TURNS``), and the number of speakers found in each single-voice
recording; batch and real time (``max_delay`` 2), through the official clients. For the turns,
how often the labels change per minute beside how often the voice really does; and, for the
call's turns 0.5 s and 1.5 s apart, how soon a new turn's first words come in a partial, and
come labelled right.

``python bench/speakers.py --repeat FILE [--runs N] [--at-once K] [--rate HZ]`` streams one
recording of several voices again and again instead (the SDKs' default model, ``max_delay`` 2,
partials, two sessions at once by default, at the file's own rate when ``--rate`` says it): how
many runs find more than one voice, how many turns (label changes + 1) each gives, and the same
again in a second session given the voices the first found as known speakers (``GetSpeakers``),
named. It takes a file the project does not ship, e.g. the Voice SDK's two-voice call.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from speechmatics import rt  # noqa: E402
from speechmatics.batch import AsyncClient, JobConfig, JobType, TranscriptionConfig  # noqa: E402

from bench.results import Table, write_results  # noqa: E402
from tests.helpers import (  # noqa: E402
    CONFIG_DEMO_TURNS,
    call_turns,
    dialogue,
    flips_per_minute,
    labelled_share,
    turn_of,
    write_wav,
)
from tests.integration.rt_helpers import capture, pcm, stream  # noqa: E402
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


async def partial_turns(
    engine: Any, path: Path, spans: list[tuple[int, float, float]]
) -> tuple[float, float, float]:
    """Real-time partials at the voice changes: the share of partial words labelled right (under
    the best mapping of labels to voices), and the mean seconds from each new turn's start to
    its first word in a message, and to its first word labelled right."""
    got = await stream(
        engine, pcm(path), diarization="speaker", max_delay=2.0, enable_partials=True
    )
    started = next(t for t, m in got.messages if m.get("message") == "RecognitionStarted")
    partials = [r for m in got.of("AddPartialTranscript") for r in m["results"]]
    finals = [r for m in got.of("AddTranscript") for r in m["results"]]
    names = _mapping(finals, spans)
    first, right = [], []
    for turn in range(1, len(spans)):  # each turn where the voice changes
        voice, begin, _ = spans[turn]
        heard = [
            (t - started - begin, r["alternatives"][0].get("speaker"))
            for t, m in got.messages
            if m.get("message") in ("AddPartialTranscript", "AddTranscript")
            for r in m["results"]
            if r["type"] == "word" and turn_of(r, spans) == turn
        ]
        first.append(min(t for t, _ in heard))
        right.append(min(t for t, who in heard if names.get(who) == voice))
    return labelled_share(partials, spans), float(np.mean(first)), float(np.mean(right))


def _mapping(
    results: list[dict[str, Any]], spans: list[tuple[int, float, float]]
) -> dict[str, int]:
    """Each label's voice: the one that said most of the final words it labels."""
    said: dict[str, Counter[int]] = {}
    for r in results:
        turn = turn_of(r, spans)
        if turn is not None and r["type"] == "word":
            said.setdefault(r["alternatives"][0]["speaker"], Counter())[spans[turn][0]] += 1
    return {label: counts.most_common(1)[0][0] for label, counts in said.items()}


def voices(results: list[dict[str, Any]]) -> int:
    return len({r["alternatives"][0]["speaker"] for r in results if r["type"] == "word"})


def turns_of(results: list[dict[str, Any]]) -> list[str]:
    """The speaker of each turn: the labels of the words, each change a new turn."""
    out: list[str] = []
    for r in results:
        if r["type"] == "word" and (not out or out[-1] != r["alternatives"][0]["speaker"]):
            out.append(r["alternatives"][0]["speaker"])
    return out


async def session(
    engine: Any, audio: bytes, rate: int, known: list[dict[str, Any]] | None
) -> tuple[list[str], dict[str, list[str]]]:
    """One paced real-time session with diarization: its turns' speakers, and the voices it
    lists when asked (``GetSpeakers`` after the audio)."""
    client = rt.AsyncClient(api_key=engine.api_key, url=engine.rt_url)
    got = capture(client)
    speakers = rt.SpeakerDiarizationConfig(
        speakers=[rt.SpeakerIdentifier(**k) for k in known or []]
    )
    await client.start_session(
        transcription_config=rt.TranscriptionConfig(
            language="en",
            max_delay=2.0,
            diarization="speaker",
            enable_partials=True,
            speaker_diarization_config=speakers if known else None,
        ),
        audio_format=rt.AudioFormat(
            encoding=rt.AudioEncoding.PCM_S16LE, sample_rate=rate, chunk_size=rate // 5
        ),
    )
    chunk, began = rate // 5, time.monotonic()  # 0.1 s of 16-bit samples
    for offset in range(0, len(audio), chunk):
        await asyncio.sleep(max(0.0, began + offset / (2 * rate) - time.monotonic()))
        await client.send_audio(audio[offset : offset + chunk])
    await client.send_message({"message": "GetSpeakers"})
    await asyncio.wait_for(client.stop_session(), timeout=180)
    results = [r for m in got.of("AddTranscript") for r in m["results"]]
    listed = {
        s["label"]: s["speaker_identifiers"]
        for m in got.of("SpeakersResult")
        for s in m["speakers"]
    }
    return turns_of(results), listed


async def repeat(path: Path, runs: int, at_once: int, rate: int) -> None:
    """``--repeat``: one recording, ``runs`` times, ``at_once`` at a time."""
    audio = pcm(path, rate=rate)
    slots = asyncio.Semaphore(at_once)

    async def one(engine: Any) -> tuple[list[str], list[str] | None]:
        async with slots:
            turns, listed = await session(engine, audio, rate, None)
            if len(listed) < 2:
                return turns, None
            known = [{"label": f"Voice {label}", "speaker_identifiers": ids}
                     for label, ids in listed.items()]  # fmt: skip
            again, _ = await session(engine, audio, rate, known)
            return turns, again

    with tempfile.TemporaryDirectory() as folder:
        engine = start_engine(Settings(data_dir=Path(folder) / "data"))
        try:
            done = await asyncio.gather(*(one(engine) for _ in range(runs)))
        finally:
            engine.stop()
    table = Table(
        f"{path.name} in real time, {runs} runs, {at_once} at once (default model, max_delay 2): "
        "runs that found more than one voice, and each run's turns",
        ["session", "runs with several voices", "turns (runs)", "labels not given"],
    )
    for name, found in (
        ("diarization", [turns for turns, _ in done]),
        ("then known speakers", [again for _, again in done if again is not None]),
    ):
        counts = Counter(len(turns) for turns in found)
        stray = sum(1 for turns in found for label in turns if not label.startswith(("S", "Voice")))
        table.add(
            name,
            f"{sum(1 for t in found if len(set(t)) > 1)} of {len(found)}",
            ", ".join(f"{n} ({c})" for n, c in sorted(counts.items())),
            stray,
        )
    command = (
        f"python bench/speakers.py --repeat {path.name} --runs {runs} --at-once {at_once} "
        f"--rate {rate}"
    )
    print(f"\nwrote {write_results('speakers_repeat', {}, [table], command)}")


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
            partials = Table(
                "Real-time partials where the voice changes (diarization, max_delay 2): partial "
                "words labelled right, and the mean seconds from a new turn's start to its "
                "first word in a message, and to its first word labelled right",
                ["audio", "partial words right", "first word (s)", "first word right (s)"],
            )
            for gap in (0.5, 1.5):
                apart, apart_spans = call_turns(tmp / f"turns_{gap}.wav", gap=gap)
                share, first, right = await partial_turns(engine, apart, apart_spans)
                partials.add(
                    f"the call's two voices taking turns, {gap} s apart",
                    f"{100 * share:.0f}%",
                    f"{first:.2f}",
                    f"{right:.2f}",
                )
        finally:
            engine.stop()
    tables = [table, partials]
    print(f"\nwrote {write_results('speakers', {}, tables, 'make benchmark-speakers')}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=Path, help="stream this recording again and again")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--at-once", type=int, default=2)
    parser.add_argument("--rate", type=int, default=16000, help="send it at this sample rate")
    args = parser.parse_args()
    if args.repeat is None:
        asyncio.run(main())
    else:
        asyncio.run(repeat(args.repeat, args.runs, args.at_once, args.rate))
