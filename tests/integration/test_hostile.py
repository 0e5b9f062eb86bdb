"""The engine under hostile input, idle clients and shutdowns (issue #9).

Every case runs against the real engine on loopback, each with its own engine where limits
are shortened, and checks memory from /proc: VmHWM is the process's peak resident memory.
Loops are bounded in count and time, and only loopback is ever addressed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import time
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest
from aiohttp import web
from speechmatics.batch import AsyncClient, BatchError, JobStatus, TranscriptionConfig

from tests.helpers import SAMPLE, joined, quick_engine, references, wer, write_wav
from tests.integration.rt_helpers import RawSession, pcm

pytestmark = pytest.mark.engine
MB = 1024 * 1024


def memory(engine: Any) -> tuple[int, int]:
    """(resident, peak resident) bytes of an engine child, from /proc."""
    fields = {}
    for line in Path(f"/proc/{engine.process.pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024


async def logged(engine: Any, text: str, timeout: float) -> bool:
    """Whether ``text`` reaches the engine's log within ``timeout`` seconds: the engine's output
    is copied there by a thread of this process, so a line can land after the reply."""
    deadline = time.monotonic() + timeout
    while text not in engine.log_path.read_text(encoding="utf-8"):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """An engine with short limits: 2 s to start, 3 s of idleness, 4 unstarted sockets. The
    tests sharing it each close what they open."""
    engine = quick_engine(
        tmp_path_factory.mktemp("strict"),
        "--start-timeout",
        "2",
        "--idle-seconds",
        "3",
        "--max-sessions",
        "2",
    )
    yield engine
    engine.stop()


def batch_client(engine: Any) -> AsyncClient:
    return AsyncClient(api_key=engine.api_key, url=engine.batch_url)


async def post_job(engine: Any, config: Any, audio: bytes | None = None) -> tuple[int, Any]:
    form = aiohttp.FormData(default_to_multipart=True)  # as the SDK sends it, file or not
    form.add_field("config", config if isinstance(config, str) else json.dumps(config))
    if audio is not None:
        form.add_field("data_file", audio, filename="a.wav", content_type="audio/wav")
    headers = {"Authorization": f"Bearer {engine.api_key}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{engine.batch_url}/jobs", data=form, headers=headers) as response,
    ):
        return response.status, await response.json()


def silence_flac(path: Path, seconds: float) -> Path:
    """A FLAC of digital silence: tiny on disk, long in time."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("flac", rate=16000, layout="mono")
        block = np.zeros((1, 16000), dtype=np.int16)
        for index in range(int(seconds)):
            frame = av.AudioFrame.from_ndarray(block, format="s16", layout="mono")
            frame.sample_rate, frame.pts = 16000, index * 16000
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def wav_at(path: Path, rate: int, samples: int = 10_000) -> Path:
    """A WAV whose header claims ``rate`` Hz."""
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(np.zeros(samples, dtype="<i2").tobytes())
    return path


GOOD = {"type": "transcription", "transcription_config": {"language": "en"}}


# --- memory is bounded whatever the input --------------------------------------------------


@pytest.mark.parametrize("rate", [1, 7999, 96000])
async def test_raw_rates_outside_8_to_48_khz_are_refused(engine: Any, rate: int) -> None:
    async with RawSession(engine) as raw:
        await raw.send(
            {
                "message": "StartRecognition",
                "audio_format": {"type": "raw", "encoding": "mulaw", "sample_rate": rate},
                "transcription_config": {"language": "en"},
            }
        )
        error = await raw.expect("Error")
        assert error["type"] == "invalid_audio_type" and "8000" in error["reason"]


async def test_a_1_hz_wav_upload_is_refused_without_growing(engine: Any, tmp_path: Path) -> None:
    before, _ = memory(engine)
    status, body = await post_job(engine, GOOD, wav_at(tmp_path / "one.wav", 1).read_bytes())
    assert status == 400 and "sample rate is 1 Hz" in body["detail"], body
    after, _ = memory(engine)
    assert after - before < 50 * MB


async def test_hours_of_silence_stream_through_in_bounded_memory(tmp_path: Path) -> None:
    """Half an hour of silence: the old engine decoded it whole (×2 in features) first."""
    flac = silence_flac(tmp_path / "silence.flac", 30 * 60)
    assert flac.stat().st_size < 2 * MB
    engine = quick_engine(tmp_path / "long")
    try:
        async with batch_client(engine) as batch:  # the model the SDK asks for, loaded first
            await batch.transcribe(str(SAMPLE), min_polling_interval=0.2)
        _, base_peak = memory(engine)
        async with batch_client(engine) as batch:
            job = await batch.submit_job(str(flac))
            done = await batch.wait_for_completion(job.id, polling_interval=0.5, timeout=300)
        assert done.transcript_text.strip() == ""
        _, peak = memory(engine)
        assert peak < 1024 * MB and peak - base_peak < 150 * MB, (base_peak, peak)
    finally:
        engine.stop()


async def test_audio_longer_than_the_limit_is_refused(tmp_path: Path) -> None:
    engine = quick_engine(tmp_path / "short", "--max-audio-hours", "0.005")  # 18 s
    try:
        status, body = await post_job(
            engine, GOOD, silence_flac(tmp_path / "s.flac", 60).read_bytes()
        )
        assert status == 400 and "at most 0.005 h" in body["detail"], body
        status, _ = await post_job(engine, GOOD, SAMPLE.read_bytes())
        assert status == 201
    finally:
        engine.stop()


async def test_a_small_file_holding_an_hour_is_decoded_only_as_fast_as_it_is_used(
    engine: Any, tmp_path: Path
) -> None:
    """type:file with a compressed hour of silence: backpressure, not an hour in memory."""
    data = silence_flac(tmp_path / "hour.flac", 3600).read_bytes()
    before, _ = memory(engine)
    async with RawSession(engine) as raw:
        await raw.send(
            {
                "message": "StartRecognition",
                "audio_format": {"type": "file"},
                "transcription_config": {"language": "en"},
            }
        )
        await raw.expect("RecognitionStarted")
        assert raw.ws is not None
        for offset in range(0, len(data), 64 * 1024):
            await asyncio.wait_for(raw.ws.send_bytes(data[offset : offset + 64 * 1024]), 30)
        await asyncio.sleep(1.0)  # let a decoder that ignores backpressure run ahead
        grown = memory(engine)[0] - before
    assert grown < 100 * MB, grown / MB  # an hour of float32 at 16 kHz is 230 MB


async def test_a_client_that_never_reads_is_cut_off(engine: Any) -> None:
    assert "EndOfTranscript" in await _short_session(engine)  # a session's one-off costs paid
    # The enhanced model loads in the background after the engine is ready (about 250 MB):
    # beside a CPU hog it was still loading here, and counted as growth (248 MB).
    await logged(engine, "enhanced model base loaded", 120)
    before, _ = memory(engine)
    async with RawSession(engine) as raw:
        await raw.start()
        assert raw.ws is not None
        ws = raw.ws

        async def flood() -> None:
            # Never read again: every frame earns an AudioAdded the client leaves unread. The
            # kernel's socket buffers swallow the first ten megabytes or so (200,000 frames
            # fitted there in some runs), so send until the engine drops the connection (the
            # waits below bound the time; the count only bounds the loop).
            for sent in range(100_000_000):
                await ws.send_bytes(b"\x00\x00")
                if sent % 1000 == 0:
                    await asyncio.sleep(0)

        flooding = asyncio.create_task(flood())
        try:
            cut_off = await logged(engine, "not reading", 180)
            assert cut_off, "the engine kept buffering for a silent reader"
            # …and drops the connection: a close frame would wait behind the unread replies
            # for ever, and the socket stayed open with 28 MB unread in the kernel.
            done, _ = await asyncio.wait({flooding}, timeout=60)
            assert done, "the connection stayed open after the cut-off"
            assert isinstance(flooding.exception(), ConnectionError)
        finally:
            flooding.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await asyncio.wait_for(flooding, 10)
        grown = memory(engine)[0] - before
    assert grown < 150 * MB, grown / MB


# --- a clean stop loses nothing ------------------------------------------------------------


# What is tested is the job's life, not the model: the faster one transcribes it.
QUICK = TranscriptionConfig(language="en", model="standard")


def long_talk(tmp_path: Path, shared_audio: Path) -> tuple[Path, str]:
    names = ["agent.wav", "customer.wav", "config_demo.wav", "hello.wav", "agent.wav"]
    refs = references()
    path = joined(tmp_path / "long.wav", *[shared_audio / n for n in names])
    return path, " ".join(refs[n] for n in names)


@pytest.mark.parametrize("how", ["SIGTERM", "stdin EOF"])
async def test_a_clean_stop_mid_job_finishes_it_after_restart(
    tmp_path: Path, shared_audio: Path, how: str
) -> None:
    audio, reference = long_talk(tmp_path, shared_audio)
    data = tmp_path / "engine"
    first = quick_engine(data)
    async with batch_client(first) as batch:
        job = await batch.submit_job(str(audio), transcription_config=QUICK)
        await asyncio.sleep(1.0)  # inside the transcription (it takes several seconds)
        assert (await batch.get_job_info(job.id)).status == JobStatus.RUNNING
    if how == "SIGTERM":
        first.process.send_signal(signal.SIGTERM)
    else:
        assert first.process.stdin is not None
        first.process.stdin.close()
    assert first.process.wait(30) is not None
    second = quick_engine(data)
    try:
        async with batch_client(second) as batch:
            done = await batch.wait_for_completion(job.id, polling_interval=0.5, timeout=300)
        assert wer(reference, done.transcript_text) <= 0.3, done.transcript_text
    finally:
        second.stop()


async def test_a_job_the_engine_dies_under_twice_is_failed_not_retried_forever(
    tmp_path: Path, shared_audio: Path
) -> None:
    audio, _ = long_talk(tmp_path, shared_audio)
    data = tmp_path / "engine"
    engine = quick_engine(data)
    async with batch_client(engine) as batch:
        job_id = (await batch.submit_job(str(audio), transcription_config=QUICK)).id
    for _ in range(2):
        await asyncio.sleep(1.0)  # running (restored and restarted after the first kill)
        engine.process.kill()
        engine.process.wait(10)
        engine = quick_engine(data)
    try:
        async with batch_client(engine) as batch:
            info = await batch.get_job_info(job_id)
        assert info.status == JobStatus.REJECTED
        assert "stopped unexpectedly twice" in info.errors[-1].message
    finally:
        engine.stop()


async def test_leftovers_are_cleared_and_old_records_purged(tmp_path: Path) -> None:
    data = tmp_path / "engine"
    (data / "engine").mkdir(parents=True)
    orphan = data / "engine" / "abandoned.upload"
    orphan.write_bytes(b"half an upload")
    engine = quick_engine(data, "--retention", "1")
    try:
        assert not orphan.exists()
        async with batch_client(engine) as batch:
            job = await batch.submit_job(str(SAMPLE), transcription_config=QUICK)
            await batch.wait_for_completion(job.id, polling_interval=0.2)
            record = data / "engine" / f"{job.id}.job.json"
            assert record.exists()
            deadline = time.monotonic() + 30
            while record.exists() and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
        assert not record.exists()  # the record too, not only the transcript
    finally:
        engine.stop()


# --- timeouts and limits -------------------------------------------------------------------


async def test_sockets_that_never_start_are_closed(strict: Any) -> None:
    async with RawSession(strict) as raw:
        started = time.monotonic()
        error = await raw.expect("Error", timeout=20)
        assert error["type"] == "idle_timeout" and "StartRecognition" in error["reason"]
        await raw.until_closed(timeout=20)
        assert time.monotonic() - started < 10
        assert raw.close_code == 1008


async def test_a_silent_session_is_warned_then_closed(strict: Any) -> None:
    async with RawSession(strict) as raw:
        await raw.start()
        warning = await raw.expect("Warning", timeout=20)
        assert warning["type"] == "idle_timeout" and "inactivity" in warning["reason"]
        error = await raw.expect("Error", timeout=20)
        assert error["type"] == "idle_timeout"
        await raw.until_closed(timeout=20)
        assert raw.close_code == 1008


async def test_silent_and_half_open_connections_are_dropped(strict: Any) -> None:
    port = int(strict.batch_url.split(":")[2].split("/")[0])
    silent = socket.create_connection(("127.0.0.1", port))
    half = socket.create_connection(("127.0.0.1", port))
    half.sendall(b"GET /v2/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the rest
    for sock in (silent, half):
        sock.settimeout(20)
        started = time.monotonic()
        assert sock.recv(100) == b""  # closed by the engine
        assert time.monotonic() - started < 10
        sock.close()


async def test_idle_sockets_cannot_lock_out_real_clients(strict: Any) -> None:
    """Unstarted sockets do not take session slots; past a cap they are refused."""
    opened = []
    try:
        for _ in range(2):  # as many as --max-sessions: they would have filled it before
            raw = RawSession(strict)
            await raw.__aenter__()
            opened.append(raw)
        status, _ = await post_job(strict, GOOD, SAMPLE.read_bytes())
        assert status == 201
        got = await _short_session(strict)
        assert "EndOfTranscript" in got
    finally:
        for raw in opened:
            await raw.__aexit__()


async def test_connection_floods_are_capped(strict: Any) -> None:
    """300 silent connections: past 256 they are closed at once; real clients still get in."""
    port = int(strict.batch_url.split(":")[2].split("/")[0])
    flood = [socket.create_connection(("127.0.0.1", port)) for _ in range(300)]
    try:
        await asyncio.sleep(0.5)
        refused = 0
        for sock in flood[256:]:
            sock.settimeout(5)
            refused += sock.recv(10) == b""
        assert refused == 44
    finally:
        for sock in flood:
            sock.close()
    await asyncio.sleep(0.5)
    status, _ = await post_job(strict, GOOD, SAMPLE.read_bytes())
    assert status == 201
    log = strict.log_path.read_text(encoding="utf-8")
    assert log.count("refusing connections") <= 2  # said, not flooded


async def test_unstarted_websockets_are_capped(strict: Any) -> None:
    opened = []
    try:
        for _ in range(16):
            raw = RawSession(strict)
            await raw.__aenter__()
            opened.append(raw)
        headers = {"Authorization": f"Bearer {strict.api_key}"}
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(strict.rt_url, headers=headers)
        assert refused.value.status == 503
    finally:
        for raw in opened:
            await raw.__aexit__()


async def test_a_stalled_upload_is_cut_off(strict: Any) -> None:
    port = int(strict.batch_url.split(":")[2].split("/")[0])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /v2/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Authorization: Bearer " + strict.api_key.encode() + b"\r\n"
        b"Content-Type: multipart/form-data; boundary=XX\r\nContent-Length: 1000000\r\n\r\n"
        b'--XX\r\nContent-Disposition: form-data; name="data_file"; filename="a.wav"\r\n\r\n'
        + b"\x00"
        * 1000
    )
    await writer.drain()
    started = time.monotonic()
    answer = await asyncio.wait_for(reader.read(200), timeout=20)  # and never the rest
    writer.close()
    assert answer.startswith(b"HTTP/1.1 408") or answer == b"", answer
    assert time.monotonic() - started < 10


async def _short_session(engine: Any) -> list[str]:
    async with RawSession(engine) as raw:
        await raw.start()
        assert raw.ws is not None
        await raw.ws.send_bytes(pcm(SAMPLE)[: 16000 * 2])
        await raw.send({"message": "EndOfStream", "last_seq_no": 1})
        return [m["message"] for m in await raw.until_closed(timeout=60)]


async def test_too_many_unfinished_jobs_get_429(tmp_path: Path, shared_audio: Path) -> None:
    audio, _ = long_talk(tmp_path, shared_audio)
    engine = quick_engine(tmp_path / "busy", "--max-queued-jobs", "1")
    try:
        status, _ = await post_job(engine, GOOD, audio.read_bytes())
        assert status == 201
        form = aiohttp.FormData()
        form.add_field("config", json.dumps(GOOD))
        form.add_field("data_file", SAMPLE.read_bytes(), filename="a.wav")
        headers = {"Authorization": f"Bearer {engine.api_key}"}
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{engine.batch_url}/jobs", data=form, headers=headers) as response,
        ):
            assert response.status == 429 and response.headers["Retry-After"] == "10"
    finally:
        engine.stop()


# --- configs are validated at submit -------------------------------------------------------


def nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"output_config": "x"}, "output_config must be an object"),
        ({"tracking": "abc"}, "tracking must be an object"),
        (
            {"output_config": {"srt_overrides": {"max_lines": "two"}}},
            "output_config.srt_overrides.max_lines",
        ),
        ({"notification_config": [{"url": 5}]}, "notification_config[0].url"),
        ({"tracking": {"tags": nested(500)}}, "nests deeper"),
        ({"tracking": {"details": {"deep": "DEEP"}}}, "nests"),
        (
            {
                "transcription_config": {
                    "language": "en",
                    "speaker_diarization_config": {"speaker_sensitivity": 7},
                }
            },
            "speaker_sensitivity must be between 0 and 1",
        ),
        (
            {
                "transcription_config": {
                    "language": "en",
                    "additional_vocab": [{"sounds_like": ["x"]}, 3],
                }
            },
            "additional_vocab[1] must be an object",
        ),
    ],
    ids=[
        "output-config",
        "tracking",
        "srt-overrides",
        "notification",
        "deep-500",
        "deep-990",
        "sensitivity",
        "vocab",
    ],
)
async def test_bad_configs_are_400_naming_the_field(engine: Any, change: Any, named: str) -> None:
    # 990 levels are more than Python's own json.dumps will write, so that one is spliced in
    text = json.dumps({**GOOD, **change}).replace('"DEEP"', "[" * 990 + "]" * 990)
    status, body = await post_job(engine, text, SAMPLE.read_bytes())
    assert status == 400 and named in body["detail"], body
    async with batch_client(engine) as batch:
        assert isinstance(await batch.list_jobs(), list)  # every client can still list


async def test_absurd_json_over_the_websocket_is_an_error_message(engine: Any) -> None:
    for message in (
        {
            "message": "StartRecognition",
            "audio_format": {"type": "raw"},
            "transcription_config": nested(900),
        },
        {
            "message": "StartRecognition",
            "audio_format": nested(5),
            "transcription_config": {"language": "en"},
        },
        {
            "message": "StartRecognition",
            "audio_format": {"type": "raw", "encoding": "pcm_s16le", "sample_rate": 16000},
            "transcription_config": {"language": "en", "conversation_config": "loud"},
        },
    ):
        async with RawSession(engine) as raw:
            await raw.send(message)
            replies = await raw.until_closed(timeout=20)
        assert replies and replies[-1]["message"] == "Error", replies
        assert replies[-1]["type"] in ("invalid_message", "invalid_config", "invalid_audio_type")


# --- fetch_data ----------------------------------------------------------------------------


@pytest.fixture
async def web_server() -> AsyncIterator[str]:
    """A loopback server: a redirect to loopback, a slow answer, and the sample."""

    async def redirect(_: web.Request) -> web.Response:
        raise web.HTTPFound("http://127.0.0.1:1/secret")

    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(12)  # past the engine's 10 s between reads
        return web.Response(body=SAMPLE.read_bytes())

    async def sample(_: web.Request) -> web.Response:
        return web.Response(body=SAMPLE.read_bytes())

    app = web.Application()
    app.router.add_get("/redirect.wav", redirect)
    app.router.add_get("/slow.wav", slow)
    app.router.add_get("/sample.wav", sample)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_fetch_data_fails_the_same_way_whatever_went_wrong(
    strict: Any, web_server: str
) -> None:
    details = []
    started = time.monotonic()
    for url in (
        f"{web_server}/redirect.wav",
        "http://127.0.0.1:1/closed.wav",
        f"{web_server}/missing.wav",
        f"{web_server}/slow.wav",
    ):
        status, body = await post_job(strict, {**GOOD, "fetch_data": {"url": url}})
        assert status == 400, body
        details.append(body["detail"])
    assert len(set(details)) == 1, details  # no port-scan oracle
    assert time.monotonic() - started < 25  # the slow server is not waited for
    status, body = await post_job(
        strict, {**GOOD, "fetch_data": {"url": f"{web_server}/sample.wav"}}
    )
    assert status == 201, body


# --- small hardening -----------------------------------------------------------------------


async def test_client_text_cannot_forge_log_lines(engine: Any) -> None:
    async with RawSession(engine) as raw:
        await raw.send({"message": "StartRecognition\n2026-01-01 INFO forged line \x1b[31m"})
        await raw.until_closed(timeout=20)
    assert await logged(engine, "forged line", 20)
    log = engine.log_path.read_text(encoding="utf-8")
    assert not any(line.startswith("2026-01-01 INFO forged") for line in log.splitlines())
    assert "\x1b" not in log


async def test_bearer_is_case_insensitive(engine: Any) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{engine.batch_url}/jobs", headers={"Authorization": f"bearer {engine.api_key}"}
        ) as response,
    ):
        assert response.status == 200


async def test_translation_gets_a_warning_not_silence(engine: Any) -> None:
    async with RawSession(engine) as raw:
        await raw.send(
            {
                "message": "StartRecognition",
                "audio_format": {"type": "raw", "encoding": "pcm_s16le", "sample_rate": 16000},
                "transcription_config": {"language": "en"},
                "translation_config": {"target_languages": ["de"]},
            }
        )
        warning = await raw.expect("Warning")
        assert warning["type"] == "unsupported_translation_pair" and "de" in warning["reason"]
    status, body = await post_job(
        engine, {**GOOD, "translation_config": {"target_languages": ["fr"]}}, SAMPLE.read_bytes()
    )
    assert status == 201
    async with batch_client(engine) as batch:
        await batch.wait_for_completion(body["id"], polling_interval=0.2)
    headers = {"Authorization": f"Bearer {engine.api_key}"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{engine.batch_url}/jobs/{body['id']}/transcript", headers=headers
        ) as response,
    ):
        metadata = (await response.json())["metadata"]
    assert metadata["translation_errors"][0]["type"] == "unsupported_translation_pair"


def test_the_dashboards_engine_key_is_not_on_its_command_line(engine: Any) -> None:
    cmdline = Path(f"/proc/{engine.process.pid}/cmdline").read_bytes()
    assert engine.api_key.encode() not in cmdline


async def test_batch_sdk_still_rejects_upload_errors_clearly(engine: Any, tmp_path: Path) -> None:
    low = write_wav(tmp_path / "low.wav", np.zeros(100), rate=4000)
    async with batch_client(engine) as batch:
        with pytest.raises(BatchError, match="sample rate is 4000 Hz"):
            await batch.submit_job(str(low))
