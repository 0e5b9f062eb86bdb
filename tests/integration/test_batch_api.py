"""The unmodified speechmatics-batch client against the real local engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest
from speechmatics.batch import (
    AsyncClient,
    AuthenticationError,
    BatchError,
    FormatType,
    JobError,
    JobStatus,
    TranscriptNotReadyError,
)

from tests.helpers import SAMPLE, joined, references, transcribe_then_expire, wer, write_wav

pytestmark = pytest.mark.engine
RECORDINGS = ["meeting.wav", "hello.wav", "config_demo.wav", "agent.wav", "customer.wav"]


def client(engine: Any, key: str | None = None) -> AsyncClient:
    return AsyncClient(api_key=key or engine.api_key, url=engine.batch_url)


@pytest.mark.parametrize("name", RECORDINGS)
async def test_recordings_transcribe_within_wer(engine: Any, shared_audio: Path, name: str) -> None:
    async with client(engine) as batch:
        transcript = await batch.transcribe(str(shared_audio / name), min_polling_interval=0.1)
    assert wer(references()[name], transcript.transcript_text) <= 0.25, transcript.transcript_text
    assert transcript.results[0].alternatives[0].language == "en"


async def test_txt_and_srt_follow_the_rules(engine: Any) -> None:
    async with client(engine) as batch:
        job = await batch.submit_job(str(SAMPLE))
        await batch.wait_for_completion(job.id, polling_interval=0.5)
        txt = await batch.get_transcript(job.id, format_type=FormatType.TXT)
        srt = await batch.get_transcript(job.id, format_type=FormatType.SRT)
    assert isinstance(txt, str) and txt.endswith("\n")
    assert wer(SAMPLE.with_suffix(".txt").read_text(), txt) <= 0.25
    assert isinstance(srt, str)
    first = srt.split("\n\n")[0].splitlines()
    assert first[0] == "1"
    assert first[1].startswith("00:00:0") and " --> " in first[1]
    assert all(len(line) <= 37 for block in srt.split("\n\n") for line in block.splitlines()[2:])


async def test_srt_overrides_change_wrapping(engine: Any, shared_audio: Path) -> None:
    from speechmatics.batch import JobConfig, JobType, OutputConfig, TranscriptionConfig

    config = JobConfig(
        type=JobType.TRANSCRIPTION,
        transcription_config=TranscriptionConfig(language="en"),
        output_config=OutputConfig(srt_overrides={"max_line_length": 12, "max_lines": 1}),
    )
    async with client(engine) as batch:
        job = await batch.submit_job(str(shared_audio / "config_demo.wav"), config=config)
        await batch.wait_for_completion(job.id, polling_interval=0.5)
        srt = await batch.get_transcript(job.id, format_type=FormatType.SRT)
    blocks = [b.splitlines() for b in srt.strip().split("\n\n")]
    assert all(len(b) == 3 for b in blocks), srt
    assert max(len(b[2]) for b in blocks) <= 16  # a long word may stand alone, plus its mark


async def test_lifecycle_list_delete_and_not_ready(
    engine: Any, tmp_path: Path, shared_audio: Path
) -> None:
    long_audio = joined(tmp_path / "long.wav", *[shared_audio / "config_demo.wav"] * 4)
    async with client(engine) as batch:
        first = await batch.submit_job(str(SAMPLE))
        running = await batch.submit_job(str(long_audio))
        jobs = await batch.list_jobs(limit=5)
        assert [j.id for j in jobs[:2]] == [running.id, first.id]
        with pytest.raises(TranscriptNotReadyError):
            await batch.get_transcript(running.id)
        with pytest.raises(JobError, match="running"):
            await batch.delete_job(running.id)
        await batch.delete_job(running.id, force=True)
        info = await batch.get_job_info(running.id)
        assert info.status == JobStatus.DELETED
        with pytest.raises((TranscriptNotReadyError, JobError)):
            await batch.get_transcript(running.id)
        with pytest.raises(JobError):
            await batch.get_job_info("nosuchjob0")
        done = await batch.wait_for_completion(first.id, polling_interval=0.5)
        assert done.transcript_text


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"this is not audio at all, just text", "invalid audio"), (b"", "invalid audio")],
    ids=["non-audio", "empty"],
)
async def test_bad_uploads_are_rejected(
    engine: Any, tmp_path: Path, content: bytes, message: str
) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(content)
    async with client(engine) as batch:
        with pytest.raises(BatchError, match=message):
            await batch.submit_job(str(bad))
        # the engine carries on serving
        job = await batch.submit_job(str(SAMPLE))
        assert (await batch.wait_for_completion(job.id, polling_interval=0.5)).transcript_text


async def test_unknown_language_is_rejected(engine: Any) -> None:
    from speechmatics.batch import TranscriptionConfig

    async with client(engine) as batch:
        with pytest.raises(BatchError, match="Language not supported"):
            await batch.submit_job(
                str(SAMPLE), transcription_config=TranscriptionConfig(language="xx")
            )


async def _post(
    engine: Any, form: aiohttp.FormData, key: str | None = None
) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {key or engine.api_key}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{engine.batch_url}/jobs", data=form, headers=headers) as response,
    ):
        return response.status, await response.json()


@pytest.mark.parametrize(
    ("config", "with_file", "error"),
    [
        ("{not json", True, "Job config JSON is invalid"),
        (None, True, "Missing config"),
        (
            json.dumps({"type": "transcription", "transcription_config": {"language": "en"}}),
            False,
            "Missing data_file",
        ),
        (
            json.dumps(
                {
                    "type": "transcription",
                    "transcription_config": {"language": "en"},
                    "fetch_data": {"url": "http://127.0.0.1:1/a.wav"},
                }
            ),
            True,
            "not both",
        ),
        (json.dumps({"type": "transcription", "transcription_config": {}}), True, "No language"),
        (
            json.dumps(
                {"type": "transcription", "transcription_config": {"language": "en", "bogus": 1}}
            ),
            True,
            "unknown transcription_config key",
        ),
    ],
    ids=[
        "malformed-json",
        "missing-config",
        "no-file",
        "file-and-fetch",
        "no-language",
        "unknown-key",
    ],
)
async def test_malformed_submissions_get_400(
    engine: Any, config: str | None, with_file: bool, error: str
) -> None:
    form = aiohttp.FormData()
    if config is not None:
        form.add_field("config", config, content_type="text/plain; charset=utf-8")
    if with_file:
        form.add_field(
            "data_file", SAMPLE.read_bytes(), filename="audio.wav", content_type="audio/wav"
        )
    status, body = await _post(engine, form)
    assert status == 400
    assert error in json.dumps(body)
    assert body["code"] == 400


async def test_wrong_key_gets_401_everywhere(engine: Any) -> None:
    async with client(engine, key="wrong-key") as batch:
        with pytest.raises(AuthenticationError):
            await batch.submit_job(str(SAMPLE))
        with pytest.raises(AuthenticationError):
            await batch.list_jobs()
        with pytest.raises(AuthenticationError):
            await batch.get_job_info("abcdefghij")
        with pytest.raises(AuthenticationError):
            await batch.get_transcript("abcdefghij")
        with pytest.raises(AuthenticationError):
            await batch.delete_job("abcdefghij")
    async with aiohttp.ClientSession() as session:
        for path in ("/jobs", "/jobs/abcdefghij/log", "/usage"):
            async with session.get(engine.batch_url + path) as response:
                assert response.status == 401


async def test_oversized_upload_is_rejected(small_uploads: Any, tmp_path: Path) -> None:
    big = write_wav(tmp_path / "big.wav", 0.5 * np.sin(np.arange(40 * 16000) / 3))
    async with client(small_uploads) as batch:
        with pytest.raises(BatchError, match=r"(upload limit|413|400)"):
            await batch.submit_job(str(big))
        job = await batch.submit_job(str(SAMPLE))
        assert (await batch.wait_for_completion(job.id, polling_interval=0.5)).transcript_text


async def test_jobs_expire_after_retention(tmp_path: Path) -> None:

    from tui.core.engine_process import start_engine
    from tui.settings import Settings

    short = start_engine(Settings(data_dir=tmp_path / "short"), ["--retention", "1"])
    try:
        async with client(short) as batch:
            await transcribe_then_expire(batch)
        assert not list((tmp_path / "short" / "engine").glob("*.upload"))  # its audio is gone
    finally:
        short.stop()
