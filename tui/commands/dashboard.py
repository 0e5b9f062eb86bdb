"""The default command: the Textual dashboard."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import IO

from tui.paths import sample_audio
from tui.settings import Settings


def _stdin_audio() -> IO[bytes]:
    """Take the audio pipe off stdin and give the keyboard (the terminal) back to stdin.

    Raises:
        OSError: There is no terminal to read keys from.
    """
    audio = os.fdopen(os.dup(0), "rb", buffering=0)
    terminal = os.open("/dev/tty", os.O_RDONLY)
    os.dup2(terminal, 0)
    os.close(terminal)
    return audio


def _check_store(settings: Settings, notices: list[str]) -> str | None:
    """Open the job store once before the UI: a broken one is moved aside (said in ``notices``),
    one that cannot be used is the reason returned."""
    from tui.core.store import StoreError, open_store

    try:
        store, _ = open_store(settings.data_dir)
    except StoreError as exc:
        return str(exc)
    if store.notice:
        notices.append(store.notice)
    store.close()
    return None


def run_dashboard(args: argparse.Namespace, settings: Settings) -> int:
    """Open the dashboard."""
    files: list[Path] = list(args.files)
    use_sample = not files and not args.no_sample and sample_audio() is not None
    if use_sample:
        files = [sample_audio()]  # type: ignore[list-item]
    if args.live not in (None, "-", "mic"):
        from tui.core.batch import JobInputError, inspect

        try:
            inspect(Path(args.live).expanduser())
        except JobInputError as exc:
            print(f"sm-tui: --live {args.live}: {exc}", file=sys.stderr)
            return 2
    live_stream = None
    if args.live == "-":
        if sys.stdin.isatty():
            print(
                "sm-tui: --live - reads audio from a pipe, e.g. arecord -f S16_LE -r 16000 -c 1 | "
                "sm-tui --live - --raw s16le:16000",
                file=sys.stderr,
            )
            return 2
        try:
            live_stream = _stdin_audio()
        except OSError:
            print("sm-tui: --live - needs a terminal for the keyboard (/dev/tty)", file=sys.stderr)
            return 2
    notices: list[str] = []
    problem = _check_store(settings, notices)
    if problem:
        print(f"sm-tui: {problem}", file=sys.stderr)
        return 1
    from tui.app import make_app

    app = make_app(
        settings,
        files=files,
        live=args.live,
        live_stream=live_stream,
        raw=args.raw,
        sample=use_sample,
        notices=notices,
    )
    try:
        app.run()
    finally:
        app.stop_engine()
    return app.return_code or 0
