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
    # The first word a session gave after a switch, kept because the last session had not
    # given it (yet): that word's key, its start on the stream, and the session's offset.
    _pending: tuple[str, float, float] | None = None

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
        if not words:
            return message
        first = words[0]
        if offset + float(first["start_time"]) > resent_from + SEAM_S:
            return message
        new = _key(first)
        # After a switch the last session flushes in the background: its last word can come
        # after this one (``add`` then settles it).
        self._pending = (new, offset + float(first["start_time"]), offset)
        if last is None:
            return message
        old = _key(last)
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
        skipped = False
        for result in message.get("results", []):
            shifted = dict(result)
            shifted["start_time"] = offset + float(result["start_time"])
            shifted["end_time"] = offset + float(result["end_time"])
            if result.get("type") in WORDS:
                skipped = self._late(shifted, offset)
            if not skipped:
                self.results.append(shifted)

    def _late(self, result: dict[str, Any], offset: float) -> bool:
        """Settles the seam where the last session's word came after the next session's first
        ("happy. Happy" when the old session's flush came late): the same word is given once,
        the old session's, as ``seam`` gives it in order; a fragment of the new session's whole
        word is left out (with its mark). True to leave ``result`` out."""
        if self._pending is None or offset >= self._pending[2]:
            return False
        key, start, _ = self._pending
        if float(result["end_time"]) < start - SEAM_S:
            return False
        late = _key(result)
        if late == key:
            self._pending = None
            self.results = [
                r
                for r in self.results
                if not (r.get("type") in WORDS and _key(r) == key and r["start_time"] == start)
            ]
            return False
        if len(late) >= 3 and key.startswith(late):
            self._pending = None
            return True
        return False

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
