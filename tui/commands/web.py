"""``sm-tui web``: the dashboard in a browser, served with textual-serve.

Each browser tab runs its own dashboard process on this machine, so the microphone, stdin and
the files it can queue are the server's; the dashboard says so. Exports are also sent to the
browser as downloads. Loopback only unless ``--host`` says otherwise: the dashboard can read
any file the server's user can, so exposing it is a decision the user makes, and is told of.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any

from tui.settings import Settings

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def add_parser(sub: Any, port: Any) -> None:
    """Register the subcommand (``port``: the CLI's port type)."""
    web = sub.add_parser("web", help="serve the dashboard to a web browser (textual-serve)")
    web.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    web.add_argument("--port", type=port, default=8000, help="port (default 8000)")
    web.add_argument(
        "--no-sample", action="store_true", help="do not queue assets/sample.wav in new tabs"
    )
    web.add_argument("files", nargs="*", help="audio files (on the server) each tab queues")


def dashboard_command(args: argparse.Namespace) -> str:
    """The command each browser tab runs: this Python, this package, the dashboard.

    Nothing secret is on it: the key stays in the environment the tabs inherit.
    """
    parts = [sys.executable, "-m", "tui", "dashboard"]
    if args.no_sample:
        parts.append("--no-sample")
    parts.extend(str(f) for f in args.files)
    return shlex.join(parts)


def _taken(host: str, port: int) -> str | None:
    """Why the address cannot be served on (in use, not this machine's), or None."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(infos[0][4])
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def run_web(args: argparse.Namespace, settings: Settings) -> int:
    """Serve until ctrl+c."""
    from textual_serve.server import Server

    problem = _taken(args.host, args.port)
    if problem:
        print(
            f"sm-tui web: cannot serve on {args.host}:{args.port}: {problem} (choose another "
            "with --port, or stop what uses it)",
            file=sys.stderr,
        )
        return 1
    if args.host not in LOOPBACK:
        print(
            f"sm-tui web: serving on {args.host}: anyone who can reach it can use this "
            "machine's files and microphone through the dashboard",
            file=sys.stderr,
        )
    where = "the local engine" if settings.uses_local_engine else "Speechmatics"
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(
        f"sm-tui web: open http://{host}:{args.port} (each tab runs a dashboard on {where}; "
        "ctrl+c stops)",
        flush=True,
    )
    server = Server(dashboard_command(args), host=args.host, port=args.port, title="sm-tui")
    server.serve()
    return 0
