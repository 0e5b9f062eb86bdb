"""Audio held from a stream, known by stream time: appended as it arrives, read back by time,
and forgotten from the front once it is no longer needed."""

from __future__ import annotations

import numpy as np

from tui.shared.audio import RATE


class HeldAudio:
    """16 kHz float32 samples from ``offset`` (stream seconds) on."""

    def __init__(self) -> None:
        self._parts: list[np.ndarray] = []
        self.samples = 0  # samples held
        self.offset = 0.0  # stream time of the first held sample

    @property
    def end(self) -> float:
        """Stream time just after the last held sample."""
        return self.offset + self.samples / RATE

    def add(self, samples: np.ndarray) -> None:
        """Append samples."""
        if len(samples):
            self._parts.append(samples)
            self.samples += len(samples)

    def whole(self) -> np.ndarray:
        """Every held sample, as one array (joined once, then kept joined)."""
        if not self._parts:
            return np.zeros(0, dtype=np.float32)
        audio = np.concatenate(self._parts)
        self._parts = [audio]
        return audio

    def between(self, start: float, end: float) -> np.ndarray:
        """The held samples from stream time ``start`` to ``end``."""
        first = max(0, round((start - self.offset) * RATE))
        last = max(first, round((end - self.offset) * RATE))
        return self.whole()[first:last]

    def drop_until(self, time: float) -> None:
        """Forget held audio before stream time ``time`` (never past what is held)."""
        time = min(time, self.end)
        drop = round((time - self.offset) * RATE)
        if drop <= 0 or not self._parts:
            return
        audio = self.whole()[drop:]
        self._parts = [audio] if len(audio) else []
        self.samples = len(audio)
        self.offset = time
