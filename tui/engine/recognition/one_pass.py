"""One decoding pass per real-time window.

faster-whisper decodes a window, then, when Whisper's output does not end with a closing
timestamp (the speech runs on to the window's edge, as it does in nearly every real-time
window), throws away the unfinished last segment and decodes the audio from its start again:
a second pass through the 30 s encoder, which costs up to half again a step. The second pass
runs without the prompt, and what it added was mostly Whisper's inventions ("It's not a good
trick.", "All this."); kept, the unfinished segment is what the first pass heard, with the
prompt.

Within ``one_pass()`` the encoder also hears less than 30 s: faster-whisper pads
every window's features with zeros to Whisper's 30 s, and the encoder's cost grows with its
input, so on a 2-core machine tiny.en's step took 0.58 s of which 0.34 s was the encoder, most
of it on the padding. The encoder now gets the window's frames, 2 s of the padding after them
(Whisper then hears the speech stop) and at least ``ENCODED_MIN_FRAMES`` (20 s; a window is
15 s at most): 0.12 s. Fed only the window, or 15 s, tiny.en misheard more ("And be happy" for
"I'd be happy"); from 20 s it wrote about what it wrote from 30 s (docs/engine.md has the
figures).

Within one ``one_pass()`` the same features are encoded once (``encoded_once``): where the
first decode loops, the window is decoded again without the prompt (``asr.Recognizer``), and
that second decode needs the same encoder output (on base, 0.3 s of a step that took 1.9 s).

``one_pass_model()`` is faster-whisper's model with these steps changed, only within
``one_pass()`` (real-time windows), so batch pieces decode as faster-whisper does.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

_calls = threading.local()

ENCODED_MIN_FRAMES = 2000  # 20 s of 10 ms frames: what the encoder hears at least (30 s: 3000)
PADDING_KEPT_FRAMES = 200  # the padding heard after a window's audio
FRAMES_ROUND = 100  # encoder inputs come in whole seconds


@contextmanager
def one_pass() -> Iterator[None]:
    """Within: this thread's decodes keep an unfinished last segment instead of decoding again."""
    _calls.active = True
    try:
        yield
    finally:
        _calls.active = False
        _calls.encoded = None  # held for one call only


def keeps_tail() -> bool:
    """Whether this thread is within ``one_pass()``."""
    return bool(getattr(_calls, "active", False))


@functools.cache
def one_pass_model() -> type[Any]:
    """faster-whisper's ``WhisperModel``, keeping unfinished segments within ``one_pass()``
    (the model itself where its version has no such step to change)."""
    from faster_whisper import WhisperModel

    if not hasattr(WhisperModel, "_split_segments_by_timestamps"):
        return WhisperModel  # type: ignore[no-any-return]

    class OnePassWhisper(WhisperModel):  # type: ignore[misc]
        def _split_segments_by_timestamps(
            self,
            tokenizer: Any,
            tokens: list[int],
            time_offset: float,
            segment_size: int,
            segment_duration: float,
            seek: int,
        ) -> tuple[list[dict[str, Any]], int, bool]:
            segments, after, closed = super()._split_segments_by_timestamps(
                tokenizer, tokens, time_offset, segment_size, segment_duration, seek
            )
            if closed or not keeps_tail():
                return segments, after, closed
            tail = unfinished(tokens, segments, tokenizer.eot)
            if tail:
                first = tail[0] - tokenizer.timestamp_begin
                start = (
                    time_offset + first * self.time_precision
                    if first >= 0
                    else segments[-1]["end"]
                    if segments
                    else time_offset
                )
                end = time_offset + segment_duration
                segments.append({"seek": seek, "start": start, "end": end, "tokens": tail})
            return segments, seek + segment_size, True  # the whole window is decoded

        def encode(self, features: np.ndarray) -> Any:
            if not keeps_tail():
                return super().encode(features)
            return encoded_once(self, heard_frames(features), self._encoded)

        def _encoded(self, features: np.ndarray) -> Any:
            return super().encode(features)

    return OnePassWhisper


def encoded_once(model: object, features: np.ndarray, encode: Callable[[np.ndarray], Any]) -> Any:
    """``encode(features)``, reused while this thread stays within one ``one_pass()`` and
    ``model`` encodes the same features again; the last output only, so memory stays that of
    one window. A step's first encode compares nothing: only a second one does."""
    held = getattr(_calls, "encoded", None)
    if (
        held is not None
        and held[0] is model
        and held[1].shape == features.shape
        and np.array_equal(held[1], features)
    ):
        return held[2]
    output = encode(features)
    if keeps_tail():
        _calls.encoded = (model, features, output)
    return output


def heard_frames(features: np.ndarray) -> np.ndarray:
    """A window's features as the encoder hears them in real time: without the zero padding
    faster-whisper adds up to 30 s, beyond ``PADDING_KEPT_FRAMES`` of it and
    ``ENCODED_MIN_FRAMES`` in all (``features``: mel bins by frames, or a batch of one of
    them). No frame of audio is exactly zero in all 80 mel bins, so the padding is the
    columns of zeros at the end."""
    frames = features.shape[-1]
    columns = features.reshape(-1, features.shape[-2], frames)[0]
    spoken = np.flatnonzero(np.any(columns != 0, axis=0))
    content = int(spoken[-1]) + 1 if len(spoken) else 0
    wanted = max(ENCODED_MIN_FRAMES, content + PADDING_KEPT_FRAMES)
    kept = min(frames, -(-wanted // FRAMES_ROUND) * FRAMES_ROUND)
    return features if kept == frames else np.ascontiguousarray(features[..., :kept])


def unfinished(tokens: list[int], segments: list[dict[str, Any]], eot: int) -> list[int]:
    """The tokens after the finished segments, when they hold text (token ids under ``eot``;
    timestamps and specials are above it)."""
    tail = tokens[sum(len(s["tokens"]) for s in segments) :]
    return tail if any(token < eot for token in tail) else []
