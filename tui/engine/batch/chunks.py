"""Long recordings cut into blocks the model transcribes one at a time, at quiet moments.

Batch jobs never hold a whole recording in memory: audio is decoded as a stream, and each
block of at most ``BLOCK_S`` seconds is cut at the quietest tenth of a second in its last
``SEARCH_S`` seconds, so no word is split between two blocks. Memory stays at one block
whatever the file's length. Within a block faster-whisper places its own 30 s windows, as it
does for a whole file: cutting a recording into 28 s pieces of our own instead cost WER on
continuous speech, and carrying each piece's text to the next as a prompt made
Whisper loop (``docs/notes.md``).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from tui.shared.audio import RATE

BLOCK_S = 300.0  # five minutes: 19 MB of audio, a fraction of the engine's memory
SEARCH_S = 8.0
FRAME = RATE // 10


def quiet_cut(audio: np.ndarray, search_s: float = SEARCH_S) -> int:
    """The sample index at the middle of the quietest 0.1 s in the last ``search_s`` seconds."""
    start = max(0, len(audio) - int(search_s * RATE))
    tail = audio[start:]
    frames = len(tail) // FRAME
    if frames < 2:
        return len(audio)
    energy = np.mean(tail[: frames * FRAME].reshape(frames, FRAME) ** 2, axis=1)
    # The latest of the quietest frames keeps pieces long (fewer passes).
    quietest = frames - 1 - int(np.argmin(energy[::-1]))
    return start + quietest * FRAME + FRAME // 2


class Chunker:
    """Pulls decoded blocks from ``blocks`` and hands out longer ones (blocking: run it in a thread).

    Args:
        blocks: 16 kHz float32 blocks, e.g. ``iter_decoded(path)``.
        chunk_s: Longest block.
    """

    def __init__(self, blocks: Iterator[np.ndarray], chunk_s: float = BLOCK_S) -> None:
        self._blocks = blocks
        self._limit = int(chunk_s * RATE)
        self._pending: list[np.ndarray] = []
        self._held = 0
        self._done = False
        self.offset = 0.0
        """Stream time at which the next piece starts."""

    def next(self) -> tuple[float, np.ndarray] | None:
        """The next block and its start time, or None at the end of the stream."""
        while self._held < self._limit and not self._done:
            block = next(self._blocks, None)
            if block is None:
                self._done = True
            elif len(block):
                self._pending.append(block)
                self._held += len(block)
        if not self._held:
            return None
        audio = np.concatenate(self._pending)
        cut = (
            len(audio)
            if self._done and len(audio) <= self._limit
            else quiet_cut(audio[: self._limit])
        )
        piece, rest = audio[:cut], audio[cut:]
        self._pending = [rest] if len(rest) else []
        self._held = len(rest)
        start, self.offset = self.offset, self.offset + cut / RATE
        return start, piece
