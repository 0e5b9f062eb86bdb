"""The path a user of the official SDKs meets by default: ``enhanced``, on a minute of real
speech (the shared recordings one after another), through the real engine and model."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import jiwer
import pytest

from tests.helpers import joined_shared, normalise, wer
from tui.core.compare import load_pcm, run_batch, run_realtime
from tui.core.target import local_target

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def minute(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return joined_shared(tmp_path_factory.mktemp("default-path"))


def target(engine: Any) -> Any:
    made = local_target(engine.batch_url, engine.rt_url, engine.api_key, "tiny.en")
    return dataclasses.replace(made, batch_model="enhanced", rt_model="enhanced")


def loops(text: str) -> list[str]:
    """Phrases of five words or more said twice in a row."""
    words = normalise(text).split()
    return [" ".join(words[i : i + n]) for n in range(5, 41)
            for i in range(len(words) - 2 * n + 1) if words[i : i + n] == words[i + n : i + 2 * n]]  # fmt: skip


async def test_batch_on_the_default_config_is_whole_and_the_same_every_run(
    engine: Any, minute: tuple[Path, str]
) -> None:
    path, reference = minute
    runs = [await run_batch(target(engine), path) for _ in range(2)]
    assert [r.error for r in runs] == [None, None]
    first, second = (r.transcript for r in runs)
    assert first == second  # deterministic: no sampled fallback
    assert not loops(first), loops(first)
    assert wer(reference, first) <= 0.12, first
    assert "12345" in normalise(first)  # the last recording's last words are there


async def test_real_time_on_the_default_config_keeps_every_word_and_up_with_the_audio(
    engine: Any, minute: tuple[Path, str]
) -> None:
    """At max_delay 1.0 the engine runs the model that keeps it and says which; no stretch of
    speech is dropped (deletions against batch), and it never falls behind for long."""
    path, reference = minute
    chosen = target(engine)
    batch = await run_batch(chosen, path)
    result = await run_realtime(chosen, load_pcm(path), max_delay=1.0)
    assert result.errors == []
    quality = next(i for i in result.infos if "local engine's" in i)
    assert re.search(r"local engine's (tiny\.en|base)", quality), quality
    usage = [i for i in result.infos if "sessions" in i or "session(s)" in i]
    assert usage, result.infos  # the engine said how many sessions it serves
    measured = jiwer.process_words(normalise(batch.transcript), normalise(result.transcript))
    deletions = measured.deletions / len(normalise(batch.transcript).split())
    assert deletions <= 0.04, (batch.transcript, result.transcript)
    assert wer(reference, result.transcript) <= 0.2, result.transcript
    assert not loops(result.transcript)
    assert result.behind_max_s < 8.0  # bounded on a busy machine; never further and further
