"""Transcripts as people read them: text, txt with speaker turns, SubRip and WebVTT subtitles.

Works on Speechmatics json-v2 ``results`` (word and punctuation items), whoever made them: the
engine renders its txt and srt answers with it, the client its exports and live saves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


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


def render_txt(results: Sequence[dict[str, Any]], delimiter: str = " ") -> str:
    """The txt transcript: one paragraph per speaker turn, ``SPEAKER: S1`` before each turn."""
    lines: list[str] = []
    group: list[dict[str, Any]] = []
    current: str | None = None
    for result in results:
        speaker = result["alternatives"][0].get("speaker", "UU")
        if group and speaker != current and result["type"] != "punctuation":
            lines.extend(_turn(group, current, delimiter))
            group = []
        if not group:
            current = speaker
        group.append(result)
    if group:
        lines.extend(_turn(group, current, delimiter))
    return "".join(line + "\n" for line in lines)


def _turn(group: list[dict[str, Any]], speaker: str | None, delimiter: str) -> list[str]:
    text = render(group, delimiter)
    return [f"SPEAKER: {speaker}", text] if speaker and speaker != "UU" else [text]


def _timestamp(seconds: float, separator: str = ",") -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def cues(
    results: Sequence[dict[str, Any]], max_line_length: int = 37, max_lines: int = 2
) -> list[tuple[float, float, list[str]]]:
    """Group results into subtitle cues of at most ``max_lines`` lines of ``max_line_length``."""
    out: list[tuple[float, float, list[str]]] = []
    lines: list[str] = []
    start = end = 0.0

    def close() -> None:
        nonlocal lines
        if lines:
            out.append((start, end, lines))
        lines = []

    for result in results:
        token = content(result)
        if result["type"] == "punctuation" and lines:
            lines[-1] += token
            end = max(end, float(result["end_time"]))
            if result.get("is_eos"):
                close()
            continue
        if not lines:
            start = float(result["start_time"])
            lines = [token]
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
