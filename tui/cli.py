"""The ``sm-tui`` command: the dashboard by default, and headless subcommands.

Only argparse and the settings load at start-up; each subcommand imports what it needs, so
``sm-tui --help`` answers at once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tui import __version__
from tui.settings import Settings, SettingsError

SUBCOMMANDS = ("dashboard", "serve", "compare", "batch", "jobs", "live", "web")


def _port(text: str) -> int:
    """A TCP port number for argparse."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port: use 1–65535 (0 picks a free one)")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sm-tui",
        description="A terminal dashboard for speech transcription: batch jobs and live "
        "speech side by side, on Speechmatics or on the embedded local engine.",
        epilog="With no subcommand the dashboard opens. Settings come from the environment "
        "and .env (see .env.example); without SPEECHMATICS_API_KEY the local engine is used.",
    )
    parser.add_argument("--version", action="version", version=f"sm-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    dash = sub.add_parser("dashboard", help="open the dashboard (the default)")
    dash.add_argument("files", nargs="*", type=Path, help="audio files to queue for batch")
    dash.add_argument(
        "--live",
        metavar="SOURCE",
        help="live source: a file played at real speed, '-' for stdin, or 'mic'",
    )
    dash.add_argument(
        "--raw",
        metavar="ENC:RATE",
        help="stdin is raw PCM, e.g. s16le:16000 (default: a container stream)",
    )
    dash.add_argument(
        "--no-sample",
        action="store_true",
        help="do not queue assets/sample.wav when no files are given",
    )

    serve = sub.add_parser("serve", help="run the local Speechmatics-compatible engine")
    serve.add_argument("--host", default=None, help="interface to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port",
        type=_port,
        default=None,
        help="port (default SM_TUI_ENGINE_PORT, else 8900; 0 picks a free one)",
    )
    serve.add_argument(
        "--model",
        default=None,
        help="tiny.en (bundled, default), a CTranslate2 Whisper folder or name",
    )
    serve.add_argument(
        "--api-key",
        default=None,
        help="demand this key (visible in ps: prefer SM_TUI_ENGINE_API_KEY, else any key)",
    )
    serve.add_argument("--max-upload-mb", type=int, default=None, help="largest batch upload")
    serve.add_argument(
        "--retention",
        type=float,
        default=None,
        help="seconds finished jobs and their audio are kept",
    )
    serve.add_argument("--max-sessions", type=int, default=None, help="real-time sessions at once")
    serve.add_argument(
        "--max-session-seconds", type=float, default=None, help="longest real-time session"
    )
    serve.add_argument(
        "--max-audio-hours", type=float, default=None, help="longest batch audio (default 8)"
    )
    serve.add_argument(
        "--max-queued-jobs", type=int, default=None, help="unfinished jobs held; more get 429"
    )
    serve.add_argument(
        "--idle-seconds",
        type=float,
        default=None,
        help="close a real-time session after this long without audio (default 3600)",
    )
    serve.add_argument(
        "--start-timeout",
        type=float,
        default=None,
        help="close connections that send no request or StartRecognition in time (default 15)",
    )
    serve.add_argument(
        "--announce",
        action="store_true",
        help="print 'READY <port>' on stdout when listening (for supervisors)",
    )
    serve.add_argument(
        "--watch-stdin",
        action="store_true",
        help="stop when standard input closes (the parent has gone)",
    )
    from tui.commands.batch import add_parsers as add_batch
    from tui.commands.compare import add_parser as add_compare
    from tui.commands.live import add_parser as add_live
    from tui.commands.web import add_parser as add_web

    add_compare(sub)
    add_batch(sub)
    add_live(sub)
    add_web(sub, _port)
    return parser


def _normalise(argv: list[str]) -> list[str]:
    """Make the dashboard the default subcommand."""
    if argv and (argv[0] in SUBCOMMANDS or argv[0] in ("-h", "--help", "--version")):
        return argv
    return ["dashboard", *argv]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sm-tui`` command."""
    args = _parser().parse_args(_normalise(list(sys.argv[1:] if argv is None else argv)))
    try:
        settings = Settings.load()
    except SettingsError as exc:
        print(f"sm-tui: {exc} (check your environment or .env)", file=sys.stderr)
        return 2
    if args.command in ("batch", "jobs"):
        from tui.commands.batch import run_batch, run_jobs

        return (run_batch if args.command == "batch" else run_jobs)(args, settings)
    if args.command == "compare":
        from tui.commands.compare import run_compare

        return run_compare(args, settings)
    if args.command == "web":
        from tui.commands.web import run_web

        return run_web(args, settings)
    if args.command == "live":
        from tui.commands.live import run_live

        return run_live(args, settings)
    if args.command == "serve":
        from tui.commands.serve import run_serve

        return run_serve(args, settings)
    from tui.commands.dashboard import run_dashboard

    return run_dashboard(args, settings)
