"""additional_vocab with the official clients against the real engine, on speech holding
invented names: espeak-ng's at 16 kHz, flite's as 8 kHz telephone audio (``make
benchmark-vocab`` measures all ten, in every voice, at both rates)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from speechmatics import rt
from speechmatics.batch import AsyncClient, JobConfig, JobType, TranscriptionConfig

from tests.helpers import VOCAB_SENTENCES, speak, speak_flite, telephone
from tui.engine.recognition.asr import Word
from tui.engine.recognition.vocab import Vocabulary, heard

pytestmark = pytest.mark.paced

VOCAB = [{"content": name} for name, _ in VOCAB_SENTENCES]
# Sentences whose name the model misses without the vocabulary and gets with it (measured).
CHOSEN = [VOCAB_SENTENCES[i] for i in (1, 4, 8, 9)]


async def batch_text(engine: Any, path: Path, vocab: list[dict[str, Any]] | None) -> str:
    config = JobConfig(
        type=JobType.TRANSCRIPTION,
        transcription_config=TranscriptionConfig(
            language="en", model="standard", additional_vocab=vocab
        ),
    )
    async with AsyncClient(api_key=engine.api_key, url=engine.batch_url) as batch:
        transcript = await batch.transcribe(
            str(path), config=config, polling_interval=0.5, min_polling_interval=0.1
        )
    return str(transcript.transcript_text)


async def realtime_text(engine: Any, path: Path, vocab: list[dict[str, Any]] | None) -> str:
    client = rt.AsyncClient(api_key=engine.api_key, url=engine.rt_url)
    finals: list[str] = []
    client.on(
        rt.ServerMessageType.ADD_TRANSCRIPT, lambda m: finals.append(m["metadata"]["transcript"])
    )
    with path.open("rb") as handle:
        await client.transcribe(
            handle,
            transcription_config=rt.TranscriptionConfig(
                language="en", max_delay=1.0, additional_vocab=vocab, model="standard"
            ),
        )
    return "".join(finals)


@pytest.mark.engine
@pytest.mark.parametrize("run", [batch_text, realtime_text], ids=["batch", "realtime"])
async def test_vocabulary_gets_invented_names_right(engine: Any, tmp_path: Path, run: Any) -> None:
    files = [(name, speak(text, tmp_path / f"{name}.wav")) for name, text in CHOSEN]
    without = [
        name for name, path in files if name.lower() in (await run(engine, path, None)).lower()
    ]
    texts = {name: await run(engine, path, VOCAB) for name, path in files}
    with_vocab = [name for name, text in texts.items() if name.lower() in text.lower()]
    assert len(with_vocab) >= 3 and len(with_vocab) > len(without), (without, texts)
    for name, text in texts.items():  # the hint is not said again and again
        assert text.lower().count(name.lower()) <= 1, text


@pytest.mark.engine
@pytest.mark.parametrize("run", [batch_text, realtime_text], ids=["batch", "realtime"])
async def test_vocabulary_gets_invented_names_right_on_telephone_audio(
    engine: Any, tmp_path: Path, run: Any
) -> None:
    """At 8 kHz, 300–3400 Hz, as at 16 kHz. flite's voice: espeak-ng's loses half its words
    in the telephone band (``make benchmark-vocab``), and no vocabulary brings those back."""
    files = [
        (name, telephone(speak_flite(text, tmp_path / f"{name}.wav"), tmp_path))
        for name, text in CHOSEN
    ]
    without = [
        name for name, path in files if name.lower() in (await run(engine, path, None)).lower()
    ]
    texts = {name: await run(engine, path, VOCAB) for name, path in files}
    with_vocab = [name for name, text in texts.items() if name.lower() in text.lower()]
    assert len(with_vocab) >= 3 and len(with_vocab) > len(without), (without, texts)


def test_sounds_like_and_near_spellings_become_the_entry() -> None:
    vocab = Vocabulary.from_config(
        {
            "additional_vocab": [
                {"content": "Velquin", "sounds_like": ["milk wind", "vel quin"]},
                {"content": "Zorvex"},
            ]
        }
    )
    assert vocab is not None and vocab.hotwords == "Velquin, Zorvex"
    words = [
        Word(" install", 0, 1),
        Word(" the", 1, 2),
        Word(" milk,", 2, 3),
        Word(" wind,", 3, 4),
        Word(" plugin.", 4, 5),
        Word(" Norvex", 5, 6),
        Word(" normal", 6, 7),
        Word(" Norway.", 7, 8),
    ]
    fixed = vocab.correct(words)
    assert [w.text for w in fixed] == [
        " install",
        " the",
        " Velquin,",
        " plugin.",
        " Zorvex",
        " normal",
        " Norway.",
    ]
    assert (fixed[2].start, fixed[2].end) == (2, 4)
    assert Vocabulary.from_config({"additional_vocab": [{"content": " "}]}) is None


def test_words_outside_speech_are_not_kept() -> None:
    """A hint echoed in the silence after speech ("Zorvex, Zorvex, …" at 3.3 s) goes."""
    words = [Word(" tomorrow.", 2.4, 2.8), Word(" Zorvex,", 3.3, 3.3), Word(" Zorvex,", 3.3, 3.3)]
    assert [w.text for w in heard(words, [(0.03, 3.0)])] == [" tomorrow."]
