"""``sm-tui serve``: the local engine in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import threading

from tui.settings import Settings


def engine_settings(args: argparse.Namespace, settings: Settings) -> Settings:
    """The settings with the command line's options laid over them."""
    changes = {
        "engine_host": args.host,
        "engine_port": args.port,
        "engine_model": args.model,
        "engine_max_upload_mb": args.max_upload_mb,
        "engine_retention_s": args.retention,
        "engine_max_sessions": args.max_sessions,
        "engine_max_session_s": args.max_session_seconds,
        "engine_max_audio_hours": args.max_audio_hours,
        "engine_max_queued_jobs": args.max_queued_jobs,
        "engine_idle_s": args.idle_seconds,
        "engine_start_timeout_s": args.start_timeout,
    }
    return settings.with_changes(**{k: v for k, v in changes.items() if v is not None})


def _check_host(host: str) -> str | None:
    """Why ``host`` cannot be listened on (before the model loads), or None."""
    import socket

    try:
        socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return f"--host {host!r} is not an address of this machine (e.g. 127.0.0.1 or ::1)"
    return None


def _check_folder(settings: Settings) -> str | None:
    """Why the engine cannot keep its files (uploads, job records), or None."""
    import os

    from tui.paths import DataPaths

    try:
        folder = DataPaths(settings.data_dir).ensure().engine
    except OSError as exc:
        return f"cannot create the data folder {settings.data_dir} ({exc.strerror})"
    if not os.access(folder, os.W_OK | os.X_OK):
        return (
            f"the engine's folder {folder} is read-only; make it writable or point "
            "SM_TUI_DATA_DIR at a folder you can write"
        )
    return None


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Load the model, serve both APIs until interrupted."""
    from tui.engine.connections import EscapingFormatter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(EscapingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    level = os.environ.get("SM_TUI_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=getattr(logging, level, logging.INFO), handlers=[handler])
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)
    settings = engine_settings(args, settings)
    from tui.engine.recognition.asr import ModelLoadError
    from tui.engine.server import build_engine, serve

    host, port = settings.engine_host, settings.engine_port
    problem = _check_host(host)
    if problem:
        print(f"sm-tui serve: {problem}", file=sys.stderr)
        return 2
    problem = _check_folder(settings)
    if problem:
        print(f"sm-tui serve: {problem}", file=sys.stderr)
        return 1
    logging.info("loading model %s", settings.engine_model)
    try:
        engine = build_engine(settings, api_key=args.api_key or settings.engine_api_key)
    except ModelLoadError as exc:
        print(f"sm-tui serve: {exc}", file=sys.stderr)
        return 1

    def announce(bound: int) -> None:
        if args.announce:
            print(f"READY {bound}", flush=True)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(sig, stop.set)
        if args.watch_stdin:
            threading.Thread(target=_wait_for_eof, args=(loop, stop), daemon=True).start()
        await serve(engine, host, port, ready=announce, stop=stop)

    try:
        asyncio.run(main())
    except OSError as exc:
        print(f"sm-tui serve: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0


def _wait_for_eof(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """Block until stdin closes, then stop the server (the supervising parent is gone)."""
    try:
        while sys.stdin.read(4096):
            pass
    finally:
        loop.call_soon_threadsafe(stop.set)
