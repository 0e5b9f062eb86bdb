"""The real-time v2 WebSocket API: the protocol side of one connection.

``RealtimeSession`` parses client messages, decodes audio and writes server messages; the
recognition itself is a ``RecognitionPump`` (``pump``) per channel that reports back through
its ``TranscriptWriter``. A plain session has one channel; a multichannel one (AddChannelAudio)
one per label (``channel``). The session's phase is explicit: waiting for StartRecognition,
running, ending (EndOfStream came), closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import functools
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
from aiohttp import WSMsgType, web

from tui.engine.context import ENGINE, Engine
from tui.engine.protocol import config as cfg
from tui.engine.protocol import schema
from tui.engine.protocol.results import language_pack
from tui.engine.realtime import watch
from tui.engine.realtime.channel import Channel, channel_audio, channel_labels
from tui.engine.realtime.pump import RecognitionPump
from tui.engine.realtime.session_models import ModelChoice, SessionModels, retime_raised
from tui.engine.realtime.sessions import SESSIONS, SessionLoad, SessionRegistry
from tui.engine.realtime.streaming import StreamingRecognizer
from tui.engine.realtime.translate import Translator
from tui.engine.realtime.writer import TranscriptWriter, translation_warnings
from tui.engine.recognition.asr import ModelLoadError
from tui.engine.recognition.native_memory import give_back
from tui.engine.recognition.scheduler import InferenceStalled
from tui.shared.audio import MAX_RAW_RATE, MIN_RATE, RAW_ENCODINGS, RawDecoder, StreamDecoder

log = logging.getLogger("sm_tui.engine.rt")

MAX_FRAME = 1 << 20
MAX_MESSAGE_DEPTH = 10  # a StartRecognition nests 6 deep at most
MAX_HELD_S = 30.0  # audio a session holds before it stops reading more (backpressure)
MAX_PIPE_BYTES = 1 << 20  # a file's bytes received but not decoded yet
MAX_OUTBOX = 5000  # messages the client has not read; past this it is cut off
# A reply the socket has not taken for this long: the client's buffers and the kernel's are
# full and nothing drains them, so the client has stopped reading (whether it sends or not).
UNREAD_SECONDS = 30.0
CLOSE_CODES = {
    "invalid_message": 1003,
    "protocol_error": 1003,
    "invalid_config": 1003,
    "invalid_audio_type": 1003,
    "invalid_language": 4004,
    "invalid_model": 4004,
    "not_authorised": 4001,
    "not_allowed": 4003,
    "quota_exceeded": 4005,
    "timelimit_exceeded": 4006,
    "job_error": 4013,
    "idle_timeout": 1008,
    "session_timeout": 1008,
    "unknown_error": 1011,
}


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

    def __init__(
        self, engine: Engine, registry: SessionRegistry, ws: web.WebSocketResponse
    ) -> None:
        self.engine = engine
        self.registry = registry
        self.limits = engine.limits
        self.ws = ws
        self.id = str(uuid.uuid4())
        self.load = SessionLoad()
        self.phase = SessionPhase.AWAITING_START
        self.config: dict[str, Any] = {}
        self.models = SessionModels(engine, self.load)
        self.speakers_at_end = False  # GetSpeakers final: true
        self.channels: dict[str | None, Channel] = {}  # {None: …} unless multichannel
        self.done_channels: set[str | None] = set()
        self.warned_after_eos = False
        self.slots = 0  # session slots taken: one per channel
        self.outbox: asyncio.Queue[dict[str, Any] | tuple[int, str]] = asyncio.Queue()
        self.tasks: list[asyncio.Task[None]] = []
        self.last_audio = time.monotonic()
        # The client stopped reading what the engine sends: it is cut off at once, whether or
        # not it sends anything more.
        self.not_reading = asyncio.Event()
        # Backpressure: while the session holds more audio than it can use, nothing more is
        # read from the socket (raw) or decoded (file); ``room`` and ``flowing`` say when to go on.
        self.room = asyncio.Event()
        self.room.set()
        self.flowing = threading.Event()
        self.flowing.set()
        registry.unstarted += 1

    # --- connection -------------------------------------------------------------------------

    async def run(self) -> None:
        """Serve the connection until it closes."""
        sender = asyncio.create_task(self._send_loop())
        self.tasks.append(asyncio.create_task(watch.watch_start(self)))
        try:
            await self._serve()
        except SessionError as exc:
            self.fail(exc.kind, exc.reason)
        except Exception:  # never an HTTP 500 written into the socket: an Error, then a close
            log.exception("session %s failed", self.id[:8])
            self.fail("unknown_error", "The engine could not handle that message")
        finally:
            for task in self.tasks:
                task.cancel()
            for channel in self.channels.values():
                if isinstance(channel.decoder, StreamDecoder):
                    channel.decoder.close()
                if channel.translator is not None:
                    channel.translator.close()
            if self.phase is SessionPhase.AWAITING_START:
                self.registry.unstarted -= 1
            self.registry.slots -= self.slots
            self.registry.loads.pop(self.id, None)
            registry = self.registry
            if self.slots and not registry.slots:
                registry.spawn(retime_raised(self.engine, lambda: not registry.slots))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(sender, timeout=5)
            sender.cancel()
            give_back()

    async def _serve(self) -> None:
        """Handle the client's messages until the socket closes or the client stops reading."""
        reader = asyncio.create_task(self._read())
        cut_off = asyncio.create_task(self.not_reading.wait())
        try:
            await asyncio.wait({reader, cut_off}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            cut_off.cancel()
            if not reader.done():
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
        if self.not_reading.is_set():
            if reader.done() and not reader.cancelled():
                reader.exception()  # taken: the cut-off is what the client is told
            raise SessionError("unknown_error", "The client is not reading the engine's messages")
        reader.result()  # its SessionError, if it ended on one

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == WSMsgType.TEXT:
                await self._on_text(msg.data)
            elif msg.type == WSMsgType.BINARY:
                await self._on_audio(msg.data)
            else:
                break

    @property
    def started(self) -> bool:
        """Whether StartRecognition came."""
        return self.phase is not SessionPhase.AWAITING_START

    @property
    def ended_stream(self) -> bool:
        """Whether the client has ended its audio (EndOfStream, or every EndOfChannel)."""
        return self.phase is SessionPhase.ENDING

    def send(self, message: dict[str, Any]) -> None:
        """Queue a message for the client; a client that does not read is cut off, not buffered."""
        if self.outbox.qsize() >= MAX_OUTBOX:
            self.not_reading.set()
            return
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
                async with asyncio.timeout(UNREAD_SECONDS):  # no task made for each reply
                    await self.ws.send_str(json.dumps(item))
            except TimeoutError:
                self.not_reading.set()
                return
            except ConnectionError:
                return

    # --- client messages --------------------------------------------------------------------

    async def _on_text(self, data: str) -> None:
        try:
            message = json.loads(data)
        except (ValueError, RecursionError):
            raise SessionError("invalid_message", "Messages must be JSON objects") from None
        if not isinstance(message, dict) or not isinstance(message.get("message"), str):
            raise SessionError("invalid_message", "Messages must have a 'message' field")
        if schema.depth_of(message) > MAX_MESSAGE_DEPTH:
            raise SessionError("invalid_message", "The message nests too deeply")
        kind = message["message"]
        if kind == "StartRecognition":
            if self.phase is not SessionPhase.AWAITING_START:
                raise SessionError("protocol_error", "StartRecognition was already received")
            await self._start(message)
            return
        if self.phase is SessionPhase.AWAITING_START:
            raise SessionError("protocol_error", f"{kind} sent before StartRecognition")
        if kind == "AddChannelAudio":
            await self._add_channel_audio(message)
            return
        handler = {
            "EndOfStream": self._end_of_stream,
            "EndOfChannel": self._end_of_channel,
            "ForceEndOfUtterance": self._force_end_of_utterance,
            "SetRecognitionConfig": self._set_config,
            "GetSpeakers": self._get_speakers,
        }.get(kind)
        if handler is None:
            raise SessionError("invalid_message", f"Unknown message type: {kind}")
        handler(message)

    async def _start(self, message: dict[str, Any]) -> None:
        audio_format = message.get("audio_format")
        if not isinstance(audio_format, dict) or "transcription_config" not in message:
            raise SessionError(
                "invalid_message", "StartRecognition needs audio_format and transcription_config"
            )
        try:
            self.config = cfg.validate(
                message["transcription_config"], realtime=True, languages=self.engine.languages
            )
            for key, shape in (
                ("translation_config", schema.TRANSLATION),
                ("audio_events_config", schema.AUDIO_EVENTS),
            ):
                if key in message:
                    schema.check(message[key], shape, key)
        except cfg.ConfigError as exc:
            raise SessionError(exc.kind, exc.reason) from None
        except schema.SchemaError as exc:
            raise SessionError("invalid_config", str(exc)) from None
        self.models.configure(self.config)
        language = str(self.config["language"])
        try:
            labels = channel_labels(self.config)
        except ValueError as exc:
            raise SessionError("invalid_config", str(exc)) from None
        wanted: list[str | None] = [*labels] if labels else [None]
        for label in wanted:
            self.channels[label] = self._open_channel(label, audio_format)
        if self.registry.slots + len(self.channels) > self.engine.limits.max_sessions:
            raise SessionError("quota_exceeded", "Too many concurrent sessions; retry shortly")
        self.slots = len(self.channels)
        self.registry.slots += self.slots
        self.registry.unstarted -= 1
        self.phase = SessionPhase.RUNNING
        started: dict[str, Any] = {
            "message": "RecognitionStarted",
            "id": self.id,
            "orchestrator_version": "local-0.1.0",
            "language_pack_info": language_pack(language),
        }
        if labels:
            started["channel_ids"] = labels
        # Said before any model loads (the first enhanced session may wait seconds for it):
        # clients give up on RecognitionStarted after a few seconds. Audio waits meanwhile.
        self.send(started)
        try:
            choice = await self.models.load_models(self.config, self.registry.slots)
        except ModelLoadError as exc:
            raise SessionError("invalid_model", str(exc)) from None
        self.registry.loads[self.id] = self.load
        self._tell_model(choice)
        self.models.sessions = lambda: self.registry.slots
        self.models.on_change = self._tell_model
        self._add_features(message.get("translation_config"), language)
        for channel in self.channels.values():
            self.tasks.append(asyncio.create_task(self._pump_loop(channel)))
        self.tasks.append(asyncio.create_task(watch.watch_duration(self)))
        self.tasks.append(asyncio.create_task(watch.watch_idle(self)))
        log.info("session %s started %s", self.id[:8], json.dumps(audio_format))

    def _tell_model(self, choice: ModelChoice) -> None:
        """The Infos that say which model the session runs (at its start, and when it changes)."""
        for info in choice.infos(self.registry.slots):
            self.send(info)

    def _add_features(self, translation: Any, language: str) -> None:
        """Speaker labels and translation, on each channel that needs them."""
        english = self.models.translates(translation, language)
        partials = isinstance(translation, dict) and bool(translation.get("enable_partials"))
        for channel in self.channels.values():
            channel.speakers = self.models.speakers()
            if channel.speakers is not None:
                channel.pump.label = functools.partial(self.models.label, channel.speakers)
                channel.pump.peek = functools.partial(self.models.peek, channel.speakers)
            if english:
                channel.translator = Translator(
                    self.models.translate, self.send, channel.label, partials=partials
                )
                channel.writer.on_final = channel.translator.final
        supported = frozenset({"en"}) if english else frozenset()
        translation_warnings(self.send, translation, language, supported)

    @property
    def multichannel(self) -> bool:
        """Whether audio comes as AddChannelAudio, one stream per label."""
        return None not in self.channels

    def _open_channel(self, label: str | None, audio_format: dict[str, Any]) -> Channel:
        decoder = self._open_decoder(audio_format, label)
        stream = StreamingRecognizer(
            max_delay=float(self.config.get("max_delay", 4.0)),
            eou_trigger=self._eou_trigger(),
            decoding=self.models.decoding,
        )
        writer = TranscriptWriter(
            self.send, lambda: self._channel_done(label), lambda: self.config, label
        )
        pump = RecognitionPump(stream, self.models.infer, writer, on_step=self._update_flow)
        return Channel(label, decoder, pump, writer)

    def _channel_done(self, label: str | None) -> None:
        """A channel sent its last word; after the last one (and its translation),
        EndOfTranscript and a close."""
        self.tasks.append(asyncio.create_task(self._finish_channel(label)))

    async def _finish_channel(self, label: str | None) -> None:
        translator = self.channels[label].translator
        if translator is not None:
            await translator.finish()
        self.done_channels.add(label)
        if len(self.done_channels) == len(self.channels):
            if self.speakers_at_end:
                self._send_speakers()
            self.send({"message": "EndOfTranscript"})
            self.close(1000, "")

    def _send_speakers(self) -> None:
        found: dict[str, object] = {}
        for channel in self.channels.values():
            for speaker in channel.speakers.speakers() if channel.speakers else []:
                found.setdefault(str(speaker["label"]), speaker)
        self.send({"message": "SpeakersResult", "speakers": list(found.values())})

    def _eou_trigger(self) -> float:
        conversation = self.config.get("conversation_config") or {}
        return float(conversation.get("end_of_utterance_silence_trigger") or 0.0)

    def _open_decoder(
        self, audio_format: dict[str, Any], label: str | None
    ) -> RawDecoder | StreamDecoder:
        kind = audio_format.get("type")
        if kind == "file":
            loop = asyncio.get_running_loop()

            def later(callback: Callable[[Any], None], value: Any) -> None:
                with contextlib.suppress(RuntimeError):  # the loop closed: the session is gone
                    loop.call_soon_threadsafe(callback, value)

            return StreamDecoder(
                on_audio=lambda block: later(lambda b: self._on_samples(label, b), block),
                on_end=lambda error: later(lambda e: self._on_decoder_end(label, e), error),
                flowing=self.flowing,
            )
        encoding, rate = audio_format.get("encoding"), audio_format.get("sample_rate")
        if kind != "raw" or encoding not in RAW_ENCODINGS:
            raise SessionError("invalid_audio_type", f"Unsupported audio format: {audio_format}")
        if (
            isinstance(rate, bool)
            or not isinstance(rate, int)
            or not MIN_RATE <= rate <= MAX_RAW_RATE
        ):
            raise SessionError(
                "invalid_audio_type",
                f"sample_rate must be a whole number from {MIN_RATE} to {MAX_RAW_RATE} Hz",
            )
        return RawDecoder(str(encoding), rate)

    async def _on_audio(self, data: bytes) -> None:
        if self.phase is SessionPhase.AWAITING_START:
            raise SessionError("protocol_error", "Audio sent before StartRecognition")
        if self.multichannel:
            names = ", ".join(str(label) for label in self.channels)
            raise SessionError(
                "protocol_error", f"This session has channels ({names}): send AddChannelAudio"
            )
        channel = self.channels[None]
        if channel.ended:
            self._warn_after_end()
            return
        channel.seq_no += 1
        self.send({"message": "AudioAdded", "seq_no": channel.seq_no})
        await self._feed(channel, data)

    async def _add_channel_audio(self, message: dict[str, Any]) -> None:
        try:
            label, data = channel_audio(message)
        except ValueError as exc:
            raise SessionError("invalid_message", str(exc)) from None
        channel = self._channel(label)
        if channel.ended:
            self._warn_after_end()
            return
        channel.seq_no += 1
        self.send({"message": "ChannelAudioAdded", "seq_no": channel.seq_no, "channel": label})
        await self._feed(channel, data)

    def _channel(self, label: Any) -> Channel:
        """The channel a multichannel message names."""
        if not self.multichannel:
            raise SessionError(
                "invalid_message",
                f"{label!r} is not a channel: channel audio needs diarization 'channel' and "
                "channel_diarization_labels naming the channels in StartRecognition",
            )
        if label not in self.channels:
            names = ", ".join(str(name) for name in self.channels)
            raise SessionError(
                "invalid_message", f"Unknown channel {label!r}: this session's are {names}"
            )
        return self.channels[label]

    def _warn_after_end(self) -> None:
        if not self.warned_after_eos:
            self.warned_after_eos = True
            self.send(
                {
                    "message": "Warning",
                    "type": "add_audio_after_eos",
                    "reason": "Audio received after EndOfStream (or EndOfChannel) was ignored",
                }
            )

    async def _feed(self, channel: Channel, data: bytes) -> None:
        self.last_audio = time.monotonic()
        decoder = channel.decoder
        if isinstance(decoder, RawDecoder):  # decoding never runs on the event loop
            self._on_samples(channel.label, await asyncio.to_thread(decoder.feed, data))
        else:
            decoder.feed(data)
            while decoder.backlog > MAX_PIPE_BYTES and not self.ws.closed:
                await asyncio.sleep(0.02)
        while not self.room.is_set() and not self.ws.closed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.room.wait(), timeout=1.0)

    def _on_samples(self, label: str | None, samples: np.ndarray) -> None:
        channel = self.channels.get(label)
        if channel is not None:
            channel.pump.add_audio(samples)
            if channel.translator is not None:
                channel.translator.add_audio(samples)
            self._update_flow()

    def _update_flow(self) -> None:
        """Open or close the tap, by how much audio the session holds."""
        held = max((c.pump.stream.held_seconds for c in self.channels.values()), default=0.0)
        if held > MAX_HELD_S:
            self.room.clear()
            self.flowing.clear()
        else:
            self.room.set()
            self.flowing.set()

    def _on_decoder_end(self, label: str | None, error: str | None) -> None:
        channel = self.channels.get(label)
        if channel is None:
            return
        if error is not None:
            self.fail("invalid_audio_type", error)
            return
        channel.decoder_drained = True
        if channel.ended:
            channel.pump.close_input()

    def _end_channel(self, channel: Channel) -> None:
        """No more audio comes on ``channel``: its pump flushes once every sample is in."""
        if channel.ended:
            return
        channel.ended = True
        if isinstance(channel.decoder, RawDecoder):
            self._on_samples(channel.label, channel.decoder.flush())
            channel.pump.close_input()
        else:
            channel.decoder.finish()  # the pump's input closes when the decoder has drained
            if channel.decoder_drained:
                channel.pump.close_input()
        if all(c.ended for c in self.channels.values()):
            self.phase = SessionPhase.ENDING

    def _end_of_stream(self, message: dict[str, Any]) -> None:
        sent = sum(c.seq_no for c in self.channels.values())
        if message.get("last_seq_no") != sent:
            log.info("last_seq_no %s, frames %s", message.get("last_seq_no"), sent)
        for channel in self.channels.values():
            self._end_channel(channel)

    def _end_of_channel(self, message: dict[str, Any]) -> None:
        channel = self._channel(message.get("channel"))
        if message.get("last_seq_no") != channel.seq_no:
            log.info(
                "%s last_seq_no %s, frames %s",
                channel.label,
                message.get("last_seq_no"),
                channel.seq_no,
            )
        self._end_channel(channel)

    def _force_end_of_utterance(self, message: dict[str, Any]) -> None:
        label = message.get("channel")
        named = self.multichannel and label is not None
        for channel in [self._channel(label)] if named else self.channels.values():
            channel.pump.force_end_of_utterance()

    def _set_config(self, message: dict[str, Any]) -> None:
        try:
            self.config = cfg.validate_change(
                self.config, message.get("transcription_config"), self.engine.languages
            )
        except cfg.ConfigError as exc:
            raise SessionError(exc.kind, exc.reason) from None
        for channel in self.channels.values():
            channel.pump.stream.max_delay = float(self.config.get("max_delay", 4.0))
            channel.pump.stream.eou_trigger = self._eou_trigger()

    def _get_speakers(self, message: dict[str, Any]) -> None:
        """The voices so far; with ``final: true``, once more just before EndOfTranscript."""
        if message.get("final") is True:
            self.speakers_at_end = True
            return
        self._send_speakers()

    # --- recognition ------------------------------------------------------------------------

    async def _pump_loop(self, channel: Channel) -> None:
        try:
            await channel.pump.run()
        except InferenceStalled as exc:
            self.fail(
                "job_error",
                f"The recogniser stopped answering ({exc}): start a new session, and restart "
                "the engine if it happens again",
            )
        except Exception as exc:  # a recogniser failure ends this session only
            log.exception("recogniser failed")
            self.fail("job_error", f"Recogniser failure: {exc.__class__.__name__}")


async def session_load(request: web.Request) -> web.Response:
    """``GET /v2/sm-tui/realtime/{id}``: a running session's compute over its audio."""
    session_id = request.match_info["session_id"]
    load = request.app[SESSIONS].loads.get(session_id)
    if load is None:
        return web.json_response(
            {"code": 404, "error": "Not Found", "detail": "No running session has that id"},
            status=404,
        )
    return web.json_response(load.as_json(session_id))


async def handle_websocket(request: web.Request) -> web.StreamResponse:
    """The real-time endpoint: ``GET /v2``, ``/v2/`` and ``/v2/{lang}``."""
    engine: Engine = request.app[ENGINE]
    registry = request.app[SESSIONS]
    ws = web.WebSocketResponse(max_msg_size=MAX_FRAME, autoping=True)
    if not ws.can_prepare(request).ok:
        return web.json_response(
            {"code": 400, "error": "Bad Request", "detail": "Expected a WebSocket upgrade"},
            status=400,
        )
    if registry.unstarted >= engine.limits.max_unstarted:
        return web.json_response(
            {
                "code": 503,
                "error": "Service Unavailable",
                "detail": "Too many connections waiting to start; retry shortly",
            },
            status=503,
            headers={"Retry-After": "5"},
        )
    await ws.prepare(request)
    session = RealtimeSession(engine, registry, ws)
    await session.run()
    if session.not_reading.is_set() and request.transport is not None:
        # The client reads nothing, so the close frame would wait behind its full buffers for
        # ever, and the connection with it (28 MB unread in the kernel, still open): drop it.
        request.transport.abort()
    return ws
