"""Every comparison kept: one JSON file per run in the data folder, read back as a history.

The history lets a user see the trend of latency and WER over runs, and compare engines: the
local engine against Speechmatics, or today against last week.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.core.comparison import ComparisonSummary


@dataclass(frozen=True)
class Run:
    """One kept comparison, the figures the history shows."""

    when: float  # seconds since the epoch
    file: str
    engine: str
    audio_s: float
    final_p50_s: float | None
    final_p95_s: float | None
    batch_ratio: float | None
    wer_batch: float | None
    wer_realtime: float | None
    wer_between: float | None

    @property
    def day(self) -> str:
        """``2026-11-24 09:30``."""
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.when))


def keep(
    summary: ComparisonSummary, folder: Path, when: float | None = None, path: Path | None = None
) -> Path:
    """Write a comparison's figures (every word timing too) to the folder; return the file.

    ``path``: the file this comparison was kept in before (rewritten, e.g. with a reference).
    """
    when = time.time() if when is None else when
    folder.mkdir(parents=True, exist_ok=True)
    if path is None:
        stem = re.sub(r"[^\w.-]+", "_", Path(summary.file).stem) or "audio"
        path = _free(folder, f"{time.strftime('%Y%m%d-%H%M%S', time.localtime(when))}-{stem}")
    body = {"kept_at": when, "summary": summary.to_json()}
    path.write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _free(folder: Path, stem: str) -> Path:
    """``folder/stem.json``, or ``stem~2.json``… when a run of the same second is kept."""
    first = folder / f"{stem}.json"
    path = first
    for n in range(2, 1000):
        if not path.exists():
            break
        path = first.with_name(f"{stem}~{n}.json")
    return path


def runs(folder: Path) -> tuple[list[Run], list[str]]:
    """Every kept comparison, oldest first, and what could not be read (file: reason)."""
    found: list[Run] = []
    problems: list[str] = []
    if not folder.is_dir():
        return found, problems
    for path in sorted(folder.glob("*.json")):
        try:
            found.append(_run(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problems.append(f"{path.name}: {exc}")
    found.sort(key=lambda run: run.when)
    return found, problems


def _run(body: dict[str, Any]) -> Run:
    summary = body["summary"]
    realtime, batch, wer = summary["realtime"], summary["batch"], summary["wer"]
    return Run(
        when=float(body["kept_at"]),
        file=str(summary["file"]),
        engine=str(summary["engine"]),
        audio_s=float(summary["audio_s"]),
        final_p50_s=realtime.get("final_latency_p50_s"),
        final_p95_s=realtime.get("final_latency_p95_s"),
        batch_ratio=batch.get("turnaround_ratio"),
        wer_batch=wer.get("batch"),
        wer_realtime=wer.get("realtime"),
        wer_between=wer.get("between"),
    )


MATRIX_FOLDER = "matrix"  # beside the two-sided runs, which ``runs`` reads


def keep_matrix(body: dict[str, Any], folder: Path, when: float | None = None) -> Path:
    """Keep a matrix run (``sm-tui compare --model …``) in the history's ``matrix`` folder."""
    when = time.time() if when is None else when
    where = folder / MATRIX_FOLDER
    where.mkdir(parents=True, exist_ok=True)
    path = _free(where, time.strftime("%Y%m%d-%H%M%S", time.localtime(when)))
    path.write_text(
        json.dumps({"kept_at": when, **body}, indent=1, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    return path


@dataclass(frozen=True)
class Point:
    """One configuration's figures in one kept matrix run."""

    when: float
    latency_p50_s: float | None
    latency_p95_s: float | None
    wer: float | None
    cost_usd: float | None


def matrix_runs(folder: Path) -> dict[str, list[Point]]:
    """Every configuration kept in matrix runs (by label), its figures in time order; runs
    that cannot be read are left out."""
    from tui.core.matrix import Configuration

    out: dict[str, list[Point]] = {}
    for path in sorted((folder / MATRIX_FOLDER).glob("*.json")):
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
            for row in body["configurations"]:
                config = Configuration(row["mode"], row["model"], row["target"], row["max_delay"])
                out.setdefault(config.label, []).append(
                    Point(
                        float(body["kept_at"]),
                        row.get("latency_p50_s"),
                        row.get("latency_p95_s"),
                        row.get("wer"),
                        row.get("cost_usd"),
                    )
                )
        except (OSError, ValueError, KeyError, TypeError):
            continue
    for points in out.values():
        points.sort(key=lambda point: point.when)
    return out
