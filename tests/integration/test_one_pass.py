"""Real-time windows decode in one pass on the real model (tiny.en), batch pieces as before.

faster-whisper decodes a window's unfinished last segment a second time; inside ``one_pass()``
the first pass's words are kept, and the encoder hears 20 s, not 30 s of mostly padding. The
cases are windows of a real recording, with the finals before them as prompt, as the real-time
engine makes them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import faster_whisper.transcribe
import numpy as np
import pytest

from tui.engine.recognition import one_pass as one_pass_module
from tui.engine.recognition.asr import Recognizer
from tui.engine.recognition.one_pass import (
    ENCODED_MIN_FRAMES,
    keeps_tail,
    one_pass,
    unfinished,
)
from tui.shared.audio import RATE, decode_file

PROMPT = (
    "Welcome to Speechmatics transcription API demo. This example shows multiple "
    "configuration options in action."
)
STARTS = (7.0, 8.4, 9.8, 10.5, 11.9, 12.6)  # 2.8 s windows of config_demo.wav, after PROMPT


@pytest.fixture(scope="module")
def recognizer() -> Iterator[Recognizer]:
    yield Recognizer("", workers=1)


def counting_encodes(model: Any) -> list[int]:
    """Wrap the model's encoder so each call is counted."""
    calls: list[int] = []
    encode = model.encode

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return encode(*args, **kwargs)

    model.encode = counted
    return calls


def windows(shared_audio: Path) -> list[np.ndarray]:
    audio = decode_file(shared_audio / "config_demo.wav")
    return [audio[int(s * RATE) : int((s + 2.8) * RATE)] for s in STARTS]


def test_each_real_time_window_takes_one_encoder_pass(
    recognizer: Recognizer, shared_audio: Path
) -> None:
    model = recognizer._model
    calls = counting_encodes(model)
    plain = []
    for window in windows(shared_audio):
        calls.clear()
        segments, _ = model.transcribe(
            window,
            initial_prompt=PROMPT,
            word_timestamps=True,
            condition_on_previous_text=False,
            temperature=0.0,
            language="en",
            beam_size=1,
        )
        ends = [w.end for segment in segments for w in segment.words or []]
        plain.append((len(calls), max(ends, default=0.0)))
    assert [passes for passes, _ in plain].count(2) >= 3, "faster-whisper decodes most twice"
    for (passes, plain_end), window in zip(plain, windows(shared_audio), strict=True):
        calls.clear()
        words = recognizer.transcribe(window, prompt=PROMPT)
        assert len(calls) == 1
        assert all(w.end > w.start for w in words)
        if passes == 2:  # the unfinished segment is kept: the words reach about as far (the
            # second pass may add a word at the edge, which the next window hears again;
            # on one CPU "pm." ended at 1.92 s against the second pass's 2.50 s)
            assert words and words[-1].end > plain_end - 0.7


def test_a_real_time_window_is_encoded_as_20_seconds_and_heard_as_from_30(
    recognizer: Recognizer, shared_audio: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoded: list[int] = []
    storage = faster_whisper.transcribe.get_ctranslate2_storage

    def measured(features: np.ndarray) -> Any:
        encoded.append(features.shape[-1])
        return storage(features)

    monkeypatch.setattr(faster_whisper.transcribe, "get_ctranslate2_storage", measured)
    same = 0
    for window in windows(shared_audio):
        short = "".join(w.text for w in recognizer.transcribe(window, prompt=PROMPT))
        monkeypatch.setattr(one_pass_module, "ENCODED_MIN_FRAMES", 3000)
        whole = "".join(w.text for w in recognizer.transcribe(window, prompt=PROMPT))
        monkeypatch.setattr(one_pass_module, "ENCODED_MIN_FRAMES", ENCODED_MIN_FRAMES)
        same += short == whole
        assert short.strip()
    assert encoded == [ENCODED_MIN_FRAMES, 3000] * len(STARTS)
    assert same >= len(STARTS) - 2, "the 20 s encoder writes what the 30 s one writes"
    encoded.clear()
    list(recognizer.transcribe_batch(windows(shared_audio)[0]))
    assert encoded == [3000], "a batch piece is encoded as faster-whisper encodes it"


def test_batch_pieces_and_other_threads_decode_as_faster_whisper_does() -> None:
    assert not keeps_tail()
    seen: list[bool] = []
    with one_pass():
        assert keeps_tail()
        other = threading.Thread(target=lambda: seen.append(keeps_tail()))
        other.start()
        other.join()
    assert seen == [False]
    assert not keeps_tail()


def test_the_unfinished_segment_is_the_text_after_the_finished_ones() -> None:
    eot, ts = 50257, 50364  # tiny.en's end of text and first timestamp
    finished = [{"tokens": [ts, 11, 12, ts + 40]}]
    assert unfinished([ts, 11, 12, ts + 40, ts + 40, 13, 14], finished, eot) == [ts + 40, 13, 14]
    assert unfinished([ts, 11, 12, ts + 40, ts + 40], finished, eot) == []  # no text after
    assert unfinished([ts, 11, 12, ts + 40], finished, eot) == []
