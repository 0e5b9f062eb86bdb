"""A live session's transcript stitched from one or more API sessions: finals shifted to stream
time, ordered, and the word a resent stretch repeats at a seam kept once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tui.shared.transcripts import WORDS

SEAM_S = 0.6  # a resent word starting this close to the last final one may be that word again


def _key(result: dict[str, Any]) -> str:
    return str(result["alternatives"][0]["content"]).strip(".,?!").lower()


@dataclass
class StitchedTranscript:
    """Finals so far, on the stream's clock, across API sessions, and the current partial."""

    results: list[dict[str, Any]] = field(default_factory=list)
    """Every final word and punctuation mark, its times on the stream's clock."""
    partial: str = ""

    @property
    def text(self) -> str:
        """The final text, stitched across sessions in stream order."""
        from tui.shared.transcripts import render

        return render(self._ordered()).strip()

    def _ordered(self) -> list[dict[str, Any]]:
        return sorted(self.results, key=lambda r: (r["start_time"], r["end_time"]))

    def seam(self, message: dict[str, Any], resent_from: float, offset: float) -> dict[str, Any]:
        """The first final after a reconnect or a switch, without a word the last session
        already gave.

        The audio resent after a reconnect starts where the last final word ended, and a
        switch to a new session can cut a word in two, so the first word can be that word
        again ("and" twice, "happy. Happy") or its whole form where the old session had
        finalised a fragment ("Speech" then "Speechmatics"): the repeat is dropped, the
        fragment replaced.
        """
        words = [r for r in message.get("results", []) if r.get("type") in WORDS]
        last = next((r for r in reversed(self._ordered()) if r.get("type") in WORDS), None)
        if not words or last is None:
            return message
        first = words[0]
        if offset + float(first["start_time"]) > resent_from + SEAM_S:
            return message
        new, old = _key(first), _key(last)
        if new == old:
            kept = [r for r in message["results"] if r is not first]
            return {**message, "results": kept}
        if len(old) >= 3 and new.startswith(old):
            self.results = [r for r in self.results if r is not last]
        return message

    @property
    def word_count(self) -> int:
        """Words in the final text."""
        return len(self.text.split())

    def add(self, offset: float, message: dict[str, Any]) -> None:
        """An AddTranscript from the API session whose audio began at stream time ``offset``."""
        for result in message.get("results", []):
            shifted = dict(result)
            shifted["start_time"] = offset + float(result["start_time"])
            shifted["end_time"] = offset + float(result["end_time"])
            self.results.append(shifted)

    def json_v2(self, language: str) -> dict[str, Any]:
        """The transcript as a Speechmatics json-v2 document, results in stream order."""
        from datetime import UTC, datetime

        return {
            "format": "2.9",
            "metadata": {
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "type": "transcription",
                "transcription_config": {"language": language},
            },
            "results": sorted(self.results, key=lambda r: (r["start_time"], r["end_time"])),
        }
