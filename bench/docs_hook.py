"""A mkdocs hook: ``<!-- results NAME -->`` in a docs page becomes the tables of the newest
``bench/results/*/NAME.json``, with when, where and how they were measured.

So the benchmarks page always shows the latest run, and the figures are typed nowhere.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.results import latest, render

log = logging.getLogger("mkdocs.plugins.sm_tui")
MARK = re.compile(r"<!-- results (\w+) -->")


def _tables(match: re.Match[str]) -> str:
    found = latest(match.group(1))
    if found is None:  # a warning, which fails the strict build with this message
        log.warning("no bench/results/*/%s.json: run its benchmark first", match.group(1))
        return f"*No results yet for `{match.group(1)}`.*"
    return render(json.loads(found.read_text(encoding="utf-8")))


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Put each marked benchmark's latest tables into the page."""
    return MARK.sub(_tables, markdown)
