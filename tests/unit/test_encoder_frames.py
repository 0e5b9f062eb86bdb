"""What a real-time window's encoder hears: the window's frames, not faster-whisper's 30 s of
zero padding (``one_pass.heard_frames``)."""

from __future__ import annotations

import numpy as np

from tui.engine.recognition.one_pass import (
    ENCODED_MIN_FRAMES,
    encoded_once,
    heard_frames,
    one_pass,
)

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


class Encoder:
    """Counts the windows it encodes."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, features: np.ndarray) -> object:
        self.calls += 1
        return object()


def test_a_window_decoded_again_in_one_call_is_encoded_once() -> None:
    """The retry after a loop decodes the same window without the prompt: same encoder output."""
    encoder, model, window = Encoder(), object(), heard_frames(features(600))
    with one_pass():
        first = encoded_once(model, window, encoder)
        again = encoded_once(model, window.copy(), encoder)
        assert again is first and encoder.calls == 1
        other = features(600)
        other[0, 0] += 0.5  # another window
        assert encoded_once(model, heard_frames(other), encoder) is not first
        assert encoded_once(object(), heard_frames(other), encoder) is not first  # another model
        assert encoder.calls == 3


def test_nothing_is_held_past_the_call_or_outside_one() -> None:
    encoder, model, window = Encoder(), object(), heard_frames(features(600))
    with one_pass():
        encoded_once(model, window, encoder)
    with one_pass():
        encoded_once(model, window, encoder)  # the next step's window: encoded anew
    encoded_once(model, window, encoder)
    encoded_once(model, window, encoder)  # batch pieces (outside one_pass) are never held
    assert encoder.calls == 4
