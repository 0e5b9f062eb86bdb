"""Whisper words to Speechmatics json-v2 results (rendering them is ``tui.shared.transcripts``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from tui.engine.protocol.script import in_script
from tui.engine.recognition.asr import Word

TRAILING_MARKS = ".,?!;:"
SENTENCE_END = ".?!"
LANGUAGE_PACK = {
    "adapted": False,
    "itn": True,
    "language_description": "English",
    "word_delimiter": " ",
    "writing_direction": "left-to-right",
}
NO_DELIMITER = {"ja", "cmn", "zh", "yue", "th", "lo", "my", "km"}
RIGHT_TO_LEFT = {"ar", "he", "fa", "ur", "yi", "ps", "sd"}


def language_pack(language: str) -> dict[str, Any]:
    """``language_pack_info`` for a language: how its words are joined and which way it runs."""
    return (
        {
            **LANGUAGE_PACK,
            "language_description": language,
            "word_delimiter": "" if language in NO_DELIMITER else " ",
            "writing_direction": "right-to-left" if language in RIGHT_TO_LEFT else "left-to-right",
        }
        if language != "en"
        else dict(LANGUAGE_PACK)
    )


MIN_WORD_S = 0.01  # a word always lasts: end_time > start_time


def _round(value: float) -> float:
    return round(max(value, 0.0), 3)


def joined(words: Iterable[Word]) -> list[Word]:
    """Whisper tokens written without a leading space belong to the word before them.

    ``3`` + ``.30pm`` is ``3.30pm``, ``1`` + ``-2`` + ``-3`` is ``1-2-3``: one word, from the
    first token's start to the last one's end. Every word lasts at least ``MIN_WORD_S``.
    """
    out: list[Word] = []
    for word in words:
        if out and word.text and not word.text[0].isspace():
            last = out[-1]
            out[-1] = Word(
                last.text + word.text,
                last.start,
                max(last.end, word.end),
                min(last.probability, word.probability),
            )
        else:
            out.append(word)
    lasting = []
    for w in out:
        end = max(w.end, w.start + MIN_WORD_S)
        lasting.append(w if end == w.end else Word(w.text, w.start, end, w.probability))
    return lasting


def to_results(
    words: Iterable[Word],
    *,
    speaker: str | None = None,
    language: str | None = "en",
    speakers: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Split Whisper's words into Speechmatics ``word`` and ``punctuation`` results.

    Args:
        words: Words with punctuation attached, as Whisper writes them.
        speaker: Label put on every alternative (``UU`` in batch; None in real time).
        language: Language put on every alternative (required in batch json-v2).
        speakers: Each joined word's speaker (diarization), instead of ``speaker``.
    """
    results: list[dict[str, Any]] = []

    def alternative(content: str, confidence: float, who: str | None) -> dict[str, Any]:
        alt: dict[str, Any] = {"content": content, "confidence": round(confidence, 3)}
        if language:
            alt["language"] = language
        if who:
            alt["speaker"] = who
        return alt

    for index, word in enumerate(joined(words)):
        who = speakers[index] if speakers is not None else speaker
        text = in_script(word.text.strip(), language)
        marks = ""
        while text and text[-1] in TRAILING_MARKS:
            marks = text[-1] + marks
            text = text[:-1]
        text = text.strip('"“”')
        start, end = _round(word.start), _round(word.end)
        if text:
            results.append(
                {
                    "type": "word",
                    "start_time": start,
                    "end_time": end,
                    "alternatives": [alternative(text, word.probability, who)],
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
                    "alternatives": [alternative(mark, 1.0, who)],
                }
            )
    return results


def channel_labels(config: dict[str, Any], channels: int) -> list[str]:
    """The label of each of a file's channels: ``channel_diarization_labels`` in order, then
    ``Channel N`` for any channel they do not name."""
    given = [str(label) for label in config.get("channel_diarization_labels") or []]
    return [given[i] if i < len(given) else f"Channel {i + 1}" for i in range(channels)]


def interleaved(per_channel: Iterable[tuple[str, list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    """Each channel's results, labelled with ``channel``, merged in time order.

    A word keeps the punctuation that follows it, so a mark never lands in another channel's
    words.
    """
    groups: list[tuple[float, int, list[dict[str, Any]]]] = []
    for order, (label, results) in enumerate(per_channel):
        for result in results:
            labelled = {**result, "channel": label}
            if result["type"] == "punctuation" and groups and groups[-1][1] == order:
                groups[-1][2].append(labelled)
            else:
                groups.append((float(result["start_time"]), order, [labelled]))
    groups.sort(key=lambda group: (group[0], group[1]))
    return [result for _, _, group in groups for result in group]
