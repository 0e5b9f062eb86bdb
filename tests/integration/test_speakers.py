"""Speaker diarization with the official clients against the real engine: the call's two voices
taking turns, and the call itself mixed to mono."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from speechmatics import rt
from speechmatics.batch import AsyncClient, JobConfig, JobType, TranscriptionConfig

from tests.helpers import (
    CONFIG_DEMO_TURNS,
    call_turns,
    flips_per_minute,
    labelled_share,
    speak,
    turn_of,
    write_wav,
)
from tests.integration.rt_helpers import pcm, stream
from tui.shared.audio import decode_file, iter_decoded

pytestmark = [pytest.mark.engine, pytest.mark.paced]


@pytest.fixture(scope="module")
def turns(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[int, float, float]]]:
    return call_turns(tmp_path_factory.mktemp("speech") / "turns.wav")


@pytest.fixture(scope="module")
def turns_apart(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    """The turns with a turn's pause between them (1.5 s), as test_09's call has."""
    return call_turns(tmp_path_factory.mktemp("speech") / "apart.wav", gap=1.5)


async def batch_json(engine: Any, path: Path, **dz: Any) -> dict[str, Any]:
    import aiohttp

    config = JobConfig(
        type=JobType.TRANSCRIPTION,
        transcription_config=TranscriptionConfig(
            language="en",
            diarization="speaker",
            speaker_diarization_config=dz or None,
            model="standard",
        ),
    )
    async with AsyncClient(api_key=engine.api_key, url=engine.batch_url) as client:
        job = await client.submit_job(str(path), config=config)
        await client.wait_for_completion(job.id, polling_interval=0.2)
    headers = {"Authorization": f"Bearer {engine.api_key}"}
    url = f"{engine.batch_url}/jobs/{job.id}/transcript"
    async with aiohttp.ClientSession(headers=headers) as http, http.get(url) as answer:
        return dict(await answer.json())


def speakers_of(results: list[dict[str, Any]]) -> set[str]:
    return {r["alternatives"][0]["speaker"] for r in results}


async def test_batch_labels_each_voice(engine: Any, turns: tuple[Path, Any]) -> None:
    path, spans = turns
    transcript = await batch_json(engine, path, get_speakers=True)
    assert labelled_share(transcript["results"], spans) >= 0.9
    assert speakers_of(transcript["results"]) == {"S1", "S2"}
    listed = {s["label"]: s["speaker_identifiers"] for s in transcript["speakers"]}
    assert set(listed) == {"S1", "S2"} and all(len(ids) == 1 for ids in listed.values())
    # Given back with names, the same voices are called by them
    named = [
        {"label": "Agent", "speaker_identifiers": listed["S1"]},
        {"label": "Customer", "speaker_identifiers": listed["S2"]},
    ]
    again = await batch_json(engine, path, speakers=named)
    assert speakers_of(again["results"]) == {"Agent", "Customer"}
    first = next(r for r in again["results"] if r["type"] == "word")
    assert first["alternatives"][0]["speaker"] == "Agent"  # "Thank you for calling"


async def test_one_voice_is_one_speaker(engine: Any, shared_audio: Path) -> None:
    transcript = await batch_json(engine, shared_audio / "agent.wav")
    assert speakers_of(transcript["results"]) == {"S1"}


async def test_max_speakers_caps_the_voices(
    engine: Any, turns: tuple[Path, Any], tmp_path: Path
) -> None:
    path, _ = turns
    third = speak("And this is a third voice, from a speech synthesiser.", tmp_path / "t.wav")
    three = write_wav(
        tmp_path / "three.wav", np.concatenate([decode_file(path), decode_file(third)])
    )
    found = await batch_json(engine, three)
    capped = await batch_json(engine, three, max_speakers=2)
    assert len(speakers_of(found["results"])) == 3
    assert speakers_of(capped["results"]) == {"S1", "S2"}


async def test_the_call_mixed_to_mono(engine: Any, shared_audio: Path, tmp_path: Path) -> None:
    """In the mix the customer talks over the agent, 12 dB louder: the customer's words are
    labelled one speaker. (Which of the agent's quieter words tiny.en hears in the mix varies
    with the CPU: none on one, "I'd be happy to help you out" on another; telling them apart
    from the customer's is left to steadier speakers, issue 26.)"""
    stereo = shared_audio / "call_center_stereo.wav"
    channels = [np.concatenate(list(iter_decoded(stereo, channel=c))) for c in (0, 1)]
    mixed = write_wav(tmp_path / "mixed.wav", (channels[0] + channels[1]) / 2)
    transcript = await batch_json(engine, mixed)
    words = [r for r in transcript["results"] if r["type"] == "word"]

    def louder(r: dict[str, Any]) -> int:
        a, b = int(r["start_time"] * 16000), int(r["end_time"] * 16000)
        return int(np.mean(channels[1][a:b] ** 2) > np.mean(channels[0][a:b] ** 2))

    customer = [r["alternatives"][0]["speaker"] for r in words if louder(r)]
    assert len(customer) >= 12  # "Hi, I need help with my account … 12345"
    most = max(customer.count(name) for name in set(customer))
    assert most / len(customer) >= 0.9


async def test_realtime_labels_each_voice(engine: Any, turns: tuple[Path, Any]) -> None:
    path, spans = turns
    got = await stream(
        engine, pcm(path), diarization="speaker", max_delay=2.0, enable_partials=True
    )
    results = [r for m in got.of("AddTranscript") for r in m["results"]]
    assert labelled_share(results, spans) >= 0.9
    assert speakers_of(results) == {"S1", "S2"}
    assert all(
        "speaker" in r["alternatives"][0]
        for m in got.of("AddPartialTranscript")
        for r in m["results"]
    )


async def test_realtime_tells_config_demos_two_voices_apart(
    engine: Any, shared_audio: Path
) -> None:
    """Two real voices, a sentence each in turn. The second voice's first stretch is only
    doubtfully another voice: it once joined the first voice, pulled it over, and the whole
    recording came back as one speaker."""
    got = await stream(engine, pcm(shared_audio / "config_demo.wav"), diarization="speaker",
                       max_delay=2.0)  # fmt: skip
    results = [r for m in got.of("AddTranscript") for r in m["results"]]
    assert speakers_of(results) == {"S1", "S2"}
    # One voice gets 51-53% right. A new voice's first stretch keeps the old label, and on a
    # busy machine steps are longer, so is that stretch: 88-97% idle, 74% beside a CPU hog
    # and another engine's live sessions.
    assert labelled_share(results, CONFIG_DEMO_TURNS) >= 0.7
    flips, true = flips_per_minute(results, CONFIG_DEMO_TURNS)
    assert flips <= true + 4  # at most one change more than the three true ones (19 s)


async def test_get_speakers_then_known_speakers_in_real_time(
    engine: Any, turns_apart: tuple[Path, Any]
) -> None:
    path, spans = turns_apart
    client = rt.AsyncClient(api_key=engine.api_key, url=engine.rt_url)
    results: list[dict[str, Any]] = []
    speakers: list[dict[str, Any]] = []
    client.on(rt.ServerMessageType.ADD_TRANSCRIPT, lambda m: results.extend(m["results"]))
    client.on(rt.ServerMessageType.SPEAKERS_RESULT, lambda m: speakers.extend(m["speakers"]))
    config = rt.TranscriptionConfig(language="en", diarization="speaker", model="standard")
    await client.start_session(
        transcription_config=config,
        audio_format=rt.AudioFormat(encoding=rt.AudioEncoding.PCM_S16LE, sample_rate=16000),
    )
    await client.send_message({"message": "GetSpeakers", "final": True})
    audio = pcm(path)
    for offset in range(0, len(audio), 32000):
        await client.send_audio(audio[offset : offset + 32000])
    await asyncio.wait_for(client.stop_session(), timeout=120)
    assert {s["label"] for s in speakers} == {"S1", "S2"}
    named = [
        {
            "label": "Agent" if s["label"] == "S1" else "Customer",
            "speaker_identifiers": s["speaker_identifiers"],
        }
        for s in speakers
    ]
    got = await stream(
        engine,
        audio,
        diarization="speaker",
        max_delay=2.0,
        enable_partials=True,
        speaker_diarization_config={"speakers": named},
    )
    again = [r for m in got.of("AddTranscript") for r in m["results"]]
    assert speakers_of(again) == {"Agent", "Customer"}
    assert labelled_share(again, spans) >= 0.9
    # Every voice is known, so no partial is "UU", not even those before the first final.
    partials = [r for m in got.of("AddPartialTranscript") for r in m["results"]]
    assert partials and speakers_of(partials) <= {"Agent", "Customer"}
    assert partials[0]["alternatives"][0]["speaker"] == "Agent"  # "Thank you for calling"
    # A partial after a turn's pause is named from its own speech, not as the last final's
    # speaker (test_09's call: the Voice SDK made the assistant's first words the caller's).
    names = [("Agent", "Customer")[voice] for voice, _, _ in spans]
    assert partial_share(partials, spans, names) >= 0.9


def partial_share(results: list[dict[str, Any]], spans: list[Any], names: list[str]) -> float:
    """The share of partial words labelled as the voice whose turn holds them."""
    right = total = 0
    for r in results:
        turn = turn_of(r, spans)
        if turn is not None and r["type"] == "word":
            total += 1
            right += r["alternatives"][0]["speaker"] == names[turn]
    return right / total if total else 0.0
