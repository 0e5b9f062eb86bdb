"""The unmodified speechmatics-rt client (and a raw WebSocket) against the real local engine."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest
from speechmatics import rt
from speechmatics.rt import TranscriptResult

from tests.helpers import SAMPLE, joined, references, wer
from tests.integration.rt_helpers import RawSession, capture, pcm, stream

pytestmark = [pytest.mark.engine, pytest.mark.paced]


def check_finals(got: Any) -> None:
    """Finals parse, come in order, do not overlap, and render their own results."""
    previous_end = 0.0
    for message in got.of("AddTranscript"):
        TranscriptResult.from_message(message)
        meta = message["metadata"]
        assert meta["start_time"] == pytest.approx(previous_end, abs=1e-6)
        assert meta["end_time"] >= meta["start_time"]
        times = [(r["start_time"], r["end_time"]) for r in message["results"]]
        assert all(s >= previous_end - 1e-6 for s, _ in times)
        assert times == sorted(times)
        words = [r["alternatives"][0]["content"] for r in message["results"] if r["type"] == "word"]
        for word in words:
            assert word in meta["transcript"]
        previous_end = meta["end_time"]
    assert got.of("EndOfTranscript")


@pytest.mark.parametrize("name", ["meeting.wav", "customer.wav"])
async def test_paced_pcm_with_partials(engine: Any, shared_audio: Path, name: str) -> None:
    got = await stream(engine, pcm(shared_audio / name), enable_partials=True, max_delay=1.0)
    partials, finals = got.of("AddPartialTranscript"), got.of("AddTranscript")
    assert partials and finals
    first_partial = next(
        t for t, m in got.messages if m["message"] == "AddPartialTranscript" and m["results"]
    )
    first_final = next(
        t for t, m in got.messages if m["message"] == "AddTranscript" and m["results"]
    )
    assert first_partial <= first_final
    assert wer(references()[name], got.final_text) <= 0.30, got.final_text
    check_finals(got)
    for message in partials:
        TranscriptResult.from_message(message)


async def test_pcm_f32le_unpaced(engine: Any, shared_audio: Path) -> None:
    got = await stream(
        engine, pcm(shared_audio / "hello.wav", "pcm_f32le"), encoding="pcm_f32le", paced=False
    )
    assert wer(references()["hello.wav"], got.final_text) <= 0.30, got.final_text
    check_finals(got)


async def test_mulaw_8k_timestamps_scaled(engine: Any, shared_audio: Path) -> None:
    audio = pcm(shared_audio / "agent.wav", "mulaw", 8000)
    got = await stream(engine, audio, encoding="mulaw", rate=8000, paced=False)
    assert wer(references()["agent.wav"], got.final_text) <= 0.30, got.final_text
    last = got.of("AddTranscript")[-1]["metadata"]["end_time"]
    assert 5.0 < last <= 10.0  # audio time, not bytes: the call lasts 9.98 s


async def test_file_type_unpaced_through_transcribe(engine: Any, shared_audio: Path) -> None:
    client = rt.AsyncClient(api_key=engine.api_key, url=engine.rt_url)
    got = capture(client)
    with (shared_audio / "config_demo.wav").open("rb") as handle:
        await client.transcribe(handle)  # the SDK's defaults: type "file", sent unpaced
    assert wer(references()["config_demo.wav"], got.final_text) <= 0.30, got.final_text
    assert not got.of("AddPartialTranscript")  # partials were not asked for
    check_finals(got)
    acks = [m["seq_no"] for m in got.of("AudioAdded")]
    assert acks == list(range(1, len(acks) + 1))


async def test_undecodable_file_audio(engine: Any) -> None:
    client = rt.AsyncClient(api_key=engine.api_key, url=engine.rt_url)
    got = capture(client)
    import io

    await client.transcribe(io.BytesIO(b"definitely not audio " * 2000))
    errors = got.of("Error")
    assert errors and errors[0]["type"] == "invalid_audio_type"
    assert "Could not determine type of stream" in errors[0]["reason"]


@pytest.mark.parametrize(
    ("config", "kind"),
    [
        ({"max_delay": 0.5}, "invalid_config"),
        ({"max_delay": 5}, "invalid_config"),
        ({"language": "xx"}, "invalid_language"),
    ],
    ids=["max-delay-low", "max-delay-high", "language"],
)
async def test_bad_config_raises_transcription_error(
    engine: Any, config: dict[str, Any], kind: str
) -> None:
    client = rt.AsyncClient(api_key=engine.api_key, url=engine.rt_url)
    got = capture(client)
    settings = {"language": "en", **config}
    with pytest.raises(rt.TranscriptionError):
        await client.start_session(transcription_config=rt.TranscriptionConfig(**settings))
    await client.close()
    assert got.of("Error")[0]["type"] == kind


async def test_eou_trigger_out_of_range(engine: Any) -> None:
    async with RawSession(engine) as raw:
        await raw.send(
            {
                "message": "StartRecognition",
                "audio_format": {"type": "raw", "encoding": "pcm_s16le", "sample_rate": 16000},
                "transcription_config": {
                    "language": "en",
                    "conversation_config": {"end_of_utterance_silence_trigger": 3},
                },
            }
        )
        error = await raw.expect("Error")
        assert error["type"] == "invalid_config"


async def test_wrong_key_is_refused_at_handshake(engine: Any) -> None:
    client = rt.AsyncClient(api_key="wrong", url=engine.rt_url)
    with pytest.raises(rt.ConnectionError, match="401"):
        await client.start_session(transcription_config=rt.TranscriptionConfig(language="en"))
    async with aiohttp.ClientSession() as session:
        async with session.post(
            engine.rt_url, headers={"Authorization": f"Bearer {engine.api_key}"}
        ) as r:
            assert r.status == 405
        async with session.ws_connect(f"{engine.rt_url}?jwt={engine.api_key}") as ws:
            await ws.send_json({"message": "EndOfStream", "last_seq_no": 0})
            assert (await ws.receive_json())["type"] == "protocol_error"


async def test_audio_before_start_is_a_protocol_error(engine: Any) -> None:
    async with RawSession(engine) as raw:
        assert raw.ws is not None
        await raw.ws.send_bytes(b"\x00\x00" * 100)
        error = await raw.expect("Error")
        assert error["type"] == "protocol_error"
        await raw.until_closed()
        assert raw.close_code == 1003


async def test_second_start_is_a_protocol_error(engine: Any) -> None:
    async with RawSession(engine) as raw:
        await raw.start()
        await raw.start() if False else await raw.send(
            {
                "message": "StartRecognition",
                "audio_format": {"type": "file"},
                "transcription_config": {"language": "en"},
            }
        )
        error = await raw.expect("Error")
        assert error["type"] == "protocol_error"
        await raw.until_closed()
        assert raw.close_code == 1003


@pytest.mark.parametrize("text", ["this is not json", '{"message": "Bogus"}', "[1, 2]"])
async def test_bad_text_frames_are_invalid_message(engine: Any, text: str) -> None:
    async with RawSession(engine) as raw:
        await raw.start()
        assert raw.ws is not None
        await raw.ws.send_str(text)
        assert (await raw.expect("Error"))["type"] == "invalid_message"


async def test_audio_after_end_of_stream_is_ignored(engine: Any) -> None:
    audio = pcm(SAMPLE)
    async with RawSession(engine) as raw:
        await raw.start()
        assert raw.ws is not None
        for offset in range(0, len(audio), 8000):
            await raw.ws.send_bytes(audio[offset : offset + 8000])
        await raw.send({"message": "EndOfStream", "last_seq_no": 3})  # the SDK's usual low value
        await raw.ws.send_bytes(b"\x00\x00" * 16000)
        await raw.ws.send_bytes(b"\x00\x00" * 16000)
        messages = await raw.until_closed()
    kinds = [m["message"] for m in messages]
    assert kinds.count("Warning") == 1
    assert next(m for m in messages if m["message"] == "Warning")["type"] == "add_audio_after_eos"
    assert kinds[-1] == "EndOfTranscript"
    acks = [m["seq_no"] for m in messages if m["message"] == "AudioAdded"]
    assert acks == list(range(1, len(range(0, len(audio), 8000)) + 1))
    text = "".join(m["metadata"]["transcript"] for m in messages if m["message"] == "AddTranscript")
    assert wer(SAMPLE.with_suffix(".txt").read_text(), text) <= 0.5  # every frame transcribed


async def test_end_of_stream_without_audio(engine: Any) -> None:
    async with RawSession(engine) as raw:
        await raw.start()
        started = time.monotonic()
        await raw.send({"message": "EndOfStream", "last_seq_no": 0})
        await raw.expect("EndOfTranscript")
        assert time.monotonic() - started < 5  # generous; the protocol asks for 1 s
        await raw.until_closed()
        assert raw.close_code == 1000


async def test_force_end_of_utterance(engine: Any, shared_audio: Path) -> None:
    audio = pcm(shared_audio / "hello.wav")[: 16000 * 2 * 3]
    async with RawSession(engine) as raw:
        await raw.start()
        assert raw.ws is not None
        for offset in range(0, len(audio), 3200):
            await raw.ws.send_bytes(audio[offset : offset + 3200])
        await raw.send({"message": "ForceEndOfUtterance", "timestamp": 3.0})
        forced = await raw.expect("AddTranscript")
        while not forced.get("forced"):
            forced = await raw.expect("AddTranscript")
        eou = await raw.expect("EndOfUtterance")
        assert eou.get("forced") is True
        assert eou["metadata"]["start_time"] == eou["metadata"]["end_time"]
        await raw.send({"message": "EndOfStream", "last_seq_no": 0})
        await raw.expect("EndOfTranscript")


def _with_pause(tmp_path: Path, shared_audio: Path) -> bytes:
    """Two sentences with a pause between them: speech ends at 3.0 s and starts again at 5.7 s."""
    return pcm(
        joined(
            tmp_path / "pause.wav", shared_audio / "meeting.wav", 1.0, shared_audio / "hello.wav"
        )
    )


async def test_end_of_utterance_after_a_pause(
    engine: Any, tmp_path: Path, shared_audio: Path
) -> None:
    audio = _with_pause(tmp_path, shared_audio)
    got = await stream(
        engine,
        audio,
        max_delay=1.0,
        conversation_config=rt.ConversationConfig(end_of_utterance_silence_trigger=0.5),
    )
    kinds = [
        m["message"] for _, m in got.messages if m["message"] in ("AddTranscript", "EndOfUtterance")
    ]
    eous = got.of("EndOfUtterance")
    assert len(eous) >= 1
    first = kinds.index("EndOfUtterance")
    assert "AddTranscript" in kinds[:first]  # after the final that ends the utterance
    assert all(e["metadata"]["start_time"] == e["metadata"]["end_time"] for e in eous)
    # exactly one for the pause: none between its final and the next words
    mid = [e for e in eous if 2.5 <= e["metadata"]["end_time"] <= 5.7]
    assert len(mid) == 1

    plain = await stream(engine, audio, paced=False, max_delay=1.0)
    assert not plain.of("EndOfUtterance")


async def test_set_recognition_config(engine: Any) -> None:
    async with RawSession(engine) as raw:
        await raw.start(max_delay=2.0)
        await raw.send(
            {"message": "SetRecognitionConfig", "transcription_config": {"max_delay": 1.0}}
        )
        await raw.send({"message": "EndOfStream", "last_seq_no": 0})
        messages = await raw.until_closed()
        assert [m["message"] for m in messages if m["message"] != "Info"] == ["EndOfTranscript"]
    async with RawSession(engine) as raw:
        await raw.start()
        await raw.send(
            {"message": "SetRecognitionConfig", "transcription_config": {"language": "de"}}
        )
        assert (await raw.expect("Error"))["type"] == "invalid_config"


async def test_partials_off_gives_none(engine: Any, shared_audio: Path) -> None:
    got = await stream(
        engine, pcm(shared_audio / "meeting.wav"), paced=False, enable_partials=False
    )
    assert got.of("AddTranscript") and not got.of("AddPartialTranscript")


async def test_sessions_and_jobs_at_once_all_complete(engine: Any, shared_audio: Path) -> None:
    from speechmatics.batch import AsyncClient

    async def batch_job() -> str:
        async with AsyncClient(api_key=engine.api_key, url=engine.batch_url) as client:
            transcript = await client.transcribe(
                str(shared_audio / "config_demo.wav"), min_polling_interval=0.2
            )
            return str(transcript.transcript_text)

    results = await asyncio.gather(
        stream(engine, pcm(shared_audio / "agent.wav"), max_delay=2.0),
        stream(engine, pcm(shared_audio / "customer.wav"), max_delay=2.0),
        batch_job(),
    )
    assert wer(references()["agent.wav"], results[0].final_text) <= 0.3
    assert wer(references()["customer.wav"], results[1].final_text) <= 0.3
    assert wer(references()["config_demo.wav"], results[2]) <= 0.25


async def test_pings_answered_during_long_decode(
    engine: Any, shared_audio: Path, tmp_path: Path
) -> None:
    from speechmatics.batch import AsyncClient

    long_audio = joined(tmp_path / "long.wav", *[shared_audio / "config_demo.wav"] * 6)
    async with AsyncClient(api_key=engine.api_key, url=engine.batch_url) as client:
        job = await client.submit_job(str(long_audio))
        async with RawSession(engine) as raw:
            await raw.start()
            assert raw.ws is not None
            for _ in range(5):
                await raw.ws.ping()
                await raw.ws.send_bytes(np.zeros(1600, dtype="<i2").tobytes())
                assert (await raw.expect("AudioAdded", timeout=10))["seq_no"] >= 1
            await raw.send({"message": "EndOfStream", "last_seq_no": 0})
            await raw.expect("EndOfTranscript", timeout=60)
        await client.delete_job(job.id, force=True)


async def test_session_limit_and_quota(tmp_path: Path) -> None:
    from tui.core.engine_process import start_engine
    from tui.settings import Settings

    limited = start_engine(
        Settings(data_dir=tmp_path / "limited"),
        ["--max-sessions", "1", "--max-session-seconds", "2"],
    )
    try:
        async with RawSession(limited) as first:
            await first.start()
            async with RawSession(limited) as second:
                await second.send(
                    {
                        "message": "StartRecognition",
                        "audio_format": {
                            "type": "raw",
                            "encoding": "pcm_s16le",
                            "sample_rate": 16000,
                        },
                        "transcription_config": {"language": "en"},
                    }
                )
                assert (await second.expect("Error"))["type"] == "quota_exceeded"
                await second.until_closed()
                assert second.close_code == 4005
            warning = await first.expect("Warning", timeout=10)
            assert warning["type"] == "session_timeout"
            assert (await first.expect("Error", timeout=10))["type"] == "session_timeout"
            await first.until_closed()
            assert first.close_code == 1008
    finally:
        limited.stop()
