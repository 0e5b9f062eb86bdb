"""Multichannel real time (AddChannelAudio) with the official clients, against the real engine.

``call_center_stereo.wav`` is a call with the agent on one channel and the customer on the
other; ``agent.wav`` and ``customer.wav`` are those channels, one file each.
"""

from __future__ import annotations

import asyncio
import base64
import subprocess
from pathlib import Path
from typing import Any

import pytest
from speechmatics import rt

from tests.helpers import references, wer
from tests.integration.rt_helpers import RawSession, capture, pcm

pytestmark = [pytest.mark.engine, pytest.mark.paced]
LABELS = {"agent": "agent.wav", "customer": "customer.wav"}


def by_channel(finals: list[dict[str, Any]]) -> dict[str, str]:
    """Each channel's final text, checking every result carries its message's channel."""
    texts: dict[str, str] = {}
    for message in finals:
        channel = message["channel"]
        assert all(r["channel"] == channel for r in message["results"])
        texts[channel] = texts.get(channel, "") + message["metadata"]["transcript"]
    return texts


async def test_the_multichannel_client_gets_each_channel_labelled(
    engine: Any, shared_audio: Path
) -> None:
    client = rt.AsyncMultiChannelClient(api_key=engine.api_key, url=engine.rt_url)
    got = capture(client)
    ended = asyncio.Event()
    client.on(rt.ServerMessageType.END_OF_TRANSCRIPT, lambda _: ended.set())
    files = {label: (shared_audio / name).open("rb") for label, name in LABELS.items()}
    try:
        await client.transcribe(
            files,
            transcription_config=rt.TranscriptionConfig(
                language="en",
                diarization="channel",
                model="standard",
                channel_diarization_labels=list(LABELS),
                enable_partials=True,
            ),
        )
        await asyncio.wait_for(ended.wait(), timeout=120)
    finally:
        await client.close()
        for handle in files.values():
            handle.close()
    assert got.of("RecognitionStarted")[0]["channel_ids"] == list(LABELS)
    acks = got.of("ChannelAudioAdded")
    for label in LABELS:
        seq = [m["seq_no"] for m in acks if m["channel"] == label]
        assert seq == list(range(1, len(seq) + 1)) and seq
    texts = by_channel(got.of("AddTranscript"))
    for label, name in LABELS.items():
        assert wer(references()[name], texts[label]) <= 0.3, (label, texts[label])
    assert {m["channel"] for m in got.of("AddPartialTranscript")} == set(LABELS)
    assert len(got.of("EndOfTranscript")) == 1


async def test_each_channel_ends_on_its_own(engine: Any, shared_audio: Path) -> None:
    """EndOfChannel ends one channel; EndOfTranscript comes once both have ended."""
    async with RawSession(engine) as raw:
        started = await raw.start(diarization="channel", channel_diarization_labels=["a", "b"])
        assert started["channel_ids"] == ["a", "b"]
        audio = {"a": pcm(shared_audio / "hello.wav"), "b": pcm(shared_audio / "meeting.wav")}
        for label, data in audio.items():
            for offset in range(0, len(data), 32000):
                chunk = base64.b64encode(data[offset : offset + 32000]).decode()
                await raw.send({"message": "AddChannelAudio", "channel": label, "data": chunk})
        await raw.send({"message": "EndOfChannel", "channel": "a", "last_seq_no": 6})
        await raw.send({"message": "AddChannelAudio", "channel": "a", "data": chunk})
        await raw.send({"message": "EndOfChannel", "channel": "b", "last_seq_no": 5})
        messages = await raw.until_closed(timeout=120)
    kinds = [m["message"] for m in messages]
    assert kinds.count("EndOfTranscript") == 1 and kinds[-1] == "EndOfTranscript"
    assert "add_audio_after_eos" in [m.get("type") for m in messages]  # audio after its end
    texts = by_channel([m for m in messages if m["message"] == "AddTranscript"])
    assert wer(references()["hello.wav"], texts["a"]) <= 0.3, texts
    assert wer(references()["meeting.wav"], texts["b"]) <= 0.3, texts


@pytest.mark.parametrize(
    ("config", "message", "kind"),
    [
        ({}, {"message": "AddChannelAudio", "channel": "a", "data": ""}, "invalid_message"),
        (
            {"diarization": "channel", "channel_diarization_labels": ["a"]},
            {"message": "AddChannelAudio", "channel": "z", "data": ""},
            "invalid_message",
        ),
        (
            {"diarization": "channel", "channel_diarization_labels": ["a"]},
            {"message": "AddChannelAudio", "channel": "a", "data": "not base64!"},
            "invalid_message",
        ),
        (
            {"diarization": "channel", "channel_diarization_labels": ["a"]},
            {"message": "EndOfChannel", "channel": "q", "last_seq_no": 0},
            "invalid_message",
        ),
    ],
)
async def test_channel_messages_that_do_not_fit_get_a_clear_error(
    engine: Any, config: dict[str, Any], message: dict[str, Any], kind: str
) -> None:
    async with RawSession(engine) as raw:
        await raw.start(**config)
        await raw.send(message)
        error = await raw.expect("Error")
    assert error["type"] == kind and error["reason"]


async def test_repeated_labels_and_binary_audio_in_a_multichannel_session(engine: Any) -> None:
    async with RawSession(engine) as raw:
        await raw.send(
            {
                "message": "StartRecognition",
                "audio_format": {"type": "raw", "encoding": "pcm_s16le", "sample_rate": 16000},
                "transcription_config": {
                    "language": "en",
                    "diarization": "channel",
                    "channel_diarization_labels": ["a", "a"],
                },
            }
        )
        error = await raw.expect("Error")
    assert error["type"] == "invalid_config" and "repeat" in error["reason"]
    async with RawSession(engine) as raw:
        await raw.start(diarization="channel", channel_diarization_labels=["a", "b"])
        assert raw.ws is not None
        await raw.ws.send_bytes(b"\0" * 3200)
        error = await raw.expect("Error")
    assert error["type"] == "protocol_error" and "AddChannelAudio" in error["reason"]


def test_the_legacy_cli_transcribes_two_channels(
    engine: Any, shared_audio: Path, legacy_cli: Path
) -> None:
    """``speechmatics rt transcribe --diarization channel --multichannel agent,customer``."""
    command = [
        str(legacy_cli),
        "rt",
        "transcribe",
        "--url",
        engine.rt_url,
        "--ssl-mode",
        "none",
        f"--auth-token={engine.api_key}",  # one word: a key may begin with "-"
        "--lang",
        "en",
        "--diarization",
        "channel",
        "--multichannel",
        "agent,customer",
        "--print-json",
        str(shared_audio / "agent.wav"),
        str(shared_audio / "customer.wav"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    import json

    finals = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    texts = by_channel([m for m in finals if m["message"] == "AddTranscript"])
    for label, name in LABELS.items():
        assert wer(references()[name], texts[label]) <= 0.3, (label, texts)


def per_channel_text(results: list[Any]) -> dict[str, str]:
    """Batch results (SDK objects) as each channel's text."""
    texts: dict[str, list[str]] = {}
    for result in results:
        assert result.channel is not None
        texts.setdefault(result.channel, []).append(result.alternatives[0].content)
    return {label: " ".join(words) for label, words in texts.items()}


@pytest.mark.parametrize("mode", ["channel", "channel_and_speaker"])
async def test_batch_channel_diarization_transcribes_each_channel(
    engine: Any, shared_audio: Path, mode: str
) -> None:
    from speechmatics.batch import (
        AsyncClient,
        FormatType,
        JobConfig,
        JobType,
        TranscriptionConfig,
    )

    config = JobConfig(
        type=JobType.TRANSCRIPTION,
        transcription_config=TranscriptionConfig(
            language="en",
            diarization=mode,
            channel_diarization_labels=list(LABELS),
            model="standard",
        ),
    )
    async with AsyncClient(api_key=engine.api_key, url=engine.batch_url) as batch:
        job = await batch.submit_job(str(shared_audio / "call_center_stereo.wav"), config=config)
        transcript = await batch.wait_for_completion(job.id, polling_interval=0.2)
        txt = await batch.get_transcript(job.id, format_type=FormatType.TXT)
        srt = await batch.get_transcript(job.id, format_type=FormatType.SRT)
    texts = per_channel_text(transcript.results)
    assert set(texts) == set(LABELS)
    for label, name in LABELS.items():
        assert wer(references()[name], texts[label]) <= 0.3, (label, texts[label])
    starts = [r.start_time for r in transcript.results if r.type == "word"]
    assert starts == sorted(starts)  # the two sides interleave in time
    speakers = {r.alternatives[0].speaker for r in transcript.results}
    assert speakers == ({"UU"} if mode == "channel" else {"S1"})
    assert isinstance(txt, str) and "CHANNEL: agent\n" in txt and "CHANNEL: customer\n" in txt
    prefix = "" if mode == "channel" else " S1"  # channel_and_speaker: "agent S1: Thank…"
    assert isinstance(srt, str) and f"agent{prefix}: " in srt and f"customer{prefix}: " in srt


async def test_batch_channel_labels_default_to_channel_numbers(
    engine: Any, shared_audio: Path
) -> None:
    from speechmatics.batch import AsyncClient, JobConfig, JobType, TranscriptionConfig

    config = JobConfig(
        type=JobType.TRANSCRIPTION,
        transcription_config=TranscriptionConfig(
            language="en", diarization="channel", model="standard"
        ),
    )
    async with AsyncClient(api_key=engine.api_key, url=engine.batch_url) as batch:
        transcript = await batch.transcribe(
            str(shared_audio / "call_center_stereo.wav"), config=config, min_polling_interval=0.2
        )
    texts = per_channel_text(transcript.results)
    assert set(texts) == {"Channel 1", "Channel 2"}
    assert wer(references()["agent.wav"], texts["Channel 1"]) <= 0.3


def test_the_legacy_cli_runs_batch_jobs(engine: Any, shared_audio: Path, legacy_cli: Path) -> None:
    """``speechmatics batch transcribe`` (and its job listing) against the engine."""
    base = [str(legacy_cli), "batch"]
    auth = ["--url", engine.batch_url.removesuffix("/v2"), f"--auth-token={engine.api_key}"]
    done = subprocess.run(
        [
            *base,
            "transcribe",
            *auth,
            "--output-format",
            "txt",
            "--diarization",
            "channel",
            str(shared_audio / "call_center_stereo.wav"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "CHANNEL: Channel 1" in done.stdout and "CHANNEL: Channel 2" in done.stdout
    listed = subprocess.run(
        [*base, "list-jobs", *auth], capture_output=True, text=True, timeout=60, check=False
    )
    assert listed.returncode == 0 and "call_center_stereo.wav" in listed.stdout, listed.stderr
