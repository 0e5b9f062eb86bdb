"""The level meter's maths on generated tones."""

from __future__ import annotations

import numpy as np
import pytest

from tui.core.levels import FLOOR_DB, PeakHold, measure

RATE = 16000


def sine(db: float, seconds: float = 0.5, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (10 ** (db / 20) * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_minus_six_dbfs_sine_reads_minus_six() -> None:
    level = measure(sine(-6.0))
    assert level.rms_db == pytest.approx(-6.0, abs=0.5)
    assert level.peak_db == pytest.approx(-6.0, abs=0.5)
    assert not level.clipped


def test_int16_blocks_read_the_same() -> None:
    block = (sine(-20.0) * 32767).astype(np.int16)
    assert measure(block).rms_db == pytest.approx(-20.0, abs=0.5)


def test_silence_reads_the_floor() -> None:
    level = measure(np.zeros(1600, dtype=np.float32))
    assert level.rms_db == FLOOR_DB and level.peak_db == FLOOR_DB
    assert measure(np.zeros(0, dtype=np.float32)).rms_db == FLOOR_DB


def test_clipping_is_flagged() -> None:
    loud = np.clip(sine(6.0), -1.0, 1.0)
    assert measure(loud).clipped
    assert measure((loud * 32767).astype(np.int16)).clipped


def test_peak_hold_holds_then_falls() -> None:
    hold = PeakHold(hold_s=1.0, fall_db_per_s=10.0)
    assert hold.update(-10.0, now=0.0) == -10.0
    assert hold.update(-40.0, now=0.5) == -10.0
    assert hold.update(-40.0, now=2.0) == pytest.approx(-20.0)
    assert hold.update(-40.0, now=10.0) == -40.0
