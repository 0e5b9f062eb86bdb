"""Property-based: malformed messages and uploads never crash the engine; the next client is served."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import SAMPLE
from tests.integration.rt_helpers import RawSession

pytestmark = pytest.mark.engine
ERROR_TYPES = {
    "invalid_message",
    "protocol_error",
    "invalid_config",
    "invalid_audio_type",
    "invalid_language",
    "invalid_model",
    "quota_exceeded",
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
messages = st.one_of(
    st.text(max_size=200),
    json_values.map(json.dumps),
    st.fixed_dictionaries(
        {
            "message": st.sampled_from(
                ["StartRecognition", "EndOfStream", "AddAudio", "Bogus", "SetRecognitionConfig"]
            )
        },
        optional={
            "audio_format": json_values,
            "transcription_config": json_values,
            "last_seq_no": json_values,
        },
    ).map(json.dumps),
)
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


async def still_serves(engine: Any) -> None:
    """A well-formed session right after still works."""
    async with RawSession(engine) as raw:
        await raw.start()
        await raw.send({"message": "EndOfStream", "last_seq_no": 0})
        await raw.expect("EndOfTranscript", timeout=10)


@SETTINGS
@given(first=messages, second=st.one_of(messages, st.binary(max_size=64)))
async def test_malformed_messages_get_protocol_errors(
    engine: Any, first: str, second: str | bytes
) -> None:
    async with RawSession(engine) as raw:
        assert raw.ws is not None
        await raw.ws.send_str(first)
        if isinstance(second, bytes):
            await raw.ws.send_bytes(second)
        else:
            await raw.ws.send_str(second)
        await raw.send({"message": "EndOfStream", "last_seq_no": 0})
        replies = await raw.until_closed(timeout=10)
    for reply in replies:
        assert isinstance(reply, dict) and "message" in reply
        if reply["message"] == "Error":
            assert reply["type"] in ERROR_TYPES and reply["reason"]
    kinds = [r["message"] for r in replies]
    assert "Error" in kinds or "EndOfTranscript" in kinds  # every session ends with one of them
    await still_serves(engine)


@SETTINGS
@given(
    config=st.one_of(st.text(max_size=100), json_values.map(json.dumps)),
    data=st.binary(max_size=2000),
)
async def test_malformed_uploads_get_400(engine: Any, config: str, data: bytes) -> None:
    form = aiohttp.FormData()
    form.add_field("config", config, content_type="text/plain")
    form.add_field("data_file", data, filename="x.wav", content_type="audio/wav")
    headers = {"Authorization": f"Bearer {engine.api_key}"}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{engine.batch_url}/jobs", data=form, headers=headers) as response:
            assert response.status == 400
            body = await response.json()
            assert body["code"] == 400 and body["error"]
        good = aiohttp.FormData()
        good.add_field(
            "config",
            json.dumps({"type": "transcription", "transcription_config": {"language": "en"}}),
            content_type="text/plain",
        )
        good.add_field("data_file", SAMPLE.read_bytes(), filename="s.wav", content_type="audio/wav")
        async with session.post(f"{engine.batch_url}/jobs", data=good, headers=headers) as response:
            assert response.status == 201
            job_id = (await response.json())["id"]
        # the engine is shared by the whole run: leave it no work (its queue has a cap)
        url = f"{engine.batch_url}/jobs/{job_id}?force=true"
        async with session.delete(url, headers=headers) as response:
            assert response.status == 200
