"""The default command: the Textual dashboard."""

from __future__ import annotations

import argparse

from tui.settings import Settings


def run_dashboard(args: argparse.Namespace, settings: Settings) -> int:
    """Open the dashboard."""
    from tui.app import make_app

    app = make_app(settings, files=list(args.files), live=args.live)
    app.run()
    return app.return_code or 0
