"""Live sessions from every source that exists here: a pipe (raw PCM or a container) and a file."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import engine_target, live_session, references, wer
from tests.integration.rt_helpers import pcm
from tests.integration.test_live_reconnect import Recorder
from tui.core.sources import PipeSource, SourceError, parse_raw

pytestmark = [pytest.mark.engine, pytest.mark.paced]


@pytest.mark.parametrize("raw", ["s16le:16000", None], ids=["raw-pcm", "container"])
async def test_stdin_pipe(engine: Any, shared_audio: Path, raw: str | None) -> None:
    data = pcm(shared_audio / "hello.wav") if raw else (shared_audio / "hello.wav").read_bytes()
    heard = Recorder()
    session = live_session(engine_target(engine), PipeSource(io.BytesIO(data), raw), heard)
    await session.run()
    assert wer(references()["hello.wav"], session.transcript.text) <= 0.3, session.transcript.text
    assert heard.levels > 50  # the meter moves for stdin too
    assert session.ended_cleanly


def test_raw_format_flags() -> None:
    assert parse_raw("s16le:16000") == ("pcm_s16le", 16000)
    assert parse_raw("f32le:48000") == ("pcm_f32le", 48000)
    with pytest.raises(SourceError, match="ENCODING:RATE"):
        parse_raw("s16:abc")


async def test_pipe_of_garbage_says_so(engine: Any) -> None:
    heard = Recorder()
    session = live_session(
        engine_target(engine), PipeSource(io.BytesIO(b"not audio at all" * 100)), heard
    )
    await session.run()
    assert any("not an audio file" in text for _, text in heard.notices), heard.notices
