"""What a real-time window's encoder hears: the window's frames, not faster-whisper's 30 s of
zero padding (``one_pass.heard_frames``)."""

from __future__ import annotations

import numpy as np

from tui.engine.recognition.one_pass import ENCODED_MIN_FRAMES, heard_frames

MELS, PADDED = 80, 3000


def features(spoken: int) -> np.ndarray:
    """Mel features of ``spoken`` frames of audio, zero-padded to 30 s as faster-whisper pads."""
    out = np.zeros((MELS, PADDED), dtype=np.float32)
    out[:, :spoken] = np.random.default_rng(1).uniform(-1.5, 1.5, (MELS, spoken))
    return out


def test_a_short_window_is_encoded_as_20_seconds() -> None:
    heard = heard_frames(features(600))
    assert heard.shape == (MELS, ENCODED_MIN_FRAMES)
    assert heard.flags["C_CONTIGUOUS"]  # as CTranslate2 takes it


def test_a_long_window_keeps_two_seconds_of_padding_in_whole_seconds() -> None:
    spoken = features(1950)
    heard = heard_frames(spoken)
    assert heard.shape == (MELS, 2200)
    assert np.array_equal(heard[:, :1950], spoken[:, :1950])  # every frame of audio is heard
    assert not heard[:, 1950:].any()


def test_a_window_near_30_seconds_and_a_batch_of_one_are_kept_whole() -> None:
    assert heard_frames(features(2900)).shape == (MELS, PADDED)
    batch = features(300)[np.newaxis]
    assert heard_frames(batch).shape == (1, MELS, ENCODED_MIN_FRAMES)


def test_a_frame_of_quiet_audio_inside_the_window_is_not_padding() -> None:
    spoken = features(2100)
    spoken[:, 2099] = -1.5  # the log-mel floor: silence, still audio
    assert heard_frames(spoken).shape == (MELS, 2300)
