"""Writing transcripts to files: txt, srt, vtt and json-v2, for batch jobs and live sessions."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tui.core.batch import BatchJob

FORMATS = ("txt", "srt", "vtt", "json")


def _stem(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", Path(name).stem) or "transcript"


def export_job(job: BatchJob, folder: Path, formats: tuple[str, ...] = FORMATS) -> list[Path]:
    """Write a finished job's transcript in each format; return the files written.

    Raises:
        ValueError: The job has no transcript.
    """
    from tui.shared.transcripts import render_json, render_vtt

    if job.transcript is None:
        raise ValueError(f"{job.name} has no transcript yet")
    folder.mkdir(parents=True, exist_ok=True)
    results = job.transcript.get("results", [])
    bodies = {
        "txt": job.txt or job.text + "\n",
        "srt": job.srt,
        "vtt": render_vtt(results),
        "json": render_json(job.transcript),
    }
    return _write(bodies, folder, f"{_stem(job.name)}-{job.id}", formats)


def _write(bodies: dict[str, str], folder: Path, stem: str, formats: tuple[str, ...]) -> list[Path]:
    """Write ``stem.fmt`` for each format; return the files written."""
    written = []
    for fmt in formats:
        path = folder / f"{stem}.{fmt}"
        path.write_text(bodies[fmt], encoding="utf-8")
        written.append(path)
    return written


def bundle(paths: list[Path], folder: Path) -> Path:
    """The files in one zip archive (a browser downloads one file per click)."""
    import zipfile

    folder.mkdir(parents=True, exist_ok=True)
    archive = folder / f"{paths[0].stem}.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for path in paths:
            out.write(path, arcname=path.name)
    return archive


def export_live(
    text: str,
    transcript: dict[str, Any],
    folder: Path,
    name: str,
    formats: tuple[str, ...] = ("txt",),
) -> list[Path]:
    """Write a live transcript (its stitched text and json-v2 document) in each format."""
    from tui.shared.transcripts import render_json, render_srt, render_vtt

    folder.mkdir(parents=True, exist_ok=True)
    results = transcript.get("results", [])
    bodies = {
        "txt": text.strip() + "\n",
        "srt": render_srt(results),
        "vtt": render_vtt(results),
        "json": render_json(transcript),
    }
    return _write(bodies, folder, _stem(name), formats)
