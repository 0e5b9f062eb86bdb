"""Raw PCM from a client, decoded: whatever the bytes hold, samples come out finite in [-1, 1]."""

from __future__ import annotations

import numpy as np

from tui.shared.audio import RawDecoder


def test_float_samples_that_are_nan_infinite_or_huge_become_silence_or_full_scale() -> None:
    hostile = np.array([np.nan, np.inf, -np.inf, 3e38, -2.0, 0.5], dtype="<f4")
    for rate in (16000, 44100):  # as they are, and through the resampler
        decoder = RawDecoder("pcm_f32le", rate)
        out = np.concatenate([decoder.feed(hostile.tobytes() * 200), decoder.flush()])
        assert out.size and np.all(np.isfinite(out)), rate
        assert np.max(np.abs(out)) <= 1.0 + 1e-3, rate
    plain = RawDecoder("pcm_f32le", 16000).feed(np.array([0.25, -0.5], dtype="<f4").tobytes())
    assert plain.tolist() == [0.25, -0.5]
