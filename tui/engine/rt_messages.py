"""What a real-time session says to its client: transcripts, utterance ends, warnings.

``TranscriptWriter`` is the recognition pump's sink: it turns the words the pump decides on
into AddTranscript / AddPartialTranscript / EndOfUtterance / EndOfTranscript messages, with
the bookkeeping the protocol needs (finals start where the last one ended; an unchanged
partial is not sent again).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui.engine.asr import Word
from tui.engine.results import to_results
from tui.shared.transcripts import render

Send = Callable[[dict[str, Any]], None]


class TranscriptWriter:
    """Writes a session's results as protocol messages.

    Args:
        send: Queues a message for the client.
        close: Queues the close that follows EndOfTranscript.
        config: The session's transcription_config (read at each message: it can change).
    """

    def __init__(
        self, send: Send, close: Callable[[int, str], None], config: Callable[[], dict[str, Any]]
    ) -> None:
        self.send = send
        self.close = close
        self.config = config
        self.sent_final_end = 0.0
        self.last_partial: str | None = None

    def _results(self, words: list[Word]) -> list[dict[str, Any]]:
        config = self.config()
        speaker = "S1" if config.get("diarization") in ("speaker", "channel_and_speaker") else None
        return to_results(words, speaker=speaker, language=str(config.get("language", "en")))

    def finals(self, words: list[Word], forced: bool) -> None:
        """AddTranscript for words that became final."""
        results = self._results(words)
        start = self.sent_final_end
        end = max([start] + [float(r["end_time"]) for r in results])
        text = render(results)
        message: dict[str, Any] = {
            "message": "AddTranscript",
            "format": "2.9",
            "metadata": {
                "start_time": start,
                "end_time": end,
                "transcript": text + " " if text else "",
            },
            "results": results,
        }
        if forced:
            message["forced"] = True
        self.sent_final_end = end
        self.send(message)

    def partial(self, words: list[Word], force: bool) -> None:
        """AddPartialTranscript, when partials are enabled and the text changed."""
        if not self.config().get("enable_partials"):
            return
        results = self._results(words)
        text = render(results)
        if text == self.last_partial and not force:
            return
        self.last_partial = text
        start = self.sent_final_end
        end = max([start] + [float(r["end_time"]) for r in results])
        self.send(
            {
                "message": "AddPartialTranscript",
                "format": "2.9",
                "metadata": {"start_time": start, "end_time": end, "transcript": text},
                "results": results,
            }
        )

    def end_of_utterance(self, at: float | None, forced: bool) -> None:
        """EndOfUtterance at ``at`` (or where the last final ended)."""
        time_s = self.sent_final_end if at is None else at
        message: dict[str, Any] = {
            "message": "EndOfUtterance",
            "metadata": {"start_time": time_s, "end_time": time_s},
        }
        if forced:
            message["forced"] = True
        self.send(message)

    def finished(self) -> None:
        """EndOfTranscript, then a normal close."""
        self.send({"message": "EndOfTranscript"})
        self.close(1000, "")

    def translation_warnings(self, translation: Any) -> None:
        """The local engine does not translate: say so rather than stay silent."""
        if not isinstance(translation, dict):
            return
        targets = translation.get("target_languages") or []
        if not targets:
            self.send({"message": "Warning", "type": "empty_translation_target_list",
                       "reason": "No translation target languages were given"})  # fmt: skip
        language = self.config().get("language")
        for target in targets:
            self.send({"message": "Warning", "type": "unsupported_translation_pair",
                       "reason": f"Translation from {language} to {target} is not supported "
                       "by the local engine"})  # fmt: skip
