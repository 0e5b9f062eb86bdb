"""The headless core never imports Textual; ``--help`` stays fast."""

from __future__ import annotations

import subprocess
import sys

HEADLESS = [
    "tui.cli", "tui.settings", "tui.paths", "tui.core", "tui.core.engine_process",
    "tui.engine.server", "tui.engine.realtime.api", "tui.engine.realtime.pump", "tui.engine.batch.api",
    "tui.engine.realtime.streaming", "tui.engine.context", "tui.shared.audio", "tui.shared.transcripts",
    "tui.commands.serve",
]  # fmt: skip


def test_headless_modules_never_import_textual() -> None:
    import pkgutil

    import tui.core

    modules = HEADLESS + [f"tui.core.{m.name}" for m in pkgutil.iter_modules(tui.core.__path__)]
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules)
    code += "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]\n"
    code += "assert not bad, bad\n"
    subprocess.run([sys.executable, "-c", code], check=True)


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
