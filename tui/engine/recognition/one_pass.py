"""One decoding pass per real-time window.

faster-whisper decodes a window, then, when Whisper's output does not end with a closing
timestamp (the speech runs on to the window's edge, as it does in nearly every real-time
window), throws away the unfinished last segment and decodes the audio from its start again:
a second pass through the 30 s encoder, which costs up to half again a step. The second pass
runs without the prompt, and what it added was mostly Whisper's inventions ("It's not a good
trick.", "All this."); kept, the unfinished segment is what the first pass heard, with the
prompt.

``one_pass_model()`` is faster-whisper's model with that one step changed, only within
``one_pass()`` (real-time windows), so batch pieces decode as faster-whisper does.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_calls = threading.local()


@contextmanager
def one_pass() -> Iterator[None]:
    """Within: this thread's decodes keep an unfinished last segment instead of decoding again."""
    _calls.active = True
    try:
        yield
    finally:
        _calls.active = False


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

    return OnePassWhisper


def unfinished(tokens: list[int], segments: list[dict[str, Any]], eot: int) -> list[int]:
    """The tokens after the finished segments, when they hold text (token ids under ``eot``;
    timestamps and specials are above it)."""
    tail = tokens[sum(len(s["tokens"]) for s in segments) :]
    return tail if any(token < eot for token in tail) else []
