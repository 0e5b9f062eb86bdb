"""Audio intelligence (issue #26): a batch job asking for a summary, sentiment, topics and
chapters gets each one, in the shapes the batch SDK reads, made on this machine and said to be
an approximation; what cannot be made is a stated error, never a silence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from speechmatics.batch import (
    AsyncClient,
    AutoChaptersConfig,
    JobConfig,
    JobType,
    SentimentAnalysisConfig,
    SummarizationConfig,
    TopicDetectionConfig,
    TranscriptionConfig,
)

from tests.standin import tone_file

pytestmark = pytest.mark.engine

ASKED = ("summarization", "sentiment_analysis", "topic_detection", "auto_chapters")


def everything(language: str = "en", model: str = "standard", **summary: Any) -> JobConfig:
    return JobConfig(
        type=JobType.TRANSCRIPTION,
        transcription_config=TranscriptionConfig(language=language, model=model),
        summarization_config=SummarizationConfig(**summary),
        sentiment_analysis_config=SentimentAnalysisConfig(),
        topic_detection_config=TopicDetectionConfig(),
        auto_chapters_config=AutoChaptersConfig(),
    )


async def transcribe(engine: Any, audio: Path, config: JobConfig) -> Any:
    async with AsyncClient(api_key=engine.api_key, url=engine.batch_url) as batch:
        job = await batch.submit_job(str(audio), config=config)
        return await batch.wait_for_completion(job.id, polling_interval=0.5, timeout=300)


async def test_a_summary_sentiment_topics_and_chapters_as_the_sdk_reads_them(
    engine: Any, shared_audio: Path
) -> None:
    """On a real recording and the real model, read as the Speechmatics Academy's audio
    intelligence example reads them."""
    transcript = await transcribe(
        engine, shared_audio / "config_demo.wav", everything(summary_type="bullets")
    )
    segments = transcript.sentiment_analysis["segments"]
    assert segments and {s["sentiment"] for s in segments} <= {"positive", "negative", "neutral"}
    assert all(0 <= s["confidence"] <= 1 and s["start_time"] <= s["end_time"] for s in segments)
    overall = transcript.sentiment_analysis["summary"]["overall"]
    assert sum(overall.values()) == len(segments)
    topics = transcript.topics["summary"]["overall"]
    assert [t for t, n in topics.items() if n > 0], topics
    assert all("topics" in s for s in transcript.topics["segments"])
    bullets = transcript.summary["content"].splitlines()
    assert bullets and all(b.startswith("- ") for b in bullets)
    assert all(b[2:] in transcript.transcript_text for b in bullets)  # extractive: its sentences
    chapter = transcript.chapters[0]
    assert chapter["title"] and chapter["summary"] and chapter["end_time"] > chapter["start_time"]
    notes = transcript.metadata.__dict__.get("sm_tui_approximations") or {}
    errors = [getattr(transcript.metadata, f"{name}_errors", None) for name in ASKED]
    assert errors == [None] * 4
    assert notes == {} or set(notes) == set(ASKED)  # the SDK's model may drop our note


async def test_each_feature_made_says_it_is_a_local_approximation(
    standin: Any, tmp_path: Path
) -> None:
    import aiohttp

    audio = tone_file(tmp_path / "intel.wav", ["alpha bravo charlie", "delta echo"])
    async with AsyncClient(api_key=standin.api_key, url=standin.batch_url) as batch:
        job = await batch.submit_job(str(audio), config=everything())
        await batch.wait_for_completion(job.id, polling_interval=0.2, timeout=60)
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{standin.batch_url}/jobs/{job.id}/transcript",
            headers={"Authorization": f"Bearer {standin.api_key}"},
        ) as response,
    ):
        raw = await response.json()
    assert set(raw["metadata"]["sm_tui_approximations"]) == set(ASKED)
    assert all("this machine" in note for note in raw["metadata"]["sm_tui_approximations"].values())
    assert {"summary", "sentiment_analysis", "topics", "chapters"} <= set(raw)
    assert raw["summary"]["content"]
