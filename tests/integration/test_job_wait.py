"""Waiting for a batch job with the API's long poll: held until the job ends on the real engine,
and given up at once (for the SDK's polling) where a server does not hold."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.standin import InProcessEngine, ToneRecognizer, tone_file, tone_speech
from tui.core.job_wait import until_ended
from tui.core.target import EngineTarget
from tui.shared.audio import RATE

TALK = ["alpha bravo charlie delta echo"] * 22  # three of the engine's 30 s windows


async def test_the_wait_is_held_until_the_job_is_done(tmp_path: Path) -> None:
    from speechmatics.batch import AsyncClient, TranscriptionConfig

    assert len(tone_speech(TALK)) / RATE > 60
    # Each window takes 0.5 s: the job runs 1.5 s or more, so a wait that was not held
    # would come back while it still runs.
    engine = InProcessEngine(tmp_path / "slow", ToneRecognizer(delay_s=0.5)).start()
    target = EngineTarget(engine.batch_url, engine.rt_url, engine.api_key, "local", local=True)
    try:
        async with AsyncClient(api_key=engine.api_key, url=engine.batch_url) as client:
            job = await client.submit_job(
                str(tone_file(tmp_path / "talk.wav", TALK)),
                transcription_config=TranscriptionConfig(language="en"),
            )
            assert await until_ended(target, job.id) == "done"
            info = await client.get_job_info(job.id)
            assert info.status.value == "done"
            text = (await client.get_transcript(job.id)).transcript_text
            assert text.startswith("Alpha bravo charlie delta echo.")
            # A job that has ended answers at once, with its status.
            assert await until_ended(target, job.id) == "done"
    finally:
        engine.stop()


async def test_a_server_that_does_not_hold_is_asked_once() -> None:
    asked: list[str] = []

    async def running(request: web.Request) -> web.Response:
        asked.append(request.query.get("wait", ""))
        return web.json_response({"job": {"id": "j1", "status": "running"}})

    app = web.Application()
    app.router.add_get("/v2/jobs/{id}", running)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        url = str(server.make_url("/v2"))
        target = EngineTarget(url, url.replace("http", "ws"), "k", "somewhere")
        assert await until_ended(target, "j1") is None  # the SDK's polling takes over
        assert asked == ["30"]
        assert await until_ended(target, "missing-route/x") is None  # 404: also handed over
    finally:
        await server.close()
