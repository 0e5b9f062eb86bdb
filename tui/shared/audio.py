"""Audio with PyAV: the one sample rate, decoding of files and streams, raw PCM, resampling.

Everything sm-tui transcribes or measures is 16 kHz mono: the engine decodes uploads and
WebSocket audio to float32 at that rate, the client decodes files and pipes to int16 at it.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import av
import numpy as np

RATE = 16000
"""The sample rate of all audio sm-tui handles internally."""
MIN_RATE = 8000
"""Lowest sample rate accepted anywhere: lower rates would multiply when resampled to 16 kHz."""
MAX_RAW_RATE = 48000
"""Highest rate of raw PCM (as Speechmatics takes it)."""
MAX_FILE_RATE = 192000
"""Highest rate of a file (studio recordings at 96 or 192 kHz shrink when resampled)."""
RAW_ENCODINGS = {
    "pcm_s16le": ("pcm_s16le", 2),
    "pcm_f32le": ("pcm_f32le", 4),
    "mulaw": ("pcm_mulaw", 1),
}
UNDECODABLE = "Invalid audio type: Could not determine type of stream."


class AudioDecodeError(ValueError):
    """The bytes are not audio PyAV can decode."""


def to_int16(samples: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] as int16 (clipped)."""
    out: np.ndarray = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    return out


def seconds(samples: np.ndarray) -> float:
    """Duration of 16 kHz samples."""
    return len(samples) / RATE


def _new_resampler(channel: int | None = None) -> Any:
    if channel is None:
        return av.AudioResampler(format="flt", layout="mono", rate=RATE)
    return av.AudioResampler(format="fltp", rate=RATE)  # planar, the channels kept apart


def _resampled(resampler: Any, frame: Any, channel: int | None = None) -> list[np.ndarray]:
    """Resample one frame (or flush with None) to float32 at 16 kHz: the mono mix, or one
    channel of it."""
    if channel is None:
        return [f.to_ndarray().reshape(-1).astype(np.float32) for f in resampler.resample(frame)]
    return [f.to_ndarray()[channel].astype(np.float32) for f in resampler.resample(frame)]


def iter_decoded(
    source: Path | str | bytes | IO[bytes],
    stop: threading.Event | None = None,
    options: dict[str, str] | None = None,
    channel: int | None = None,
) -> Iterator[np.ndarray]:
    """Decode any container PyAV reads, lazily, as mono float32 blocks at 16 kHz.

    Args:
        source: A path, the file's bytes, or a readable binary stream.
        stop: Decoding ends early once this is set.
        options: FFmpeg demuxer options (e.g. a small ``probesize`` for a live stream).
        channel: Only this channel (from 0), instead of the mix of all of them.

    Raises:
        AudioDecodeError: The data has no decodable audio stream.
    """
    handle: Any = io.BytesIO(source) if isinstance(source, bytes) else source
    if isinstance(handle, Path):
        handle = str(handle)
    try:
        container = av.open(handle, mode="r", options=options or {})
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise AudioDecodeError(f"not a readable audio file ({exc.__class__.__name__})") from exc
    try:
        with container:
            if not container.streams.audio:
                raise AudioDecodeError("the file has no audio stream")
            stream = container.streams.audio[0]
            check_rate(stream.sample_rate)
            if channel is not None and not 0 <= channel < int(stream.channels or 1):
                raise AudioDecodeError(f"the file has no channel {channel + 1}")
            resampler = _new_resampler(channel)
            for frame in container.decode(audio=0):
                yield from _resampled(resampler, frame, channel)
                if stop is not None and stop.is_set():
                    return
            yield from _resampled(resampler, None, channel)
    except AudioDecodeError:
        raise
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise AudioDecodeError(f"not a readable audio file ({exc.__class__.__name__})") from exc


def check_rate(rate: int | None, high: int = MAX_FILE_RATE) -> None:
    """Refuse a sample rate outside what sm-tui resamples (None: the container does not say).

    Raises:
        AudioDecodeError: The rate is below 8 kHz or above ``high``.
    """
    if rate is not None and rate and not MIN_RATE <= rate <= high:
        raise AudioDecodeError(
            f"its sample rate is {rate} Hz; audio from {MIN_RATE} to {high} Hz is accepted "
            "(convert it, e.g. ffmpeg -i IN -ar 16000 OUT.wav)"
        )


@dataclass(frozen=True)
class AudioInfo:
    """What a file's container says of its audio."""

    duration: float
    sample_rate: int | None
    channels: int


def probe(path: Path) -> AudioInfo:
    """Duration, rate and channels of an audio file; decoded to count only if the container is silent.

    Raises:
        AudioDecodeError: The file is not audio, or its rate is out of range.
    """
    try:
        with av.open(str(path), mode="r") as container:
            if not container.streams.audio:
                raise AudioDecodeError("the file has no audio stream")
            stream = container.streams.audio[0]
            rate = int(stream.sample_rate) if stream.sample_rate else None
            check_rate(rate)
            channels = int(stream.channels or 1)
            if stream.duration is not None and stream.time_base is not None:
                return AudioInfo(float(stream.duration * stream.time_base), rate, channels)
            if container.duration is not None:
                return AudioInfo(float(container.duration) / 1_000_000, rate, channels)
    except AudioDecodeError:
        raise
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise AudioDecodeError(f"not a readable audio file ({exc.__class__.__name__})") from exc
    samples = sum(len(block) for block in iter_decoded(path))
    return AudioInfo(samples / RATE, rate, channels)


def decode_file(source: Path | bytes) -> np.ndarray:
    """Decode a whole audio file to mono float32 at 16 kHz.

    Raises:
        AudioDecodeError: The data has no decodable audio stream, or no samples.
    """
    parts = list(iter_decoded(source))
    if not parts:
        raise AudioDecodeError("the file holds no audio samples")
    return np.concatenate(parts)


def probe_duration(path: Path) -> float:
    """An audio file's duration in seconds (see ``probe``).

    Raises:
        AudioDecodeError: The file is not audio.
    """
    return probe(path).duration


def blocks(source: Iterator[np.ndarray], size: int) -> Iterator[np.ndarray]:
    """Re-cut a stream of sample arrays into blocks of ``size`` (the last may be shorter)."""
    pending = np.zeros(0, dtype=np.float32)
    for part in source:
        pending = np.concatenate([pending, part])
        while len(pending) >= size:
            yield pending[:size]
            pending = pending[size:]
    if len(pending):
        yield pending


class Resampler:
    """Mono float32 samples at ``rate`` to float32 at 16 kHz, block by block (a microphone)."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._resampler = _new_resampler()

    def feed(self, samples: np.ndarray) -> np.ndarray:
        """Resample one block; the resampler keeps what it needs between blocks."""
        frame = av.AudioFrame.from_ndarray(
            samples.astype(np.float32).reshape(1, -1), format="flt", layout="mono"
        )
        frame.sample_rate = self.rate
        parts = _resampled(self._resampler, frame)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


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
        payload = data[:usable]
        if self.width == 4:  # float samples may be NaN, infinite or huge: silence and clip them
            floats = np.frombuffer(payload, dtype="<f4")
            if not np.all(np.abs(floats) <= 1.0):
                payload = np.clip(np.nan_to_num(floats), -1.0, 1.0).astype("<f4").tobytes()
        parts: list[np.ndarray] = []
        for frame in self._ctx.decode(av.Packet(payload)):
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

    @property
    def pending(self) -> int:
        """Bytes written but not read yet."""
        return len(self._buffer)

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
    """Decodes a container file arriving in slices on a thread of its own.

    Args:
        on_audio: Called from the decoding thread with each block of 16 kHz float32 samples.
        on_end: Called once from the decoding thread at the end, with an error message or None.
        flowing: While clear, the decoder waits before handing out more audio (backpressure:
            a small compressed file can hold hours of audio).
    """

    def __init__(
        self,
        on_audio: Callable[[np.ndarray], object],
        on_end: Callable[[str | None], object],
        flowing: threading.Event | None = None,
    ) -> None:
        self._pipe = _BlockingPipe()
        self._on_audio = on_audio
        self._on_end = on_end
        self._flowing = flowing
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stream-decoder", daemon=True)
        self._thread.start()

    def feed(self, data: bytes) -> None:
        """Hand a slice of the file to the decoder."""
        self._pipe.write_chunk(data)

    def finish(self) -> None:
        """Declare the end of the file; the decoder drains and calls ``on_end``."""
        self._pipe.finish()

    def close(self) -> None:
        """Stop decoding (the session is gone)."""
        self._closed.set()
        self._pipe.finish()

    @property
    def backlog(self) -> int:
        """Bytes received but not decoded yet."""
        return self._pipe.pending

    def _run(self) -> None:
        error: str | None = None
        try:
            reader = io.BufferedReader(self._pipe, buffer_size=65536)
            for block in iter_decoded(reader, self._closed, options={"probesize": "65536"}):
                while self._flowing is not None and not self._flowing.wait(0.5):
                    if self._closed.is_set():
                        return
                self._on_audio(block)
        except Exception:  # any decoder failure is the client's audio, reported as such
            error = UNDECODABLE
        finally:
            self._pipe.finish()
            self._on_end(error)
