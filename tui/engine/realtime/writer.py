"""What a real-time session says to its client: transcripts, utterance ends, warnings.

``TranscriptWriter`` is the recognition pump's sink: it turns the words the pump decides on
into AddTranscript / AddPartialTranscript / EndOfUtterance / EndOfTranscript messages, with
the bookkeeping the protocol needs (finals start where the last one ended; an unchanged
partial is not sent again).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui.engine.protocol import config as cfg
from tui.engine.protocol.entities import with_entities
from tui.engine.protocol.results import joined, to_results
from tui.engine.realtime.streaming import in_order
from tui.engine.recognition.asr import Word
from tui.shared.transcripts import render

Send = Callable[[dict[str, Any]], None]
SILENT_FINAL_S = 1.0  # silence this long after the last final is said, as an empty final


class TranscriptWriter:
    """Writes a session's results as protocol messages.

    Args:
        send: Queues a message for the client.
        done: Called once every word of the channel was sent.
        config: The session's transcription_config (read at each message: it can change).
        channel: The channel's label in a multichannel session: every message and result
            carries it.
    """

    def __init__(
        self,
        send: Send,
        done: Callable[[], None],
        config: Callable[[], dict[str, Any]],
        channel: str | None = None,
    ) -> None:
        self.send = send
        self.done = done
        self.config = config
        self.channel = channel
        self.sent_final_end = 0.0
        self.last_partial: str | None = None
        self.last_speaker = "UU"  # partials take the speaker of the last final (diarization)
        self.on_final: Callable[[float, float, str], None] | None = None
        """Hears each final's span of audio (the translator)."""
        self._open = False  # the last final's transcript ended without its space (a mark held)

    def _results(
        self, words: list[Word], speakers: list[str] | None = None, final: bool = True
    ) -> list[dict[str, Any]]:
        config = self.config()
        language = str(config.get("language", "en"))
        diarizing = cfg.labels_speakers(config)
        labels = None
        if speakers is not None:  # one per token: a joined word takes its first token's
            labels = [
                who
                for index, (word, who) in enumerate(zip(words, speakers, strict=True))
                if index == 0 or not word.text or word.text[0].isspace()
            ]
            words = joined(words)
            if labels and final:
                self.last_speaker = labels[-1]
        speaker = self.last_speaker if diarizing else None
        results = to_results(words, speaker=speaker, language=language, speakers=labels)
        if config.get("enable_entities", True):  # on unless turned off, in real time
            results = with_entities(results, language)
        if self.channel is not None:
            for result in results:
                result["channel"] = self.channel
        return results

    def _put(self, message: dict[str, Any]) -> None:
        if self.channel is not None:
            message["channel"] = self.channel
        self.send(message)

    def finals(
        self,
        words: list[Word],
        forced: bool,
        speakers: list[str] | None = None,
        open_end: bool = False,
    ) -> None:
        """AddTranscript for words that became final (with their speakers, diarizing).

        Each message's transcript ends with a space, so clients can join them; after one whose
        last word's mark is held (``open_end``) it does not, and the next starts with the
        mark, or with the space where the mark went."""
        words = in_order(words, self.sent_final_end)  # a silence said may end after a start
        results = self._results(words, speakers)
        start = self.sent_final_end
        end = max([start] + [float(r["end_time"]) for r in results])
        text = render(results)
        partials = self.config().get("enable_partials")
        if partials and text and not (self.last_partial or "").startswith(text):
            # Words never shown as partial (final at their first step): a partial first, so
            # every final follows a partial of its words.
            self._partial_message(results, text, end)
        message: dict[str, Any] = {
            "message": "AddTranscript",
            "format": "2.9",
            "metadata": {
                "start_time": start,
                "end_time": end,
                "transcript": self._joined(text, results, open_end),
            },
            "results": results,
        }
        if forced:
            message["forced"] = True
        self.sent_final_end = end
        self._put(message)
        if self.on_final is not None and results:
            self.on_final(min(float(r["start_time"]) for r in results), end, text)

    def _joined(self, text: str, results: list[dict[str, Any]], open_end: bool) -> str:
        """A message's transcript, as it joins the one before it."""
        if not text:
            return ""
        opened, self._open = self._open, open_end
        lead = " " if opened and results[0]["type"] != "punctuation" else ""
        return lead + text + ("" if open_end else " ")

    def silence(self, until: float) -> None:
        """An empty AddTranscript up to ``until`` once a second of silence followed the last
        final (the protocol allows them): the client then knows the engine has heard that far
        and is not behind."""
        if self.last_partial or until - self.sent_final_end < SILENT_FINAL_S:
            return
        self._put(
            {
                "message": "AddTranscript",
                "format": "2.9",
                "metadata": {
                    "start_time": self.sent_final_end,
                    "end_time": until,
                    "transcript": "",
                },
                "results": [],
            }
        )
        self.sent_final_end = until

    def partial(
        self,
        words: list[Word],
        force: bool,
        speakers: list[str | None] | None = None,
        heard: float = 0.0,
    ) -> None:
        """AddPartialTranscript, when partials are enabled and the text changed; each word
        is its speaker's where given, else the last final's. ``heard``: the stream time the
        step heard to, the message's end."""
        if not self.config().get("enable_partials"):
            return
        labels = None if speakers is None else [who or self.last_speaker for who in speakers]
        results = self._results(words, labels, final=False)
        text = render(results)
        if text == self.last_partial and not force:
            return
        self._partial_message(results, text, heard)

    def _partial_message(self, results: list[dict[str, Any]], text: str, heard: float) -> None:
        self.last_partial = text
        start = self.sent_final_end
        end = max([start, heard] + [float(r["end_time"]) for r in results])
        self._put(
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
        self._put(message)

    def finished(self) -> None:
        """Every word of this channel was sent."""
        self.done()


def translation_warnings(
    send: Send, translation: Any, language: str, supported: frozenset[str] = frozenset()
) -> None:
    """Say which translations asked for will not come, rather than stay silent.

    ``supported`` are the targets the session translates to (English from another language,
    with a multilingual model).
    """
    if not isinstance(translation, dict):
        return
    targets = translation.get("target_languages") or []
    if not targets:
        send(
            {
                "message": "Warning",
                "type": "empty_translation_target_list",
                "reason": "No translation target languages were given",
            }
        )
    for target in targets:
        if target not in supported:
            send(
                {
                    "message": "Warning",
                    "type": "unsupported_translation_pair",
                    "reason": f"Translation from {language} to {target} is not supported by "
                    "the local engine (it translates other languages to English)",
                }
            )
