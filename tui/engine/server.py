"""The engine's aiohttp application: auth, error handling, routes, start-up and serving."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from tui.engine.batch import api as batch_api
from tui.engine.batch.intelligence import warm as warm_intelligence
from tui.engine.batch.jobs import JobManager
from tui.engine.connections import ConnectionGuard, quiet_loop_errors
from tui.engine.context import ENGINE, Engine, Limits
from tui.engine.realtime.api import handle_websocket, session_load
from tui.engine.realtime.sessions import SESSIONS, SessionRegistry
from tui.engine.recognition.capacity import report, summary
from tui.engine.recognition.models import ENHANCED
from tui.engine.recognition.native_memory import limit_arenas
from tui.paths import DataPaths
from tui.shared.extensions import CAPACITY_PATH, SESSION_LOAD_PATH

if TYPE_CHECKING:
    from tui.engine.recognition.asr import SpeechModel
    from tui.settings import Settings

log = logging.getLogger("sm_tui.engine")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _authorised(request: web.Request, key: str | None) -> bool:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    bearer = scheme.lower() == "bearer"  # schemes are case-insensitive (RFC 9110)
    token = credentials.strip() if bearer else request.query.get("jwt", "")
    if key is None:
        return bool(token)
    return hmac.compare_digest(token.encode(), key.encode())


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """401 for a missing or wrong key on every endpoint, the WebSocket handshake included."""
    engine: Engine = request.app[ENGINE]
    if request.path.startswith("/v2") and not _authorised(request, engine.api_key):
        return web.json_response({"code": 401, "error": "Permission Denied"}, status=401)
    return await handler(request)


KEPT_HEADERS = {"allow", "retry-after", "www-authenticate"}  # an error's own headers (RFC 9110)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn API errors into JSON answers and anything unexpected into a 500, never a crash."""
    try:
        return await handler(request)
    except batch_api.ApiError as exc:
        return exc.response()
    except web.HTTPException as exc:
        if exc.status >= 400:
            kept = {k: v for k, v in exc.headers.items() if k.lower() in KEPT_HEADERS}
            return web.json_response(
                {"code": exc.status, "error": exc.reason or "Error"},
                status=exc.status,
                headers=kept,
            )
        raise
    except (asyncio.CancelledError, ConnectionResetError):
        raise
    except Exception:
        log.exception("request %s %s failed", request.method, request.path)
        return web.json_response({"code": 500, "error": "Internal Server Error"}, status=500)


async def health(request: web.Request) -> web.Response:
    """``GET /health``: the engine is up and its model loaded."""
    engine: Engine = request.app[ENGINE]
    return web.json_response({"status": "ok", "model": engine.recognizer.name})


async def _expire_jobs(app: web.Application) -> AsyncIterator[None]:
    engine: Engine = app[ENGINE]
    jobs = app[batch_api.JOBS]
    jobs.restore()

    async def loop() -> None:
        while True:
            await asyncio.sleep(min(60.0, max(0.5, engine.limits.retention_s / 4)))
            jobs.expire_old(engine.limits.retention_s)

    task = asyncio.create_task(loop())
    yield
    task.cancel()
    await jobs.suspend()  # running jobs keep their audio and resume after a restart
    engine.scheduler.close(wait_s=10.0)


def job_queue(engine: Engine) -> JobManager:
    """The batch API's job queue, in the engine's folder, on its scheduler and models."""
    return JobManager(
        engine.folder,
        engine.scheduler,
        engine.models,
        engine.limits.max_audio_s,
        engine.batch_point,
    )


def make_app(
    engine: Engine,
    on_request: Callable[[object], None] | None = None,
    jobs: JobManager | None = None,
) -> web.Application:
    """The aiohttp application serving both APIs.

    Args:
        engine: What the handlers share.
        on_request: Told the transport of each request as it starts (the connection guard).
        jobs: The job queue (``job_queue``; a new one by default).
    """

    @web.middleware
    async def started(request: web.Request, handler: Handler) -> web.StreamResponse:
        if on_request is not None:
            on_request(request.transport)
        return await handler(request)

    app = web.Application(
        middlewares=[started, error_middleware, auth_middleware], client_max_size=1 << 20
    )
    app[ENGINE] = engine
    # Each API gets its own state from here, so neither imports the other.
    app[batch_api.JOBS] = jobs or job_queue(engine)
    app[SESSIONS] = registry = SessionRegistry()
    app.router.add_get("/health", health)
    batch_api.add_routes(app)
    app.router.add_get(SESSION_LOAD_PATH, session_load)
    app.router.add_get(CAPACITY_PATH, capacity)
    for path in ("/v2", "/v2/", "/v2/{language}"):
        app.router.add_get(path, handle_websocket)
    app.cleanup_ctx.append(_expire_jobs)
    app.cleanup_ctx.append(lambda _: registry.ended())
    return app


def urls(host: str, port: int) -> tuple[str, str]:
    """The batch and real-time base URLs for a host and port."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/v2", f"ws://{shown}:{port}/v2"


async def serve(
    engine: Engine,
    host: str,
    port: int,
    ready: Callable[[int], None] | None = None,
    stop: asyncio.Event | None = None,
    jobs: JobManager | None = None,
) -> None:
    """Serve until ``stop`` is set (or forever); call ``ready(port)`` once listening. ``jobs``
    is the job queue to serve (a new one by default)."""
    limits = engine.limits
    guard = ConnectionGuard(lambda: None, limits.max_connections, limits.start_timeout_s)
    runner = web.AppRunner(
        make_app(engine, guard.request_started, jobs),
        access_log=None,
        shutdown_timeout=2,
        keepalive_timeout=max(limits.start_timeout_s, 5.0),  # idle keep-alive connections
    )
    await runner.setup()
    guard.factory = runner.server  # type: ignore[assignment]
    loop = asyncio.get_running_loop()
    quiet_loop_errors(loop)
    server = await loop.create_server(guard, host, port, backlog=128, reuse_address=True)
    sockets = list(server.sockets)
    bound = sockets[0].getsockname()[1] if sockets else port
    batch_url, rt_url = urls(host, bound)
    log.info(
        "sm-tui engine ready on %s (batch) and %s (real-time); standard model %s, %s",
        batch_url,
        rt_url,
        engine.recognizer.name,
        summary(engine.recognizer.step_costs),
    )
    if ready is not None:
        ready(bound)
    preload = asyncio.create_task(_preload(engine)) if engine.preload else None
    try:
        await (stop.wait() if stop is not None else asyncio.Event().wait())
    finally:
        if preload is not None:
            preload.cancel()
        server.close()
        with contextlib.suppress(Exception):
            await runner.cleanup()


async def _preload(engine: Engine) -> None:
    """Load the enhanced model in the background, and say what it serves; then the audio
    intelligence libraries the dashboard's jobs ask for."""
    await engine.models.preload()
    enhanced = engine.models.loaded.get(ENHANCED)
    if enhanced is not None:
        log.info("enhanced model %s loaded; %s", enhanced.name, summary(enhanced.step_costs))
    try:
        await asyncio.to_thread(warm_intelligence)
    except ImportError as exc:  # said when a job asks, as that feature's error
        log.warning("audio intelligence unavailable: %s", exc)


async def capacity(request: web.Request) -> web.Response:
    """``GET /v2/sm-tui/capacity``: each loaded model's step costs and how many real-time
    sessions it serves within each ``max_delay``, and the sessions running now."""
    engine: Engine = request.app[ENGINE]
    return web.json_response(
        {
            "sessions": request.app[SESSIONS].slots,
            "max_sessions": engine.limits.max_sessions,
            "models": {
                point: report(model.name, model.step_costs)
                for point, model in engine.models.loaded.items()
            },
        }
    )


def build_engine(
    settings: Settings,
    recognizer: SpeechModel | None = None,
    *,
    model: str | None = None,
    api_key: str | None = None,
    limits: Limits | None = None,
    load_enhanced: Callable[[], SpeechModel] | None = None,
) -> Engine:
    """Load the model (once, before any session) and build the engine.

    Args:
        settings: Folders, the model and the limits.
        recognizer: A recogniser to use instead of loading Whisper (tests' stand-in).
        load_enhanced: With ``recognizer``, what loads the enhanced model (tests' stand-in).
        model: A model to load instead of the settings' one.
        api_key: The key to demand instead of the settings' one.
        limits: Limits instead of the settings' ones.
    """
    paths = DataPaths(settings.data_dir).ensure()
    limit_arenas()  # before the models start their threads
    english_only = True
    if recognizer is None:
        from tui.engine.recognition.asr import Recognizer
        from tui.engine.recognition.models import BASE_NAME, assemble_base

        recognizer = Recognizer(model or settings.engine_model)
        english_only = not recognizer.multilingual
        if settings.engine_enhanced:

            def load_enhanced() -> SpeechModel:
                # Its copy for wide real-time steps loads with the first session that uses it.
                return Recognizer(str(assemble_base(paths.models)), name=BASE_NAME, wide=False)

    return Engine(
        recognizer=recognizer,
        load_enhanced=load_enhanced,
        english_only=english_only,
        batch_point=settings.batch_operating_point,
        rt_point=settings.rt_operating_point,
        paths=paths,
        limits=limits or Limits.from_settings(settings),
        api_key=api_key if api_key is not None else settings.engine_api_key,
        preload=settings.engine_preload,
    )
