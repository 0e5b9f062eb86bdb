"""Entities (issue #26): a recording with a date, a time and a sum of money, through the
official SDKs and the real model, gives ``entity`` results as Speechmatics writes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest
from speechmatics.batch import AsyncClient, JobConfig, JobType, TranscriptionConfig

from tests.integration.rt_helpers import pcm, stream

pytestmark = [pytest.mark.engine, pytest.mark.paced]

RECORDING = "config_demo.wav"  # "...Today is January 15th, 2025 at 3:30 p.m. ... $500 ..."


def entities(results: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Entity results by class."""
    out: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        if result["type"] == "entity":
            out.setdefault(result["entity_class"], []).append(result)
    return out


def contents(items: list[dict[str, Any]]) -> list[str]:
    return [item["alternatives"][0]["content"] for item in items]


async def test_a_batch_job_asking_for_entities_gets_them(engine: Any, shared_audio: Path) -> None:
    config = JobConfig(
        type=JobType.TRANSCRIPTION,
        transcription_config=TranscriptionConfig(
            language="en", model="standard", enable_entities=True
        ),
    )
    async with AsyncClient(api_key=engine.api_key, url=engine.batch_url) as batch:
        job = await batch.submit_job(str(shared_audio / RECORDING), config=config)
        transcript = await batch.wait_for_completion(job.id, polling_interval=0.5, timeout=300)
        # The SDK's model keeps the forms (not the class): read the class from the JSON itself.
        async with aiohttp.ClientSession() as http:
            url = f"{engine.batch_url}/jobs/{job.id}/transcript?format=json-v2"
            headers = {"Authorization": f"Bearer {engine.api_key}"}
            async with http.get(url, headers=headers) as response:
                raw = await response.json()
    sdk_entities = [r for r in transcript.results if r.type == "entity"]
    assert sdk_entities and all(r.spoken_form and r.written_form for r in sdk_entities)
    found = entities(raw["results"])
    assert {"date", "money"} <= set(found), found.keys()
    date = found["date"][0]
    assert "January" in date["alternatives"][0]["content"]
    assert "fifteenth" in contents(date["spoken_form"])
    assert any("hundred" in contents(m["spoken_form"]) for m in found["money"])
    # The text is the same as without entities: the entity reads as its written form.
    assert "January 15" in transcript.transcript_text


async def test_real_time_gives_entities_unless_turned_off(engine: Any, shared_audio: Path) -> None:
    """As the real-time API documents, ``enable_entities`` is on unless a client turns it off."""
    audio = pcm(shared_audio / RECORDING)
    on = await stream(engine, audio, paced=False, model="standard")
    results = [r for m in on.of("AddTranscript") for r in m["results"]]
    found = entities(results)
    assert {"date", "money"} & set(found), (found.keys(), on.final_text)
    for items in found.values():
        for entity in items:
            assert entity["spoken_form"] and entity["written_form"]
            assert entity["start_time"] <= entity["end_time"]
    off = await stream(engine, audio, paced=False, model="standard", enable_entities=False)
    assert not [r for m in off.of("AddTranscript") for r in m["results"] if r["type"] == "entity"]
