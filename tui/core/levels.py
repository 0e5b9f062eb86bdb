"""Audio level maths for the meter: RMS and peak in dBFS, peak hold, clipping."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FLOOR_DB = -90.0
SQRT2 = float(np.sqrt(2.0))
CLIP_LEVEL = 0.999  # a sample at or above this (of full scale) counts as clipped


@dataclass(frozen=True)
class Level:
    """The level of one block of audio."""

    rms_db: float
    peak_db: float
    clipped: bool


def to_db(value: float) -> float:
    """Amplitude (1.0 = full scale) in dBFS, never below the floor."""
    return max(FLOOR_DB, 20.0 * float(np.log10(value))) if value > 0 else FLOOR_DB


def measure(samples: np.ndarray) -> Level:
    """RMS and peak of float samples in [-1, 1] (int16 samples are scaled first).

    RMS follows AES17: it is scaled by sqrt(2) so that a sine reads the same on both, and a
    full-scale sine reads 0 dBFS.
    """
    if samples.dtype == np.int16:
        samples = samples.astype(np.float32) / 32768.0
    if len(samples) == 0:
        return Level(FLOOR_DB, FLOOR_DB, False)
    data = samples.astype(np.float64)
    peak = float(np.max(np.abs(data)))
    rms = float(np.sqrt(np.mean(data * data)))
    return Level(to_db(rms * SQRT2), to_db(peak), peak >= CLIP_LEVEL)


@dataclass
class PeakHold:
    """Holds the highest peak for ``hold_s`` seconds, then lets it fall at ``fall_db_per_s``."""

    hold_s: float = 1.5
    fall_db_per_s: float = 20.0
    value: float = FLOOR_DB
    _since: float = 0.0

    def update(self, peak_db: float, now: float) -> float:
        """Feed a block's peak at time ``now``; return the held value."""
        if peak_db >= self.value:
            self.value, self._since = peak_db, now
        elif now - self._since > self.hold_s:
            fallen = self.value - self.fall_db_per_s * (now - self._since - self.hold_s)
            self.value = max(peak_db, fallen)
        return self.value
