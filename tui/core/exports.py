"""Writing transcripts to files: txt, srt, vtt and json-v2 for batch jobs; txt for live."""

from __future__ import annotations

import re
from pathlib import Path

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
    written = []
    for fmt in formats:
        path = folder / f"{_stem(job.name)}-{job.id}.{fmt}"
        path.write_text(bodies[fmt], encoding="utf-8")
        written.append(path)
    return written


def export_text(text: str, folder: Path, name: str) -> Path:
    """Write a live transcript as text."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_stem(name)}.txt"
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path
