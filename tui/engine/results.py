"""Whisper words to Speechmatics json-v2 results (rendering them is ``tui.shared.transcripts``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tui.engine.asr import Word

TRAILING_MARKS = ".,?!;:"
SENTENCE_END = ".?!"
LANGUAGE_PACK = {
    "adapted": False, "itn": True, "language_description": "English",
    "word_delimiter": " ", "writing_direction": "left-to-right",
}  # fmt: skip


def _round(value: float) -> float:
    return round(max(value, 0.0), 3)


def to_results(
    words: Iterable[Word], *, speaker: str | None = None, language: str | None = "en"
) -> list[dict[str, Any]]:
    """Split Whisper's words into Speechmatics ``word`` and ``punctuation`` results.

    Args:
        words: Words with punctuation attached, as Whisper writes them.
        speaker: Label put on every alternative (``UU`` in batch; None in real time).
        language: Language put on every alternative (required in batch json-v2).
    """
    results: list[dict[str, Any]] = []

    def alternative(content: str, confidence: float) -> dict[str, Any]:
        alt: dict[str, Any] = {"content": content, "confidence": round(confidence, 3)}
        if language:
            alt["language"] = language
        if speaker:
            alt["speaker"] = speaker
        return alt

    for word in words:
        text = word.text.strip()
        marks = ""
        while text and text[-1] in TRAILING_MARKS:
            marks = text[-1] + marks
            text = text[:-1]
        text = text.strip('"“”')
        start, end = _round(word.start), _round(max(word.end, word.start))
        if text:
            results.append(
                {
                    "type": "word",
                    "start_time": start,
                    "end_time": end,
                    "alternatives": [alternative(text, word.probability)],
                }
            )
        for mark in marks[:1]:  # "..." or "?!" collapse to one mark
            results.append(
                {
                    "type": "punctuation",
                    "start_time": end,
                    "end_time": end,
                    "attaches_to": "previous",
                    "is_eos": mark in SENTENCE_END,
                    "alternatives": [alternative(mark, 1.0)],
                }
            )
    return results
