"""Reference transcripts: a text, a text file, or a TSV of file names and texts."""

from __future__ import annotations

from pathlib import Path


def load_references(path: Path) -> dict[str, str]:
    """Read a TSV whose first column is a file name and last column its transcript.

    A header row starting with ``file`` is skipped, and so are rows whose text is ``-`` (no
    single reference, e.g. overlapping speakers).
    """
    refs: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        columns = line.split("\t")
        if len(columns) < 2 or columns[0] == "file" or columns[-1].strip() in ("", "-"):
            continue
        refs[columns[0].strip()] = columns[-1].strip()
    return refs


def reference_text(value: str | None) -> str | None:
    """``--reference``: a path to a text file, or the text itself."""
    if value is None:
        return None
    candidate = Path(value).expanduser()
    if len(value) < 4096 and candidate.is_file():
        return candidate.read_text(encoding="utf-8").strip()
    return value


def sidecar_reference(audio: Path) -> str | None:
    """The reference beside an audio file: ``talk.txt`` for ``talk.wav``, if there is one."""
    candidate = audio.with_suffix(".txt")
    try:
        return candidate.read_text(encoding="utf-8").strip() if candidate.is_file() else None
    except (OSError, UnicodeDecodeError):
        return None
