"""Where benchmarks keep their figures: ``bench/results/<date>-<machine>/<name>.json``.

Each run's figures are data, kept beside earlier runs' rather than rewritten into prose; the
docs show the latest. The machine is named by its processor and core count (no host names).
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> str:
    """This machine as a folder name: ``2-core-amd-epyc``."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1]
                break
    except OSError:
        pass
    slug = re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-")[:40] or "unknown"
    return f"{os.cpu_count()}-core-{slug}"


def commit() -> str | None:
    """The checkout's commit, with ``+`` when it has changes not committed."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=RESULTS, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "tui"],
            cwd=RESULTS.parent.parent,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return None
    return (head + ("+" if dirty else "")) or None


def write_results(
    name: str, figures: dict[str, Any], tables: list[Table] | None = None, command: str = ""
) -> Path:
    """Write ``figures`` and ``tables`` (with when, where, at which commit and by which
    command they were measured) and return the file."""
    folder = RESULTS / f"{time.strftime('%Y-%m-%d')}-{machine()}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    record = {
        "benchmark": name,
        "measured": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "commit": commit(),
        "command": command or f"make benchmark-{name.replace('_', '-')}",
        **figures,
        "tables": [table.as_json() for table in tables or []],
    }
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


class Table:
    """A table of figures, printed row by row as it fills (Markdown) and kept as data.

    Args:
        title: What the table measures, as the docs head it.
        columns: The column headings.
    """

    def __init__(self, title: str, columns: list[str]) -> None:
        self.title = title
        self.columns = columns
        self.rows: list[list[str]] = []

    def add(self, *cells: object, echo: bool = True) -> None:
        """Add a row (and print it, after the heading for the first one)."""
        if echo and not self.rows:
            print(f"\n{self.title}\n\n{_line(self.columns)}\n{_line(['---'] * len(self.columns))}")
        self.rows.append([str(cell) for cell in cells])
        if echo:
            print(_line(self.rows[-1]), flush=True)

    def as_json(self) -> dict[str, Any]:
        """The table as the results file keeps it."""
        return {"title": self.title, "columns": self.columns, "rows": self.rows}


def _line(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def latest(name: str) -> Path | None:
    """The newest results file of a benchmark (folders sort by date first)."""
    found = sorted(
        RESULTS.glob(f"*/{name}.json"), key=lambda p: (p.parent.name[:10], p.stat().st_mtime)
    )
    return found[-1] if found else None


def render(record: dict[str, Any]) -> str:
    """A results file's tables as Markdown, with when, where and how they were measured."""
    parts = [
        f"Measured {record['measured'][:10]} on {record['machine']} "
        f"(`{record.get('command', 'bench/' + record['benchmark'] + '.py')}`"
        + (f", at {record['commit']}" if record.get("commit") else "")
        + ")."
    ]
    for table in record.get("tables", []):
        parts.append(f"**{table['title']}**")
        lines = [_line(table["columns"]), _line(["---"] * len(table["columns"]))]
        lines += [_line(row) for row in table["rows"]]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)
