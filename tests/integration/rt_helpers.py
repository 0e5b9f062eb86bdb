"""Helpers for driving the real-time API: the rt SDK, and a raw WebSocket for what it cannot send."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
from speechmatics import rt

from tui.shared.audio import decode_file


def pcm(path: Path, encoding: str = "pcm_s16le", rate: int = 16000) -> bytes:
    """A recording as raw mono PCM in the given encoding and rate."""
    import av

    audio = decode_file(path)
    if rate != 16000:
        frame = av.AudioFrame.from_ndarray(audio.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = 16000
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        parts = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
        parts += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
        audio = np.concatenate(parts)
    if encoding == "pcm_f32le":
        return audio.astype("<f4").tobytes()
    if encoding == "mulaw":
        codec = av.CodecContext.create("pcm_mulaw", "w")
        codec.sample_rate, codec.layout, codec.format = rate, "mono", "s16"
        frame = av.AudioFrame.from_ndarray(
            (np.clip(audio, -1, 1) * 32767).astype(np.int16).reshape(1, -1),
            format="s16",
            layout="mono",
        )
        frame.sample_rate = rate
        return b"".join(bytes(p) for p in codec.encode(frame)) + b"".join(
            bytes(p) for p in codec.encode(None)
        )
    return (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()


@dataclass
class Capture:
    """Every server message of a session, with its arrival time."""

    messages: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [m for _, m in self.messages if m.get("message") == kind]

    @property
    def final_text(self) -> str:
        return "".join(m["metadata"]["transcript"] for m in self.of("AddTranscript"))


def capture(client: rt.AsyncClient) -> Capture:
    """Record every message the client receives."""
    got = Capture()
    for kind in rt.ServerMessageType:
        client.on(kind, lambda m: got.messages.append((time.monotonic(), m)))
    return got


async def stream(
    engine: Any,
    audio: bytes,
    *,
    encoding: str = "pcm_s16le",
    rate: int = 16000,
    paced: bool = True,
    chunk_seconds: float = 0.1,
    **config: Any,
) -> Capture:
    """Stream raw audio through the rt SDK (paced at real time or not) and capture the session."""
    client = rt.AsyncClient(api_key=engine.api_key, url=engine.rt_url)
    got = capture(client)
    width = {"pcm_s16le": 2, "pcm_f32le": 4, "mulaw": 1}[encoding]
    chunk = int(rate * chunk_seconds) * width
    await client.start_session(
        # The SDK asks for the enhanced model unless told: the protocol tests take the fast one.
        transcription_config=rt.TranscriptionConfig(
            **{"language": "en", "model": "standard", **config}
        ),
        audio_format=rt.AudioFormat(
            encoding=rt.AudioEncoding(encoding), sample_rate=rate, chunk_size=chunk
        ),
    )
    started = time.monotonic()
    for offset in range(0, len(audio), chunk):
        if paced:
            await asyncio.sleep(max(0.0, started + offset / (rate * width) - time.monotonic()))
        await client.send_audio(audio[offset : offset + chunk])
    await asyncio.wait_for(client.stop_session(), timeout=60)
    return got


class RawSession:
    """A plain WebSocket to the engine, for messages the SDK never sends."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.session = aiohttp.ClientSession()
        self.ws: aiohttp.ClientWebSocketResponse | None = None

    async def __aenter__(self) -> RawSession:
        headers = {"Authorization": f"Bearer {self.engine.api_key}"}
        self.ws = await self.session.ws_connect(self.engine.rt_url, headers=headers)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.ws is not None:
            await self.ws.close()
        await self.session.close()

    async def start(self, **config: Any) -> dict[str, Any]:
        await self.send(
            {
                "message": "StartRecognition",
                "audio_format": {"type": "raw", "encoding": "pcm_s16le", "sample_rate": 16000},
                "transcription_config": {"language": "en", **config},
            }
        )
        return await self.expect("RecognitionStarted")

    async def send(self, message: dict[str, Any]) -> None:
        assert self.ws is not None
        await self.ws.send_str(json.dumps(message))

    async def receive(self, timeout: float = 30) -> dict[str, Any] | None:
        """The next JSON message, or None when the server closed."""
        assert self.ws is not None
        msg = await self.ws.receive(timeout=timeout)
        if msg.type == aiohttp.WSMsgType.TEXT:
            return dict(json.loads(msg.data))
        return None

    async def expect(self, kind: str, timeout: float = 30) -> dict[str, Any]:
        """Skip messages until one of ``kind`` arrives."""
        while True:
            message = await self.receive(timeout)
            assert message is not None, f"closed before {kind}"
            if message["message"] == kind:
                return message

    async def until_closed(self, timeout: float = 60) -> list[dict[str, Any]]:
        """Every message until the server closes."""
        got = []
        while (message := await self.receive(timeout)) is not None:
            got.append(message)
        return got

    @property
    def close_code(self) -> int | None:
        assert self.ws is not None
        return self.ws.close_code
