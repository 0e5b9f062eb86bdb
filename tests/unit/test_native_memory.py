"""The engine's native memory: two malloc arenas and freed memory given back (the first
2-hour soak grew 41 MB an hour without them)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tui.engine.recognition import native_memory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_arenas_are_limited_unless_the_user_said_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    if native_memory._glibc() is None:
        pytest.skip("not glibc (musl)")
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert native_memory.limit_arenas()
    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")
    assert not native_memory.limit_arenas()  # the user's setting wins
    native_memory.give_back()


def test_the_engine_limits_arenas_before_loading_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.standin import ToneRecognizer
    from tui.engine import server
    from tui.settings import Settings

    calls: list[str] = []
    monkeypatch.setattr(server, "limit_arenas", lambda: calls.append("limited") or True)
    server.build_engine(Settings(data_dir=tmp_path), recognizer=ToneRecognizer())  # type: ignore[arg-type]
    assert calls == ["limited"]


async def test_each_finished_batch_job_gives_memory_back(
    standin: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from speechmatics.batch import AsyncClient

    from tests.standin import tone_file
    from tui.engine.batch import jobs

    given: list[bool] = []
    monkeypatch.setattr(jobs, "give_back", lambda: given.append(True))
    audio = tone_file(tmp_path / "talk.wav", ["alpha bravo"])
    async with AsyncClient(api_key=standin.api_key, url=standin.batch_url) as batch:  # type: ignore[attr-defined]
        job = await batch.submit_job(str(audio))
        await batch.wait_for_completion(job.id, polling_interval=0.2, timeout=60)
    assert given
