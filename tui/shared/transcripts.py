"""Transcripts as people read them: text, txt with speaker turns, SubRip and WebVTT subtitles.

Works on Speechmatics json-v2 ``results`` (word and punctuation items), whoever made them: the
engine renders its txt and srt answers with it, the client its exports and live saves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

WORDS = ("word", "entity")
"""Result types that are said words: an ``entity`` (``enable_entities``) stands in for the
words it covers, and its content is their written form."""


def content(result: dict[str, Any]) -> str:
    """The text of a result's first alternative."""
    return str(result["alternatives"][0]["content"])


def render(results: Sequence[dict[str, Any]], delimiter: str = " ") -> str:
    """Render results as text, punctuation attached as ``attaches_to`` says."""
    out = ""
    glue_next = False
    for result in results:
        token = content(result)
        attaches = result.get("attaches_to", "previous") if result["type"] == "punctuation" else ""
        if out and not glue_next and attaches not in ("previous", "both"):
            out += delimiter
        out += token
        glue_next = attaches in ("next", "both")
    return out


def turn_of(result: dict[str, Any]) -> tuple[str | None, str]:
    """Who said a result: its channel (channel diarization) and its speaker (``UU``: unknown)."""
    channel = result.get("channel")
    return (
        str(channel) if channel is not None else None,
        str(result["alternatives"][0].get("speaker", "UU")),
    )


def turns(results: Sequence[dict[str, Any]]) -> list[tuple[tuple[str | None, str], list[Any]]]:
    """Results grouped into turns: a new turn where the channel or speaker changes."""
    out: list[tuple[tuple[str | None, str], list[Any]]] = []
    for result in results:
        key = turn_of(result)
        if out and (key == out[-1][0] or result["type"] == "punctuation"):
            out[-1][1].append(result)
        else:
            out.append((key, [result]))
    return out


def turn_label(key: tuple[str | None, str]) -> str | None:
    """A turn's label as a prefix reads it: ``agent``, ``S2``, ``agent S2``; None for nobody."""
    channel, speaker = key
    parts = [part for part in (channel, None if speaker == "UU" else speaker) if part]
    return " ".join(parts) or None


def render_turns(results: Sequence[dict[str, Any]], delimiter: str = " ") -> str:
    """One line per turn, each led by who said it (``agent: Thank you.``, ``S2: …``)."""
    lines = []
    for key, group in turns(results):
        label = turn_label(key)
        text = render(group, delimiter)
        lines.append(f"{label}: {text}" if label else text)
    return "\n".join(lines)


def render_txt(results: Sequence[dict[str, Any]], delimiter: str = " ") -> str:
    """The txt transcript: one paragraph per turn, each headed ``CHANNEL: agent`` (channel
    diarization) and ``SPEAKER: S1`` (speaker diarization)."""
    lines: list[str] = []
    for (channel, speaker), group in turns(results):
        if channel is not None:
            lines.append(f"CHANNEL: {channel}")
        if speaker != "UU":
            lines.append(f"SPEAKER: {speaker}")
        lines.append(render(group, delimiter))
    return "".join(line + "\n" for line in lines)


def _timestamp(seconds: float, separator: str = ",") -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def cues(
    results: Sequence[dict[str, Any]], max_line_length: int = 37, max_lines: int = 2
) -> list[tuple[float, float, list[str]]]:
    """Group results into subtitle cues of at most ``max_lines`` lines of ``max_line_length``.

    With diarization a cue never holds two speakers' (or channels') words, and the first cue of
    each turn starts with who speaks (``agent: Thank you``, ``S2: Hi``).
    """
    out: list[tuple[float, float, list[str]]] = []
    for key, group in turns(results):
        label = turn_label(key)
        prefix = f"{label}: " if label else ""
        out.extend(_turn_cues(group, prefix, max_line_length, max_lines))
    return out


def _turn_cues(
    group: list[dict[str, Any]], prefix: str, max_line_length: int, max_lines: int
) -> list[tuple[float, float, list[str]]]:
    out: list[tuple[float, float, list[str]]] = []
    lines: list[str] = []
    start = end = 0.0

    def close() -> None:
        nonlocal lines
        if lines:
            out.append((start, end, lines))
        lines = []

    for result in group:
        token = content(result)
        if result["type"] == "punctuation" and lines:
            lines[-1] += token
            end = max(end, float(result["end_time"]))
            if result.get("is_eos"):
                close()
            continue
        if not lines:
            start = float(result["start_time"])
            lines, prefix = [prefix + token], ""
        elif len(lines[-1]) + 1 + len(token) <= max_line_length:
            lines[-1] += " " + token
        elif len(lines) < max_lines:
            lines.append(token)
        else:
            close()
            start = float(result["start_time"])
            lines = [token]
        end = float(result["end_time"])
    close()
    return out


def render_srt(
    results: Sequence[dict[str, Any]], max_line_length: int = 37, max_lines: int = 2
) -> str:
    """SubRip subtitles."""
    blocks = []
    for number, (start, end, lines) in enumerate(cues(results, max_line_length, max_lines), 1):
        blocks.append(f"{number}\n{_timestamp(start)} --> {_timestamp(end)}\n" + "\n".join(lines))
    return "".join(block + "\n\n" for block in blocks)


def render_vtt(
    results: Sequence[dict[str, Any]], max_line_length: int = 37, max_lines: int = 2
) -> str:
    """WebVTT subtitles (the Speechmatics batch API has no vtt format, so it is built here)."""
    blocks = ["WEBVTT"]
    for start, end, lines in cues(results, max_line_length, max_lines):
        blocks.append(f"{_timestamp(start, '.')} --> {_timestamp(end, '.')}\n" + "\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def render_json(transcript: dict[str, Any]) -> str:
    """A json-v2 transcript as the file Speechmatics users keep: indented UTF-8."""
    import json

    return json.dumps(transcript, indent=2, ensure_ascii=False) + "\n"
