"""Audio decoding for the engine with PyAV: whole files, raw PCM streams, container streams."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np

RATE = 16000
RAW_ENCODINGS = {
    "pcm_s16le": ("pcm_s16le", 2),
    "pcm_f32le": ("pcm_f32le", 4),
    "mulaw": ("pcm_mulaw", 1),
}
UNDECODABLE = "Invalid audio type: Could not determine type of stream."


class AudioDecodeError(ValueError):
    """The bytes are not audio PyAV can decode."""


def _resampled(resampler: Any, frame: Any) -> list[np.ndarray]:
    """Resample one frame (or flush with None) to mono float32 at 16 kHz."""
    return [f.to_ndarray().reshape(-1).astype(np.float32) for f in resampler.resample(frame)]


def _new_resampler() -> Any:
    return av.AudioResampler(format="flt", layout="mono", rate=RATE)


def decode_file(source: Path | bytes) -> np.ndarray:
    """Decode a whole audio file (any container PyAV reads) to mono float32 at 16 kHz.

    Raises:
        AudioDecodeError: The data has no decodable audio stream.
    """
    handle: Any = io.BytesIO(source) if isinstance(source, bytes) else str(source)
    parts: list[np.ndarray] = []
    try:
        with av.open(handle, mode="r") as container:
            if not container.streams.audio:
                raise AudioDecodeError("the file has no audio stream")
            resampler = _new_resampler()
            for frame in container.decode(audio=0):
                parts.extend(_resampled(resampler, frame))
            parts.extend(_resampled(resampler, None))
    except AudioDecodeError:
        raise
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise AudioDecodeError(f"not a readable audio file ({exc.__class__.__name__})") from exc
    if not parts:
        raise AudioDecodeError("the file holds no audio samples")
    return np.concatenate(parts)


def probe_duration(path: Path) -> float:
    """Return an audio file's duration in seconds, decoding it if the container does not say.

    Raises:
        AudioDecodeError: The file is not audio.
    """
    try:
        with av.open(str(path), mode="r") as container:
            if not container.streams.audio:
                raise AudioDecodeError("the file has no audio stream")
            stream = container.streams.audio[0]
            if stream.duration is not None and stream.time_base is not None:
                return float(stream.duration * stream.time_base)
            if container.duration is not None:
                return float(container.duration) / 1_000_000
    except AudioDecodeError:
        raise
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise AudioDecodeError(f"not a readable audio file ({exc.__class__.__name__})") from exc
    return len(decode_file(path)) / RATE


class RawDecoder:
    """Turns raw little-endian mono PCM in arbitrary slices into float32 at 16 kHz."""

    def __init__(self, encoding: str, sample_rate: int) -> None:
        codec, self.width = RAW_ENCODINGS[encoding]
        context: Any = av.CodecContext.create(codec, "r")
        self._ctx = context
        self._ctx.sample_rate = sample_rate
        self._ctx.layout = "mono"
        self._resampler = _new_resampler() if sample_rate != RATE else None
        self._pending = b""

    def feed(self, data: bytes) -> np.ndarray:
        """Decode a slice; bytes of an incomplete sample wait for the next slice."""
        data = self._pending + data
        usable = len(data) - len(data) % self.width
        self._pending = data[usable:]
        if not usable:
            return np.zeros(0, dtype=np.float32)
        parts: list[np.ndarray] = []
        for frame in self._ctx.decode(av.Packet(data[:usable])):
            if self._resampler is None:
                parts.append(frame.to_ndarray().reshape(-1).astype(np.float32) / _scale(frame))
            else:
                parts.extend(_resampled(self._resampler, frame))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)

    def flush(self) -> np.ndarray:
        """Return what the resampler still holds."""
        if self._resampler is None:
            return np.zeros(0, dtype=np.float32)
        parts = _resampled(self._resampler, None)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def _scale(frame: Any) -> float:
    """Divisor that maps a frame's integer samples to [-1, 1]."""
    name = frame.format.name
    return 32768.0 if name.startswith("s16") else 1.0


class _BlockingPipe(io.RawIOBase):
    """A readable stream fed from another thread; read() blocks until data or close."""

    def __init__(self) -> None:
        super().__init__()
        self._buffer = bytearray()
        self._done = False
        self._cond = threading.Condition()

    def readable(self) -> bool:
        return True

    def write_chunk(self, data: bytes) -> None:
        with self._cond:
            self._buffer.extend(data)
            self._cond.notify_all()

    def finish(self) -> None:
        with self._cond:
            self._done = True
            self._cond.notify_all()

    def readinto(self, buffer: Any) -> int:
        with self._cond:
            while not self._buffer and not self._done:
                self._cond.wait()
            size = min(len(buffer), len(self._buffer))
            buffer[:size] = self._buffer[:size]
            del self._buffer[:size]
            return size


class StreamDecoder:
    """Decodes a container file arriving in slices (``type: file``) on a thread of its own.

    Args:
        on_audio: Called from the decoding thread with each block of 16 kHz float32 samples.
        on_end: Called once from the decoding thread at the end, with an error message or None.
    """

    def __init__(
        self,
        on_audio: Callable[[np.ndarray], object],
        on_end: Callable[[str | None], object],
    ) -> None:
        self._pipe = _BlockingPipe()
        self._on_audio = on_audio
        self._on_end = on_end
        self._thread = threading.Thread(target=self._run, name="stream-decoder", daemon=True)
        self._thread.start()

    def feed(self, data: bytes) -> None:
        """Hand a slice of the file to the decoder."""
        self._pipe.write_chunk(data)

    def finish(self) -> None:
        """Declare the end of the file; the decoder drains and calls ``on_end``."""
        self._pipe.finish()

    def _run(self) -> None:
        error: str | None = None
        try:
            reader = io.BufferedReader(self._pipe, buffer_size=65536)
            with av.open(reader, mode="r", options={"probesize": "65536"}) as container:
                if not container.streams.audio:
                    raise AudioDecodeError(UNDECODABLE)
                resampler = _new_resampler()
                for frame in container.decode(audio=0):
                    for block in _resampled(resampler, frame):
                        self._on_audio(block)
                for block in _resampled(resampler, None):
                    self._on_audio(block)
        except Exception:  # any decoder failure is the client's audio, reported as such
            error = UNDECODABLE
        finally:
            self._pipe.finish()
            self._on_end(error)
