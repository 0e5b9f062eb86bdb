"""The real-time v2 WebSocket API: one ``RealtimeSession`` per connection."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

import numpy as np
from aiohttp import WSMsgType, web

from tui.engine import config as cfg
from tui.engine.asr import Word, speech_regions
from tui.engine.audio import RAW_ENCODINGS, RawDecoder, StreamDecoder
from tui.engine.results import LANGUAGE_PACK, render, to_results
from tui.engine.scheduler import REALTIME
from tui.engine.streaming import StreamingRecognizer, Window

if TYPE_CHECKING:
    from tui.engine.server import Engine

log = logging.getLogger("sm_tui.engine.rt")

MIN_STEP_S = 0.3  # new audio that triggers a step
MAX_FRAME = 1 << 20
CLOSE_CODES = {
    "invalid_message": 1003, "protocol_error": 1003, "invalid_config": 1003,
    "invalid_audio_type": 1003, "invalid_language": 4004, "invalid_model": 4004,
    "not_authorised": 4001, "not_allowed": 4003, "quota_exceeded": 4005,
    "timelimit_exceeded": 4006, "job_error": 4013, "idle_timeout": 1008,
    "session_timeout": 1008, "unknown_error": 1011,
}  # fmt: skip


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
        self.config: dict[str, Any] = {}
        self.recognizer: StreamingRecognizer | None = None
        self.seq_no = 0
        self.eos = False
        self.input_finished = False
        self.force_pending = False
        self.warned_after_eos = False
        self.counted = False
        self.decoder: RawDecoder | None = None
        self.stream_decoder: StreamDecoder | None = None
        self.wake = asyncio.Event()
        self.outbox: asyncio.Queue[dict[str, Any] | tuple[int, str]] = asyncio.Queue()
        self.tasks: list[asyncio.Task[None]] = []
        self.step_end = 0.0
        self.sent_final_end = 0.0
        self.last_partial: str | None = None
        self.compute_ema = 0.3

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
            if self.stream_decoder is not None:
                self.stream_decoder.finish()
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
            if self.recognizer is not None:
                raise SessionError("protocol_error", "StartRecognition was already received")
            self._start(message)
            return
        if self.recognizer is None:
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
        self._open_decoder(audio_format)
        if self.engine.sessions >= self.engine.limits.max_sessions:
            raise SessionError("quota_exceeded", "Too many concurrent sessions; retry shortly")
        self.engine.sessions += 1
        self.counted = True
        self.recognizer = StreamingRecognizer(
            max_delay=float(self.config.get("max_delay", 4.0)),
            eou_trigger=self._eou_trigger(),
        )
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
        self.tasks.append(asyncio.create_task(self._recognise_loop()))
        self.tasks.append(asyncio.create_task(self._watch_limits()))
        log.info("session %s started %s", self.id[:8], json.dumps(audio_format))

    def _eou_trigger(self) -> float:
        conversation = self.config.get("conversation_config") or {}
        return float(conversation.get("end_of_utterance_silence_trigger") or 0.0)

    def _open_decoder(self, audio_format: dict[str, Any]) -> None:
        kind = audio_format.get("type")
        if kind == "file":
            loop = asyncio.get_running_loop()
            self.stream_decoder = StreamDecoder(
                on_audio=lambda block: loop.call_soon_threadsafe(self._on_samples, block),
                on_end=lambda error: loop.call_soon_threadsafe(self._on_decoder_end, error),
            )
            return
        encoding, rate = audio_format.get("encoding"), audio_format.get("sample_rate")
        if kind != "raw" or encoding not in RAW_ENCODINGS:
            raise SessionError("invalid_audio_type", f"Unsupported audio format: {audio_format}")
        if isinstance(rate, bool) or not isinstance(rate, int) or not 0 < rate <= 192000:
            raise SessionError("invalid_audio_type", "sample_rate must be a positive integer")
        self.decoder = RawDecoder(str(encoding), rate)

    def _on_audio(self, data: bytes) -> None:
        if self.recognizer is None:
            raise SessionError("protocol_error", "Audio sent before StartRecognition")
        if self.eos:
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
        if self.decoder is not None:
            self._on_samples(self.decoder.feed(data))
        elif self.stream_decoder is not None:
            self.stream_decoder.feed(data)

    def _on_samples(self, samples: np.ndarray) -> None:
        if self.recognizer is not None and not self.input_finished:
            self.recognizer.add_audio(samples)
            if self.recognizer.audio_end - self.step_end >= MIN_STEP_S:
                self.wake.set()

    def _on_decoder_end(self, error: str | None) -> None:
        if error is not None and self.recognizer is not None:
            self.fail("invalid_audio_type", error)
            return
        self.input_finished = True
        self.wake.set()

    def _end_of_stream(self, message: dict[str, Any]) -> None:
        if self.eos:
            return
        if message.get("last_seq_no") != self.seq_no:
            log.info("last_seq_no %s, frames %s", message.get("last_seq_no"), self.seq_no)
        self.eos = True
        if self.decoder is not None:
            self._on_samples(self.decoder.flush())
            self.input_finished = True
        elif self.stream_decoder is not None:
            self.stream_decoder.finish()
        self.wake.set()

    def _force_end_of_utterance(self, message: dict[str, Any]) -> None:
        self.force_pending = True
        self.wake.set()

    def _set_config(self, message: dict[str, Any]) -> None:
        try:
            self.config = cfg.validate_change(self.config, message.get("transcription_config"))
        except cfg.ConfigError as exc:
            raise SessionError(exc.kind, exc.reason) from None
        assert self.recognizer is not None
        self.recognizer.max_delay = float(self.config.get("max_delay", 4.0))
        self.recognizer.eou_trigger = self._eou_trigger()

    def _get_speakers(self, message: dict[str, Any]) -> None:
        self.send({"message": "SpeakersResult", "speakers": []})

    # --- recognition ------------------------------------------------------------------------

    async def _recognise_loop(self) -> None:
        assert self.recognizer is not None
        rec = self.recognizer
        try:
            while True:
                await self.wake.wait()
                self.wake.clear()
                while True:
                    ending = self.eos and self.input_finished
                    forced = self.force_pending
                    if not (ending or forced or rec.audio_end - self.step_end >= MIN_STEP_S):
                        break
                    self.force_pending = False
                    window = rec.plan(flush=ending or forced)
                    await self._step(window, forced)
                    if ending and window.flush:
                        self.send({"message": "EndOfTranscript"})
                        self.close(1000, "")
                        return
        except Exception as exc:  # a recogniser failure ends this session only
            log.exception("recogniser failed")
            self.fail("job_error", f"Recogniser failure: {exc.__class__.__name__}")

    async def _step(self, window: Window, forced: bool) -> None:
        assert self.recognizer is not None
        started = time.monotonic()
        words, speech = await self.engine.scheduler.run(REALTIME, self._infer, window)
        self.compute_ema = 0.7 * self.compute_ema + 0.3 * (time.monotonic() - started)
        self.recognizer.step_cost = MIN_STEP_S + self.compute_ema
        self.step_end = window.end
        update = self.recognizer.apply(window, words, speech)
        if update.finals or forced:
            self._send_final(update.finals, forced)
        self._send_partial(update.partial, force=bool(update.finals) or forced)
        if forced:
            self.recognizer.force_end_of_utterance()
            end = self.sent_final_end
            self._send_eou(end, forced=True)
        elif update.end_of_utterance is not None:
            self._send_eou(update.end_of_utterance, forced=False)

    def _infer(self, window: Window) -> tuple[list[Word], list[tuple[float, float]]]:
        """Runs on the inference thread: VAD, then Whisper only where there is speech."""
        speech = speech_regions(window.audio)
        if not speech:
            return [], []
        first = max(0.0, speech[0][0] - 0.2)
        skip = int(first * 16000)
        words = self.engine.recognizer.transcribe(window.audio[skip:], prompt=window.prompt)
        return [w.shifted(first) for w in words], speech

    def _results(self, words: list[Word]) -> list[dict[str, Any]]:
        speaker = (
            "S1" if self.config.get("diarization") in ("speaker", "channel_and_speaker") else None
        )
        return to_results(words, speaker=speaker, language=str(self.config.get("language", "en")))

    def _send_final(self, words: list[Word], forced: bool) -> None:
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

    def _send_partial(self, words: list[Word], force: bool) -> None:
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

    def _send_eou(self, time_s: float, forced: bool) -> None:
        message: dict[str, Any] = {
            "message": "EndOfUtterance",
            "metadata": {"start_time": time_s, "end_time": time_s},
        }
        if forced:
            message["forced"] = True
        self.send(message)

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
    engine: Engine = request.app["engine"]
    ws = web.WebSocketResponse(max_msg_size=MAX_FRAME, autoping=True)
    if not ws.can_prepare(request).ok:
        return web.json_response(
            {"code": 400, "error": "Bad Request", "detail": "Expected a WebSocket upgrade"},
            status=400,
        )
    await ws.prepare(request)
    await RealtimeSession(engine, ws).run()
    return ws
