"""Real-time translation's bookkeeping on constructed finals (a stand-in translate task)."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np

from tui.engine.realtime.translate import Translator
from tui.engine.recognition.asr import Word
from tui.shared.audio import RATE


def run(
    partials: bool, finals: list[tuple[float, float, str]], english: bool = True
) -> tuple[list[dict[str, Any]], list[float]]:
    """Feed 10 s of audio and ``finals``; the messages sent and the audio lengths translated.
    ``english``: whether the translate task writes anything."""
    sent: list[dict[str, Any]] = []
    lengths: list[float] = []

    async def translate(audio: np.ndarray) -> list[Word]:
        lengths.append(len(audio) / RATE)
        await asyncio.sleep(0)
        return [Word(f" english{len(lengths)}", 0.0, 0.5)] if english else []

    async def session() -> None:
        translator = Translator(translate, sent.append, channel=None, partials=partials)
        translator.add_audio(np.zeros(10 * RATE, dtype=np.float32))
        for start, end, text in finals:
            translator.final(start, end, text)
            await asyncio.sleep(0.01)  # the translation runs between finals
        await translator.finish()

    asyncio.run(session())
    return sent, lengths


def test_finals_are_translated_a_sentence_at_a_time() -> None:
    sent, lengths = run(False, [(0.5, 1.5, "Guten "), (1.5, 2.5, "Morgen. "), (3.0, 4.0, "Ich ")])
    assert [m["message"] for m in sent] == ["AddTranslation", "AddTranslation"]
    assert [(r["start_time"], r["end_time"]) for m in sent for r in m["results"]] == [
        (0.5, 2.5),
        (3.0, 4.0),
    ]  # the last, unfinished sentence stays untranslated at the end
    assert all(m["language"] == "en" for m in sent)
    assert lengths[0] > 2.0  # the whole sentence's audio (and a little around it)


def test_partials_translate_the_sentence_so_far() -> None:
    sent, _ = run(True, [(0.5, 1.5, "Guten "), (1.5, 2.5, "Morgen. ")])
    assert [m["message"] for m in sent] == ["AddPartialTranslation", "AddTranslation"]
    assert sent[0]["results"][0]["end_time"] == 1.5 and sent[1]["results"][0]["end_time"] == 2.5


def test_a_sentence_the_model_gives_no_english_for_is_said() -> None:
    """base's translate task looped on espeak-ng's German, the loop was dropped, and the
    session ended with no AddTranslation and no word of why."""
    sent, _ = run(True, [(0.5, 1.5, "Guten "), (1.5, 2.5, "Morgen. ")], english=False)
    assert [(m["message"], m.get("type")) for m in sent] == [("Warning", "translation_failed")]
    assert "0.5-2.5 s" in sent[0]["reason"]  # the sentence, not the partial before it
