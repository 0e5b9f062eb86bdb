"""The real-time v2 WebSocket API: the protocol side of one connection.

``RealtimeSession`` parses client messages, decodes audio and writes server messages; the
recognition itself is a ``RecognitionPump`` (``rt_pump``) that reports back through the
``PumpSink`` methods here. The session's phase is explicit: waiting for StartRecognition,
running, ending (EndOfStream came), closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import logging
import uuid
from typing import Any

import numpy as np
from aiohttp import WSMsgType, web

from tui.engine import config as cfg
from tui.engine.asr import Word
from tui.engine.context import ENGINE, Engine
from tui.engine.results import LANGUAGE_PACK, to_results
from tui.engine.rt_pump import RecognitionPump, Speech, infer_window
from tui.engine.scheduler import REALTIME
from tui.engine.streaming import StreamingRecognizer, Window
from tui.shared.audio import RAW_ENCODINGS, RawDecoder, StreamDecoder
from tui.shared.transcripts import render

log = logging.getLogger("sm_tui.engine.rt")

MAX_FRAME = 1 << 20
CLOSE_CODES = {
    "invalid_message": 1003, "protocol_error": 1003, "invalid_config": 1003,
    "invalid_audio_type": 1003, "invalid_language": 4004, "invalid_model": 4004,
    "not_authorised": 4001, "not_allowed": 4003, "quota_exceeded": 4005,
    "timelimit_exceeded": 4006, "job_error": 4013, "idle_timeout": 1008,
    "session_timeout": 1008, "unknown_error": 1011,
}  # fmt: skip


class SessionPhase(enum.Enum):
    """Where a connection is in the protocol."""

    AWAITING_START = "awaiting_start"
    RUNNING = "running"
    ENDING = "ending"  # EndOfStream received: remaining words are flushed, then EndOfTranscript


class SessionError(Exception):
    """Ends the session with an Error message and a close."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


class RealtimeSession:
    """One WebSocket connection, from StartRecognition to EndOfTranscript."""

    def __init__(self, engine: Engine, ws: web.WebSocketResponse) -> None:
        self.engine = engine
        self.ws = ws
        self.id = str(uuid.uuid4())
        self.phase = SessionPhase.AWAITING_START
        self.config: dict[str, Any] = {}
        self.pump: RecognitionPump | None = None
        self.seq_no = 0
        self.warned_after_eos = False
        self.counted = False
        self.decoder: RawDecoder | StreamDecoder | None = None
        self.decoder_drained = False  # a file's decoder reached its end
        self.outbox: asyncio.Queue[dict[str, Any] | tuple[int, str]] = asyncio.Queue()
        self.tasks: list[asyncio.Task[None]] = []
        self.sent_final_end = 0.0
        self.last_partial: str | None = None

    # --- connection -------------------------------------------------------------------------

    async def run(self) -> None:
        """Serve the connection until it closes."""
        sender = asyncio.create_task(self._send_loop())
        try:
            async for msg in self.ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_text(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    self._on_audio(msg.data)
                else:
                    break
        except SessionError as exc:
            self.fail(exc.kind, exc.reason)
        finally:
            for task in self.tasks:
                task.cancel()
            if isinstance(self.decoder, StreamDecoder):
                self.decoder.finish()
            if self.counted:
                self.engine.sessions -= 1
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(sender, timeout=5)
            sender.cancel()

    def send(self, message: dict[str, Any]) -> None:
        """Queue a message for the client."""
        self.outbox.put_nowait(message)

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Queue the close, after every message queued before it."""
        self.outbox.put_nowait((code, reason))

    def fail(self, kind: str, reason: str) -> None:
        """Send an Error and close with the code the protocol gives its type."""
        log.info("session %s error %s: %s", self.id[:8], kind, reason)
        self.send({"message": "Error", "type": kind, "reason": reason})
        self.close(CLOSE_CODES.get(kind, 1011), kind)

    async def _send_loop(self) -> None:
        while True:
            item = await self.outbox.get()
            if isinstance(item, tuple):
                await self.ws.close(code=item[0], message=item[1].encode())
                return
            if self.ws.closed:
                return
            try:
                await self.ws.send_str(json.dumps(item))
            except ConnectionError:
                return

    # --- client messages --------------------------------------------------------------------

    async def _on_text(self, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            raise SessionError("invalid_message", "Messages must be JSON objects") from None
        if not isinstance(message, dict) or not isinstance(message.get("message"), str):
            raise SessionError("invalid_message", "Messages must have a 'message' field")
        kind = message["message"]
        if kind == "StartRecognition":
            if self.phase is not SessionPhase.AWAITING_START:
                raise SessionError("protocol_error", "StartRecognition was already received")
            self._start(message)
            return
        if self.phase is SessionPhase.AWAITING_START:
            raise SessionError("protocol_error", f"{kind} sent before StartRecognition")
        handler = {
            "EndOfStream": self._end_of_stream,
            "ForceEndOfUtterance": self._force_end_of_utterance,
            "SetRecognitionConfig": self._set_config,
            "GetSpeakers": self._get_speakers,
        }.get(kind)
        if handler is None:
            raise SessionError("invalid_message", f"Unknown message type: {kind}")
        handler(message)

    def _start(self, message: dict[str, Any]) -> None:
        audio_format = message.get("audio_format")
        if not isinstance(audio_format, dict) or "transcription_config" not in message:
            raise SessionError(
                "invalid_message", "StartRecognition needs audio_format and transcription_config"
            )
        try:
            self.config = cfg.validate(message["transcription_config"], realtime=True)
        except cfg.ConfigError as exc:
            raise SessionError(exc.kind, exc.reason) from None
        self.decoder = self._open_decoder(audio_format)
        if self.engine.sessions >= self.engine.limits.max_sessions:
            raise SessionError("quota_exceeded", "Too many concurrent sessions; retry shortly")
        self.engine.sessions += 1
        self.counted = True
        stream = StreamingRecognizer(
            max_delay=float(self.config.get("max_delay", 4.0)), eou_trigger=self._eou_trigger()
        )
        self.pump = RecognitionPump(stream, self._infer, self)
        self.phase = SessionPhase.RUNNING
        self.send(
            {
                "message": "RecognitionStarted",
                "id": self.id,
                "orchestrator_version": "local-0.1.0",
                "language_pack_info": LANGUAGE_PACK,
            }
        )
        self.send(
            {
                "message": "Info",
                "type": "recognition_quality",
                "quality": "broadcast",
                "reason": "Running recognition using a broadcast model quality.",
            }
        )
        self.tasks.append(asyncio.create_task(self._pump_loop()))
        self.tasks.append(asyncio.create_task(self._watch_limits()))
        log.info("session %s started %s", self.id[:8], json.dumps(audio_format))

    def _eou_trigger(self) -> float:
        conversation = self.config.get("conversation_config") or {}
        return float(conversation.get("end_of_utterance_silence_trigger") or 0.0)

    def _open_decoder(self, audio_format: dict[str, Any]) -> RawDecoder | StreamDecoder:
        kind = audio_format.get("type")
        if kind == "file":
            loop = asyncio.get_running_loop()
            return StreamDecoder(
                on_audio=lambda block: loop.call_soon_threadsafe(self._on_samples, block),
                on_end=lambda error: loop.call_soon_threadsafe(self._on_decoder_end, error),
            )
        encoding, rate = audio_format.get("encoding"), audio_format.get("sample_rate")
        if kind != "raw" or encoding not in RAW_ENCODINGS:
            raise SessionError("invalid_audio_type", f"Unsupported audio format: {audio_format}")
        if isinstance(rate, bool) or not isinstance(rate, int) or not 0 < rate <= 192000:
            raise SessionError("invalid_audio_type", "sample_rate must be a positive integer")
        return RawDecoder(str(encoding), rate)

    def _on_audio(self, data: bytes) -> None:
        if self.phase is SessionPhase.AWAITING_START:
            raise SessionError("protocol_error", "Audio sent before StartRecognition")
        if self.phase is SessionPhase.ENDING:
            if not self.warned_after_eos:
                self.warned_after_eos = True
                self.send(
                    {
                        "message": "Warning",
                        "type": "add_audio_after_eos",
                        "reason": "Audio received after EndOfStream was ignored",
                    }
                )
            return
        self.seq_no += 1
        self.send({"message": "AudioAdded", "seq_no": self.seq_no})
        if isinstance(self.decoder, RawDecoder):
            self._on_samples(self.decoder.feed(data))
        elif isinstance(self.decoder, StreamDecoder):
            self.decoder.feed(data)

    def _on_samples(self, samples: np.ndarray) -> None:
        if self.pump is not None:
            self.pump.add_audio(samples)

    def _on_decoder_end(self, error: str | None) -> None:
        if error is not None and self.pump is not None:
            self.fail("invalid_audio_type", error)
            return
        self.decoder_drained = True
        if self.pump is not None and self.phase is SessionPhase.ENDING:
            self.pump.close_input()

    def _end_of_stream(self, message: dict[str, Any]) -> None:
        if self.phase is SessionPhase.ENDING:
            return
        if message.get("last_seq_no") != self.seq_no:
            log.info("last_seq_no %s, frames %s", message.get("last_seq_no"), self.seq_no)
        self.phase = SessionPhase.ENDING
        if isinstance(self.decoder, RawDecoder):
            self._on_samples(self.decoder.flush())
            if self.pump is not None:
                self.pump.close_input()
        elif isinstance(self.decoder, StreamDecoder):
            self.decoder.finish()  # the pump's input closes when the decoder has drained
            if self.decoder_drained and self.pump is not None:
                self.pump.close_input()

    def _force_end_of_utterance(self, message: dict[str, Any]) -> None:
        if self.pump is not None:
            self.pump.force_end_of_utterance()

    def _set_config(self, message: dict[str, Any]) -> None:
        try:
            self.config = cfg.validate_change(self.config, message.get("transcription_config"))
        except cfg.ConfigError as exc:
            raise SessionError(exc.kind, exc.reason) from None
        assert self.pump is not None
        self.pump.stream.max_delay = float(self.config.get("max_delay", 4.0))
        self.pump.stream.eou_trigger = self._eou_trigger()

    def _get_speakers(self, message: dict[str, Any]) -> None:
        self.send({"message": "SpeakersResult", "speakers": []})

    # --- recognition ------------------------------------------------------------------------

    async def _infer(self, window: Window) -> tuple[list[Word], Speech]:
        return await self.engine.scheduler.run(
            REALTIME, infer_window, self.engine.recognizer, window
        )

    async def _pump_loop(self) -> None:
        assert self.pump is not None
        try:
            await self.pump.run()
        except Exception as exc:  # a recogniser failure ends this session only
            log.exception("recogniser failed")
            self.fail("job_error", f"Recogniser failure: {exc.__class__.__name__}")

    def _results(self, words: list[Word]) -> list[dict[str, Any]]:
        speaker = (
            "S1" if self.config.get("diarization") in ("speaker", "channel_and_speaker") else None
        )
        return to_results(words, speaker=speaker, language=str(self.config.get("language", "en")))

    # PumpSink: the pump's decisions as protocol messages

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
        if not self.config.get("enable_partials"):
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

    async def _watch_limits(self) -> None:
        limit = self.engine.limits.max_session_s
        await asyncio.sleep(max(0.0, limit - 1.0))
        self.send(
            {
                "message": "Warning",
                "type": "session_timeout",
                "reason": f"Session will timeout in 1s due to max duration of {limit:g}s",
            }
        )
        await asyncio.sleep(min(1.0, limit))
        self.fail("session_timeout", f"Session reached its maximum duration of {limit:g}s")


async def handle_websocket(request: web.Request) -> web.StreamResponse:
    """The real-time endpoint: ``GET /v2``, ``/v2/`` and ``/v2/{lang}``."""
    engine: Engine = request.app[ENGINE]
    ws = web.WebSocketResponse(max_msg_size=MAX_FRAME, autoping=True)
    if not ws.can_prepare(request).ok:
        return web.json_response(
            {"code": 400, "error": "Bad Request", "detail": "Expected a WebSocket upgrade"},
            status=400,
        )
    await ws.prepare(request)
    await RealtimeSession(engine, ws).run()
    return ws
