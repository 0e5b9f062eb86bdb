"""A path input that completes file names as you type (→ accepts the suggestion)."""

from __future__ import annotations

import shlex
from pathlib import Path

from textual.suggester import Suggester
from textual.widgets import Input


class PathSuggester(Suggester):
    """Suggests the first file or folder that completes what was typed."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value or "\n" in value:
            return None
        typed = Path(value).expanduser()
        folder, prefix = (typed, "") if value.endswith("/") else (typed.parent, typed.name)
        try:
            names = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir())
        except OSError:
            return None
        for name in names:
            if name.startswith(prefix) and not name.startswith(".") and name != prefix:
                return value + name[len(prefix) :]
        return None


def split_paths(text: str) -> list[Path]:
    """Paths from pasted text: one per line, or shell-quoted on one line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > 1:
        return [Path(line.strip("'\"")).expanduser() for line in lines]
    if not lines:
        return []
    single = Path(lines[0].strip("'\"")).expanduser()
    if single.exists():
        return [single]
    try:
        return [Path(part).expanduser() for part in shlex.split(lines[0])]
    except ValueError:
        return [single]


class PathInput(Input):
    """Input for audio file paths, with completion."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            placeholder="audio file path(s) — enter to add, → to complete, esc to leave",
            suggester=PathSuggester(),
            **kwargs,  # type: ignore[arg-type]
        )
