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

pytestmark = [pytest.mark.engine, pytest.mark.paced]


@pytest.fixture(scope="module")
def minute(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return joined_shared(tmp_path_factory.mktemp("default-path"))


def target(engine: Any) -> Any:
    made = local_target(engine.batch_url, engine.rt_url, engine.api_key, "tiny.en")
    return dataclasses.replace(made, batch_model="enhanced", rt_model="enhanced")


def loops(text: str) -> list[str]:
    """Phrases of five words or more said twice in a row."""
    words = normalise(text).split()
    return [
        " ".join(words[i : i + n])
        for n in range(5, 41)
        for i in range(len(words) - 2 * n + 1)
        if words[i : i + n] == words[i + n : i + 2 * n]
    ]


async def test_the_default_config_keeps_every_word_in_batch_and_in_real_time(
    engine: Any, minute: tuple[Path, str]
) -> None:
    """Batch: the same text every run, whole, no loop. Real time at max_delay 1.0: the engine
    runs the model that keeps it and says which and how many sessions it serves; no stretch of
    speech is dropped (deletions against batch), and it never falls behind for long."""
    path, reference = minute
    chosen = target(engine)
    runs = [await run_batch(chosen, path) for _ in range(2)]
    assert [r.error for r in runs] == [None, None]
    batch, again = (r.transcript for r in runs)
    assert batch == again  # deterministic: no sampled fallback
    assert not loops(batch), loops(batch)
    assert wer(reference, batch) <= 0.12, batch
    assert "12345" in normalise(batch)  # the last recording's last words are there

    result = await run_realtime(chosen, load_pcm(path), max_delay=1.0)
    assert result.errors == []
    quality = next(i for i in result.infos if "local engine's" in i)
    assert re.search(r"local engine's (tiny\.en|base)", quality), quality
    assert any("session(s)" in i for i in result.infos), result.infos  # its capacity, said
    measured = jiwer.process_words(normalise(batch), normalise(result.transcript))
    deletions = measured.deletions / len(normalise(batch).split())
    assert deletions <= 0.04, (batch, result.transcript)
    assert wer(reference, result.transcript) <= 0.2, result.transcript
    assert not loops(result.transcript)
    assert result.behind_max_s < 8.0  # bounded on a busy machine; never further and further
