"""A live session: audio from a source, through the real-time SDK, to events for the UI.

One live session may span several API sessions:

* once ``max_session_s`` is reached (Speechmatics allows 48 h) a new session opens at the next
  quiet moment and takes the audio from there on, while the old one flushes its last words in
  the background;
* after a dropped connection or an engine restart it reconnects with backoff and resends the
  audio kept since the last final word, so no word is lost and none is doubled.

Each API session's times start at zero; finals are shifted by the stream time at which their
session began, and the stitched transcript is ordered by that time.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

from tui.core.comparison import WordTiming
from tui.core.errors import Severity, explain
from tui.core.levels import Level, measure
from tui.core.sources import END, AudioSource, Block
from tui.core.stitched import StitchedTranscript
from tui.core.target import EngineTarget
from tui.shared.transcripts import WORDS

CHUNK_BYTES = 1280  # 0.04 s of 16 kHz pcm_s16le
QUIET_DB = -40.0  # a switch between sessions waits for this much quiet…
QUIET_BLOCKS = 3  # …for this many blocks in a row, so no word is cut in two
MAX_GRACE_S = 600.0
BEHIND_WARN_S = 3.0  # behind by max_delay plus this much: the engine cannot keep up


def live_language(language: str) -> str:
    """A live session's language: ``auto`` is for batch jobs, so live sessions take English."""
    return "en" if language == "auto" else language


class LiveListener(Protocol):
    """What a live session reports (called on the event loop's thread)."""

    def partial(self, text: str) -> None:
        """The current partial replaced the previous one."""

    def final(self, text: str) -> None:
        """Text became final (never revised)."""

    def level(self, level: Level) -> None:
        """A captured block's level."""

    def notice(self, severity: Severity, text: str) -> None:
        """An error, warning or information for the user."""


class _Dropped(Exception):
    """The API session ended without being asked to."""


@dataclass
class _Api:
    """One API session: its client and the stream time its audio starts at."""

    client: Any
    offset: float
    opened_at_audio: float
    failed: bool = False
    resent_from: float | None = None  # after a reconnect or a switch: where its audio begins
    session_id: str | None = None  # RecognitionStarted's id


class LiveSession:
    """Streams a source until it ends or ``stop()`` is called; stopping waits for EndOfTranscript.

    Args:
        target: The engine.
        source: Where audio comes from.
        listener: Who hears about partials, finals, levels and problems.
        max_delay: Real-time ``max_delay``.
        language: Transcription language.
        max_session_s: Audio seconds after which a new API session takes over.
        reconnect_for_s: How long to keep trying to reconnect after a drop.
    """

    def __init__(
        self,
        target: EngineTarget,
        source: AudioSource,
        listener: LiveListener,
        *,
        max_delay: float,
        language: str,
        max_session_s: float,
        reconnect_for_s: float = 60.0,
    ) -> None:
        self.target = target
        self.source = source
        self.listener = listener
        self.max_delay = max_delay
        self.language = language
        self.max_session_s = max_session_s
        self.reconnect_for_s = reconnect_for_s
        self.transcript = StitchedTranscript()
        self.started_at: float | None = None
        self.audio_seconds = 0.0
        self.ended_cleanly = False
        self.sessions_opened = 0
        self.reconnects = 0
        self._last_final_end = 0.0
        self._speaker = "UU"  # who spoke the last final word shown (diarization)
        self.words: list[WordTiming] = []
        """Every final word with when it came: a comparison with batch afterwards uses them."""
        self.first_partial_s: float | None = None
        self.behind_max_s = 0.0
        self.compute_ratio: float | None = None
        """The engine's compute over the audio for this session (local engine only)."""
        self._api: _Api | None = None
        self.recognised_to = 0.0
        """Stream time up to which the engine has answered (a partial's or final's end_time)."""
        self.warned_behind = False
        self._kept: deque[tuple[float, Block]] = deque()  # audio sent since the last final word
        self._quiet_blocks = 0
        self._flushing: set[asyncio.Task[None]] = set()

    def stop(self) -> None:
        """Stop capturing; the session then flushes and ends."""
        self.source.stop()

    @property
    def behind_seconds(self) -> float:
        """Audio sent that the engine has not answered for yet: how far behind it is."""
        return max(0.0, self.audio_seconds - self.recognised_to)

    @property
    def backlog_seconds(self) -> float:
        """Audio sent that no final word covers yet (the unfinalised backlog)."""
        return max(0.0, self.audio_seconds - self._last_final_end)

    def _check_lag(self) -> None:
        """Warn once when the engine falls well behind the audio (it cannot keep up)."""
        limit = self.max_delay + BEHIND_WARN_S
        if not self.warned_behind and self.behind_seconds > limit:
            self.warned_behind = True
            self.listener.notice(
                "warning",
                f"the engine is {self.behind_seconds:.1f} s behind the audio and cannot keep up "
                "(other work on this machine?): words will come late, none is lost",
            )
        elif self.behind_seconds < self.max_delay:
            self.warned_behind = False

    @property
    def words_per_minute(self) -> float:
        """Final words per minute of audio sent."""
        minutes = self.audio_seconds / 60
        return self.transcript.word_count / minutes if minutes > 0 else 0.0

    async def run(self) -> None:
        """Run until the source ends. Failures are reported through the listener, never raised."""
        try:
            await self._run()
        finally:
            self.source.stop()
            if self._flushing:
                await asyncio.gather(*self._flushing, return_exceptions=True)
        if self.source.error:
            self.listener.notice("error", self.source.error)

    async def _run(self) -> None:
        api = await self._open(self.audio_seconds, first=True)
        if api is None:
            return
        self.source.start()
        self.started_at = time.monotonic()
        self._api = api
        watching = asyncio.create_task(self._watch_load())
        try:
            await self._run_sessions(api)
        finally:
            watching.cancel()

    async def _watch_load(self) -> None:
        """Keep ``compute_ratio`` from the engine's load endpoint (``tui.shared.extensions``).

        An engine that never answers it (Speechmatics) is asked once; the local engine, which
        answers 404 until the session's first step, is asked until it answers.
        """
        from tui.core.session_load import follow_load

        def heard(body: dict[str, Any]) -> None:
            ratio = body.get("compute_ratio")
            self.compute_ratio = float(ratio) if ratio is not None else None

        def session_id() -> str | None:
            return self._api.session_id if self._api is not None else None

        try:
            await follow_load(self.target, session_id, heard, patient=self.target.local)
        except ValueError:
            return

    async def _run_sessions(self, api: _Api) -> None:
        while True:
            try:
                outcome = await self._stream(api)
            except _Dropped as exc:
                self.listener.notice("warning", f"connection lost ({exc}); reconnecting…")
                await self._close(api.client)
                again = await self._reconnect()
                if again is None:
                    return
                api = again
                continue
            if outcome == "ended":
                await self._finish(api, final=True)
                return
            # rollover: the old session flushes in the background; the new one starts here
            task = asyncio.create_task(self._finish(api, final=False))
            self._flushing.add(task)
            task.add_done_callback(self._flushing.discard)
            self._kept.clear()
            self._last_final_end = max(self._last_final_end, self.audio_seconds)
            next_api = await self._open(self.audio_seconds)
            if next_api is None:
                next_api = await self._reconnect()
                if next_api is None:
                    return
            else:  # a word cut by the switch can be heard by both sessions ("happy. Happy")
                next_api.resent_from = next_api.offset
            api = next_api

    async def _open(self, offset: float, first: bool = False) -> _Api | None:
        """Start an API session whose audio begins at stream time ``offset``."""
        from speechmatics import rt

        client = rt.AsyncClient(api_key=self.target.api_key, url=self.target.rt_url)
        api = _Api(client, offset, self.audio_seconds)
        client.on(rt.ServerMessageType.ADD_PARTIAL_TRANSCRIPT, lambda m: self._on_partial(m, api))
        client.on(rt.ServerMessageType.ADD_TRANSCRIPT, lambda m: self._on_final(m, api))
        client.on(rt.ServerMessageType.ERROR, lambda m: self._on_error(m, api))
        client.on(rt.ServerMessageType.WARNING, self._on_warning)
        client.on(rt.ServerMessageType.INFO, self._on_info)
        client.on(
            rt.ServerMessageType.RECOGNITION_STARTED,
            lambda m: setattr(api, "session_id", m.get("id")),
        )
        try:
            await client.start_session(
                transcription_config=rt.TranscriptionConfig(
                    language=self.language,
                    enable_partials=True,
                    max_delay=self.max_delay,
                    model=rt.Model(self.target.rt_model),
                    diarization="none" if self.target.diarization == "none" else "speaker",
                ),
                audio_format=rt.AudioFormat(
                    encoding=rt.AudioEncoding.PCM_S16LE, sample_rate=16000, chunk_size=CHUNK_BYTES
                ),
            )
        except Exception as exc:  # shown to the user; the app stays up
            await self._close(client)
            if first:
                self.listener.notice(
                    "error", f"live session could not start: {explain(exc, self.target.rt_url)}"
                )
            return None
        self.sessions_opened += 1
        return api

    async def _reconnect(self) -> _Api | None:
        """Reconnect with backoff and jitter, resending the audio since the last final word."""
        deadline = time.monotonic() + self.reconnect_for_s
        delay = 0.25
        while time.monotonic() < deadline:
            api = await self._open(self._last_final_end)
            if api is not None:
                api.resent_from = self._last_final_end
                self.reconnects += 1
                resend = sum(block.seconds for _, block in self._kept)
                self.listener.notice(
                    "information", f"reconnected; resending {resend:.1f}s of audio"
                )
                return api
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, 4.0)
        self.listener.notice(
            "error",
            f"gave up reconnecting to {self.target.rt_url} after {self.reconnect_for_s:.0f}s",
        )
        return None

    async def _stream(self, api: _Api) -> str:
        """Send audio until the source ends ("ended") or the session is old ("rollover")."""
        self._api = api
        for start, kept in list(self._kept):  # what the last session never finalised
            if start >= api.offset - 1e-6:
                await self._send(api, kept)
        while True:
            if api.failed:
                raise _Dropped("the engine ended the session")
            if self._time_to_switch(api):
                return "rollover"
            block = await asyncio.to_thread(self.source.get, 0.2)
            if block is None:
                continue
            if block is END:
                return "ended"
            level = measure(block.samples)
            self._quiet_blocks = self._quiet_blocks + 1 if level.rms_db < QUIET_DB else 0
            self._check_lag()
            self.listener.level(level)
            self._kept.append((self.audio_seconds, block))
            self.audio_seconds += block.seconds
            await self._send(api, block)

    def _time_to_switch(self, api: _Api) -> bool:
        """Past the session limit, at a quiet moment (or at the end of the grace period)."""
        age = self.audio_seconds - api.opened_at_audio
        grace = min(MAX_GRACE_S, self.max_session_s / 4)
        if age < self.max_session_s:
            return False
        return self._quiet_blocks >= QUIET_BLOCKS or age >= self.max_session_s + grace

    async def _send(self, api: _Api, block: Block) -> None:
        try:
            await api.client.send_audio(block.pcm)
        except Exception as exc:  # a closed socket: reconnect and resend what is kept
            raise _Dropped(exc.__class__.__name__) from exc

    async def _finish(self, api: _Api, final: bool) -> None:
        """End an API session, waiting for its EndOfTranscript so its last words count."""
        try:
            await asyncio.wait_for(api.client.stop_session(), timeout=60)
            self.ended_cleanly = final or self.ended_cleanly
        except Exception as exc:  # the words already final are kept; say what happened
            if final:
                self.listener.notice(
                    "error", f"live session ended: {explain(exc, self.target.rt_url)}"
                )
        finally:
            await self._close(api.client)

    @staticmethod
    async def _close(client: Any) -> None:
        with contextlib.suppress(Exception):
            await client.close()

    def _since_start(self) -> float:
        return time.monotonic() - self.started_at if self.started_at is not None else 0.0

    def _on_partial(self, message: dict[str, Any], api: _Api) -> None:
        meta = message["metadata"]
        if self.first_partial_s is None and str(meta["transcript"]).strip():
            self.first_partial_s = self._since_start()
        self.behind_max_s = max(self.behind_max_s, self.behind_seconds)
        self.recognised_to = max(self.recognised_to, api.offset + float(meta["end_time"]))
        self.transcript.partial = str(meta["transcript"])
        self.listener.partial(self.transcript.partial)

    def _on_final(self, message: dict[str, Any], api: _Api) -> None:
        from tui.shared.transcripts import render

        offset, meta = api.offset, message["metadata"]
        self._last_final_end = max(self._last_final_end, offset + float(meta["end_time"]))
        self.recognised_to = max(self.recognised_to, self._last_final_end)
        while self._kept and self._kept[0][0] + self._kept[0][1].seconds <= self._last_final_end:
            self._kept.popleft()
        text = str(meta["transcript"])
        if api.resent_from is not None and message.get("results"):
            seamed = self.transcript.seam(message, api.resent_from, offset)
            api.resent_from = None
            if seamed is not message:
                message, text = seamed, render(seamed["results"]) + " "
        self.transcript.add(offset, message)
        self._time_words(message.get("results", []), offset)
        text = self._with_speakers(message.get("results", []), text)
        if text.strip():
            self.listener.final(text)

    def _time_words(self, results: list[dict[str, Any]], offset: float) -> None:
        """Each final word's latency: the audio sent when it came, past its end (a live source
        sends its audio as it is captured, so this is how late the word was)."""
        arrived = self._since_start()
        self.behind_max_s = max(self.behind_max_s, self.behind_seconds)
        for result in results:
            if result.get("type") not in WORDS:
                continue
            end = offset + float(result["end_time"])
            self.words.append(
                WordTiming(
                    word=str(result["alternatives"][0]["content"]),
                    start_time=offset + float(result["start_time"]),
                    end_time=end,
                    partial_first_seen_s=None,
                    final_arrival_s=arrived,
                    latency_s=max(0.0, self.audio_seconds - end),
                )
            )

    def _with_speakers(self, results: list[dict[str, Any]], text: str) -> str:
        """The final's text with ``S2: `` where the speaker changes (when diarizing)."""
        text, self._speaker = with_speakers(results, text, self._speaker)
        return text

    def _on_error(self, message: dict[str, Any], api: _Api) -> None:
        api.failed = True
        self.listener.notice(
            "error", f"engine error {message.get('type')}: {message.get('reason')}"
        )

    def _on_info(self, message: dict[str, Any]) -> None:
        """The engine's Info, where it changes what the user gets: another model than the one
        asked for, or more sessions than it serves within max_delay."""
        reason = str(message.get("reason") or "")
        if message.get("type") == "recognition_quality" and ": operating point" in reason:
            self.listener.notice("information", reason)
        elif message.get("type") == "concurrent_session_usage" and "later than" in reason:
            self.listener.notice("warning", reason)

    def _on_warning(self, message: dict[str, Any]) -> None:
        self.listener.notice(
            "warning", f"engine warning {message.get('type')}: {message.get('reason')}"
        )


def with_speakers(results: list[dict[str, Any]], text: str, last: str) -> tuple[str, str]:
    """A final's ``text`` with ``S2: `` where the speaker changes from ``last``, and the speaker
    it ends with. The spaces at its ends stay the transcript's: a mark held back and sent
    alone as the next final joins the word before it ("demo." was shown "demo .")."""
    from tui.shared.transcripts import render, turns

    parts, labelled = [], False
    for (_, speaker), group in turns(results):
        piece = render(group)
        if speaker != "UU":
            labelled = True
            if speaker != last:
                piece, last = f"{speaker}: {piece}", speaker
        parts.append(piece)
    if not labelled:
        return text, last
    lead = " " if text.startswith(" ") else ""
    return lead + " ".join(parts) + (" " if text.endswith(" ") else ""), last
