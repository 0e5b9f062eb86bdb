"""Live audio sources: a file played at real speed, a pipe on stdin, a microphone.

Each runs in a thread of its own (the microphone in PortAudio's callback thread) and hands
16 kHz mono int16 blocks to the session through a bounded queue, so nothing blocks the UI.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from tui.shared.audio import RATE, to_int16

BLOCK_S = 0.04  # 25 blocks a second: the level meter's refresh rate
QUEUE_BLOCKS = 50  # five seconds of audio
SILENT_DEVICE_S = 3.0  # a microphone that delivers nothing for this long has gone


class SourceError(RuntimeError):
    """A source cannot deliver audio; the message says why and what to do."""


@dataclass(frozen=True)
class Block:
    """One block of captured audio: 16 kHz mono int16."""

    samples: np.ndarray

    @property
    def pcm(self) -> bytes:
        """The samples as little-endian bytes (pcm_s16le)."""
        return self.samples.astype("<i2").tobytes()

    @property
    def seconds(self) -> float:
        """The block's duration."""
        return len(self.samples) / RATE


END = Block(np.zeros(0, dtype=np.int16))


class AudioSource:
    """Base of the sources: a capture thread and a bounded queue of blocks."""

    name = "audio"

    def __init__(self) -> None:
        self.blocks: queue.Queue[Block] = queue.Queue(maxsize=QUEUE_BLOCKS)
        self.error: str | None = None
        self.dropped = 0
        self.taps: list[Callable[[Block], None]] = []
        """Told every block captured, in the capture thread (a recording)."""
        self.limit_s: float | None = None
        """Stop after this much audio (the block that reaches it is cut there)."""
        self.captured_s = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start capturing."""
        self._thread = threading.Thread(
            target=self._guarded, name=f"source-{self.name}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop capturing; an END block follows what was captured."""
        self._stop.set()

    @property
    def stopped(self) -> bool:
        """True once stop() was called."""
        return self._stop.is_set()

    def get(self, timeout: float = 0.5) -> Block | None:
        """The next block, END at the end, None if nothing came within ``timeout``."""
        try:
            return self.blocks.get(timeout=timeout)
        except queue.Empty:
            return None

    def _guarded(self) -> None:
        try:
            self.run()
        except SourceError as exc:
            self.error = str(exc)
        except Exception as exc:  # reported to the user; the app stays up
            self.error = f"{self.name} failed: {exc}"
        finally:
            self._put(END)

    def _put(self, item: Block, wait: bool = True) -> None:
        """Queue a block. A file or a pipe (wait=True) waits for room for as long as it takes
        (a session reconnecting reads nothing for seconds, and no word may be lost); only a
        real-time source (wait=False, a microphone) drops a block rather than block."""
        if item is not END:
            if self.limit_s is not None:
                room = round((self.limit_s - self.captured_s) * RATE)
                if room <= 0:
                    self._stop.set()
                    return
                if len(item.samples) >= room:
                    item = Block(item.samples[:room])
                    self._stop.set()
            self.captured_s += item.seconds
            for tap in self.taps:
                tap(item)
        if not wait:
            try:
                self.blocks.put_nowait(item)
            except queue.Full:
                self.dropped += 1
            return
        waited_stopped = 0.0
        while True:
            try:
                self.blocks.put(item, timeout=0.5)
                return
            except queue.Full:
                if self._stop.is_set():  # stopping: the session may no longer read at all
                    waited_stopped += 0.5
                    if item is not END or waited_stopped >= 5.0:
                        return

    def run(self) -> None:
        """Capture until stopped or exhausted (runs on the source's thread)."""
        raise NotImplementedError


def _blocks_from_container(handle: Any, stop: threading.Event) -> Iterator[np.ndarray]:
    """Decode any container PyAV reads to 16 kHz mono int16 blocks of BLOCK_S."""
    from tui.shared.audio import AudioDecodeError, blocks, iter_decoded

    try:
        for block in blocks(iter_decoded(handle, stop), int(RATE * BLOCK_S)):
            yield to_int16(block)
    except AudioDecodeError as exc:
        raise SourceError(f"not an audio file or stream PyAV can read ({exc})") from exc


class FileSource(AudioSource):
    """A file (wav, mp3, flac, ogg, m4a…) decoded with PyAV and played at real speed."""

    name = "file"

    def __init__(self, path: Path, pace: float = 1.0) -> None:
        super().__init__()
        if not path.is_file():
            raise SourceError(f"{path} does not exist")
        self.path = path
        self.pace = pace

    def run(self) -> None:
        started = time.monotonic()
        sent = 0.0
        for samples in _blocks_from_container(str(self.path), self._stop):
            if self.pace > 0:
                delay = started + sent / self.pace - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    return
            self._put(Block(samples))
            sent += len(samples) / RATE


class PipeSource(AudioSource):
    """Audio on a pipe (stdin): raw PCM with a given format, or a container stream."""

    name = "stdin"

    def __init__(self, stream: IO[bytes], raw: str | None = None) -> None:
        super().__init__()
        self.stream = stream
        self.raw = parse_raw(raw) if raw else None

    def run(self) -> None:
        if self.raw is None:
            for samples in _blocks_from_container(self.stream, self._stop):
                self._put(Block(samples))
            return
        encoding, rate = self.raw
        from tui.shared.audio import RawDecoder

        decoder = RawDecoder(encoding, rate)
        width = decoder.width
        while not self._stop.is_set():
            data = self.stream.read(int(rate * BLOCK_S) * width)
            if not data:
                break
            floats = decoder.feed(data)
            self._put(Block(to_int16(floats)))


def parse_raw(spec: str) -> tuple[str, int]:
    """``s16le:16000`` (or ``f32le:48000``, ``mulaw:8000``) to (encoding, rate).

    Raises:
        SourceError: The spec is not of that form.
    """
    names = {"s16le": "pcm_s16le", "f32le": "pcm_f32le", "mulaw": "mulaw"}
    name, _, rate = spec.partition(":")
    if name not in names or not rate.isdigit() or int(rate) <= 0:
        raise SourceError(
            f"--raw takes ENCODING:RATE with ENCODING one of {', '.join(names)}, e.g. s16le:16000"
        )
    from tui.shared.audio import MAX_RAW_RATE, MIN_RATE

    if not MIN_RATE <= int(rate) <= MAX_RAW_RATE:
        raise SourceError(f"--raw rates go from {MIN_RATE} to {MAX_RAW_RATE} Hz, not {rate}")
    return names[name], int(rate)


class MicrophoneSource(AudioSource):
    """A microphone through sounddevice, captured at the device's rate and resampled."""

    name = "microphone"

    def __init__(self, device: int | None = None) -> None:
        super().__init__()
        self.device = device

    def run(self) -> None:
        from tui.shared.audio import Resampler

        sd = load_sounddevice()
        try:
            info = sd.query_devices(self.device, "input")
        except (ValueError, sd.PortAudioError) as exc:
            raise SourceError(
                f"no microphone: {exc}. Play a file instead (f) or pipe audio to --live -"
            ) from exc
        rate = int(info["default_samplerate"])
        resampler = Resampler(rate)
        lock = threading.Lock()
        heard = [time.monotonic()]  # when the device last delivered audio

        def callback(indata: np.ndarray, frames: int, _time: Any, _status: Any) -> None:
            heard[0] = time.monotonic()
            with lock:
                out = resampler.feed(indata.reshape(-1))
            if len(out):
                self._put(Block(to_int16(out)), wait=False)

        try:
            with sd.InputStream(
                device=self.device,
                channels=1,
                samplerate=rate,
                dtype="float32",
                blocksize=int(rate * BLOCK_S),
                callback=callback,
            ) as stream:
                while not self._stop.wait(0.2):
                    # A device that goes away (unplugged, its server gone) stops the stream,
                    # or just stops calling back: either way, say so rather than wait forever.
                    if not stream.active or time.monotonic() - heard[0] > SILENT_DEVICE_S:
                        raise SourceError(
                            f"the microphone {str(info['name'])!r} stopped sending audio "
                            "(unplugged?); the transcript so far is kept"
                        )
        except sd.PortAudioError as exc:
            raise SourceError(f"the microphone stopped: {exc}") from exc


def load_sounddevice() -> Any:
    """Import sounddevice, turning a missing PortAudio library into a clear error.

    Raises:
        SourceError: PortAudio is not installed.
    """
    try:
        import sounddevice
    except OSError as exc:
        raise SourceError(
            "the PortAudio library is missing, so no microphone can be used "
            "(Debian/Ubuntu: sudo apt-get install libportaudio2; macOS: brew install portaudio)"
        ) from exc
    return sounddevice


def input_devices() -> list[tuple[int, str, int]]:
    """Input devices as (index, name, default rate).

    Raises:
        SourceError: PortAudio is missing.
    """
    sd = load_sounddevice()
    devices = []
    with contextlib.suppress(Exception):
        for index, info in enumerate(sd.query_devices()):
            if info["max_input_channels"] > 0:
                devices.append((index, str(info["name"]), int(info["default_samplerate"])))
    return devices
