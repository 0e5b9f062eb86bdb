"""A live session: audio from a source, through the real-time SDK, to events for the UI."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from tui.core.errors import explain
from tui.core.levels import Level, measure
from tui.core.sources import END, AudioSource
from tui.core.target import EngineTarget

CHUNK_BYTES = 3200  # 0.1 s of 16 kHz pcm_s16le


class LiveListener(Protocol):
    """What a live session reports (called on the event loop's thread)."""

    def partial(self, text: str) -> None:
        """The current partial replaced the previous one."""

    def final(self, text: str) -> None:
        """Text became final (never revised)."""

    def level(self, level: Level) -> None:
        """A captured block's level."""

    def notice(self, severity: str, text: str) -> None:
        """An error, warning or information for the user."""


@dataclass
class LiveTranscript:
    """Finals so far and the current partial."""

    finals: list[str] = field(default_factory=list)
    partial: str = ""

    @property
    def text(self) -> str:
        """The final text."""
        return "".join(self.finals).strip()

    @property
    def word_count(self) -> int:
        """Words in the final text."""
        return len(self.text.split())


class LiveSession:
    """Streams a source to the real-time API until the source ends or ``stop()`` is called.

    Stopping waits for EndOfTranscript, so the last words are not lost.
    """

    def __init__(
        self,
        target: EngineTarget,
        source: AudioSource,
        listener: LiveListener,
        max_delay: float = 1.0,
        language: str = "en",
    ) -> None:
        self.target = target
        self.source = source
        self.listener = listener
        self.max_delay = max_delay
        self.language = language
        self.transcript = LiveTranscript()
        self.started_at: float | None = None
        self.audio_seconds = 0.0
        self.ended_cleanly = False

    def stop(self) -> None:
        """Stop capturing; the session then flushes and ends."""
        self.source.stop()

    @property
    def words_per_minute(self) -> float:
        """Final words per minute of audio sent."""
        minutes = self.audio_seconds / 60
        return self.transcript.word_count / minutes if minutes > 0 else 0.0

    async def run(self) -> None:
        """Run the session. Failures are reported through the listener, never raised."""
        from speechmatics import rt

        client = rt.AsyncClient(api_key=self.target.api_key, url=self.target.rt_url)
        client.on(rt.ServerMessageType.ADD_PARTIAL_TRANSCRIPT, self._on_partial)
        client.on(rt.ServerMessageType.ADD_TRANSCRIPT, self._on_final)
        client.on(rt.ServerMessageType.ERROR, self._on_error)
        client.on(rt.ServerMessageType.WARNING, self._on_warning)
        client.on(rt.ServerMessageType.END_OF_TRANSCRIPT, self._on_end)
        try:
            await client.start_session(
                transcription_config=rt.TranscriptionConfig(
                    language=self.language, enable_partials=True, max_delay=self.max_delay
                ),
                audio_format=rt.AudioFormat(
                    encoding=rt.AudioEncoding.PCM_S16LE, sample_rate=16000, chunk_size=CHUNK_BYTES
                ),
            )
        except Exception as exc:  # shown to the user; the app stays up
            self.listener.notice(
                "error", f"live session could not start: {explain(exc, self.target.rt_url)}"
            )
            await client.close()
            return
        try:
            await self._pump(client)
            await asyncio.wait_for(client.stop_session(), timeout=60)
        except Exception as exc:  # a dropped connection ends the session with a message
            self.listener.notice("error", f"live session ended: {explain(exc, self.target.rt_url)}")
        finally:
            self.source.stop()
            await client.close()
        if self.source.error:
            self.listener.notice("error", self.source.error)

    async def _pump(self, client: Any) -> None:
        self.source.start()
        self.started_at = time.monotonic()
        while True:
            block = await asyncio.to_thread(self.source.get, 0.5)
            if block is None:
                continue
            if block is END:
                return
            self.listener.level(measure(block.samples))
            await client.send_audio(block.pcm)
            self.audio_seconds += block.seconds

    def _on_partial(self, message: dict[str, Any]) -> None:
        self.transcript.partial = str(message["metadata"]["transcript"])
        self.listener.partial(self.transcript.partial)

    def _on_final(self, message: dict[str, Any]) -> None:
        text = str(message["metadata"]["transcript"])
        if text:
            self.transcript.finals.append(text)
            self.listener.final(text)

    def _on_error(self, message: dict[str, Any]) -> None:
        self.listener.notice(
            "error", f"engine error {message.get('type')}: {message.get('reason')}"
        )

    def _on_warning(self, message: dict[str, Any]) -> None:
        self.listener.notice(
            "warning", f"engine warning {message.get('type')}: {message.get('reason')}"
        )

    def _on_end(self, message: dict[str, Any]) -> None:
        self.ended_cleanly = True
