"""A live session's audio kept as it streams: 16 kHz mono FLAC (or WAV), flushed to disk
every second, so a crash loses at most the last second of what was heard."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from tui.shared.audio import RATE

if TYPE_CHECKING:
    from tui.core.sources import Block

FLUSH_EVERY_S = 1.0
FORMATS = {".flac": "flac", ".wav": "wav"}
CODECS = {"flac": "flac", "wav": "pcm_s16le"}


class RecordingError(OSError):
    """The recording cannot be written; the message says where and why."""


def recording_name(label: str, when: float | None = None) -> str:
    """``2026-12-05-142501-talk.flac``: when the session started, and its source."""
    stamp = time.strftime("%Y-%m-%d-%H%M%S", time.localtime(when))
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in label).strip("-.") or "live"
    return f"{stamp}-{safe[:40]}.flac"


class Recorder:
    """Writes 16 kHz mono int16 blocks to ``path`` as they come (from any one thread at a time).

    Raises:
        RecordingError: The file cannot be created, or its suffix is not .flac or .wav.
    """

    def __init__(self, path: Path) -> None:
        import av

        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise RecordingError(f"{path}: recordings are .flac or .wav files")
        self.path = path
        self.seconds = 0.0
        self.error: str | None = None
        """Why the recording stopped early (a full disk), if it did."""
        self.on_error: Callable[[str], None] | None = None
        """Told once, in the capture thread, when the recording stops early."""
        self._lock = threading.Lock()
        self._flushed = time.monotonic()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file: IO[bytes] | None = path.open("wb")
        except OSError as exc:
            raise RecordingError(f"cannot write the recording {path}: {exc.strerror}") from exc
        self._container: Any = av.open(self._file, mode="w", format=fmt)
        stream: Any = self._container.add_stream(CODECS[fmt], rate=RATE, layout="mono")
        stream.format = "s16"
        self._stream = stream

    def write(self, samples: np.ndarray) -> None:
        """Append int16 samples; flush to disk once a second."""
        import av

        if not len(samples):
            return
        frame = av.AudioFrame.from_ndarray(
            samples.astype(np.int16).reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = RATE
        with self._lock:
            if self._file is None:
                return
            try:
                for packet in self._stream.encode(frame):
                    self._container.mux(packet)
                self.seconds += len(samples) / RATE
                if time.monotonic() - self._flushed >= FLUSH_EVERY_S:
                    self._file.flush()
                    self._flushed = time.monotonic()
            except OSError as exc:  # a full disk: the recording stops, the session goes on
                self.error = (
                    f"the recording {self.path} stopped after {self.seconds:.0f} s: "
                    f"{exc.strerror or exc}; the transcript goes on (free some space)"
                )
                self._abandon()
                if self.on_error is not None:
                    self.on_error(self.error)

    def write_block(self, block: Block) -> None:
        """Append a captured block (an ``AudioSource`` tap)."""
        self.write(block.samples)

    def close(self) -> None:
        """Finish the file (its header then says its length)."""
        with self._lock:
            if self._file is None:
                return
            try:
                for packet in self._stream.encode(None):
                    self._container.mux(packet)
                self._container.close()
            except OSError as exc:
                self.error = self.error or f"the recording {self.path} could not be finished: {exc}"
            finally:
                self._abandon()

    def _abandon(self) -> None:
        """Let go of the file, whatever state the writer is in."""
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
