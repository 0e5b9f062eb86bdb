"""``--help`` stays fast: it imports nothing heavy.

(That the headless core never imports Textual is an import contract: ``make imports``.)"""

from __future__ import annotations

import subprocess
import sys


def test_help_lists_subcommands_without_heavy_imports() -> None:
    code = (
        "import sys\nfrom tui.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('textual', 'numpy', 'faster_whisper', 'av', 'speechmatics') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    for command in ("serve", "dashboard"):
        assert command in out
