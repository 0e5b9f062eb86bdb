"""``sm-tui serve``: the local engine in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import threading

from tui.settings import Settings

DEFAULT_PORT = 8900


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Load the model, serve both APIs until interrupted."""
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)
    logging.info("loading model %s", args.model or settings.engine_model)
    from tui.engine.asr import ModelLoadError
    from tui.engine.server import Limits, build_engine, serve

    limits = Limits(
        max_upload_bytes=(args.max_upload_mb or settings.engine_max_upload_mb) * 1024 * 1024,
        retention_s=args.retention or settings.engine_retention_s,
        max_sessions=args.max_sessions or settings.engine_max_sessions,
        max_session_s=args.max_session_seconds,
    )
    port = args.port if args.port is not None else (settings.engine_port or DEFAULT_PORT)
    host = args.host or settings.engine_host
    try:
        engine = build_engine(
            args.model or settings.engine_model,
            settings.data_dir,
            args.api_key or settings.engine_api_key,
            limits,
        )
    except ModelLoadError as exc:
        print(f"sm-tui serve: {exc}", file=sys.stderr)
        return 1

    def announce(bound: int) -> None:
        if args.announce:
            print(f"READY {bound}", flush=True)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
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
