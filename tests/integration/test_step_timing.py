"""The step cost a model's capacity is reckoned from is timed on speech, on the real model.

Timed on faint noise, as it once was, tiny.en wrote nothing (a fraction of a step's cost) and
base looped to the token limit (half again a step's): the engine said base could not keep
``max_delay`` 2 when its steps took 0.7 s, and sessions that asked for it ran on tiny.en."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tui.core.wer import normalise
from tui.engine.recognition.asr import STEP_SPEECH, Recognizer, Word, step_speech
from tui.shared.audio import RATE


@pytest.fixture(scope="module")
def recognizer() -> Iterator[Recognizer]:
    yield Recognizer("", workers=1, wide=False)


def test_the_timed_window_is_speech_as_long_as_a_sessions(recognizer: Recognizer) -> None:
    assert STEP_SPEECH.is_file()
    window = step_speech()
    assert 6.0 <= len(window) / RATE <= 7.0
    said = normalise("".join(w.text for w in recognizer.transcribe(window)))
    assert "before the market opened" in said, said


def test_the_timed_call_decodes_the_speech_with_a_prompt(
    recognizer: Recognizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[tuple[list[Word], str | None]] = []
    decode = recognizer._decode

    def recorded(model: Any, audio: Any, prompt: str | None, *args: Any) -> Any:
        words, loop = decode(model, audio, prompt, *args)
        decoded.append((words, prompt))
        return words, loop

    monkeypatch.setattr(recognizer, "_decode", recorded)
    seconds = recognizer._time_step(recognizer._model)
    assert seconds > 0
    assert decoded, "the timed call ran the model"
    for words, prompt in decoded:
        assert prompt, "a session's steps carry a prompt"
        assert len(words) >= 15, "the timed call heard the speech and wrote it"


def test_timed_again_the_costs_are_what_a_step_takes_now(recognizer: Recognizer) -> None:
    costs = recognizer.step_costs
    wide = costs.wide
    costs.narrow = costs.wide = 60.0  # as steps beside a heavy load could leave them
    recognizer.retime(wide=True)  # no two-thread copy loaded: the narrow figure alone
    assert costs.narrow < 60.0
    assert costs.wide == 60.0
    costs.wide = wide
