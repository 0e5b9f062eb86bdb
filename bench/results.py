"""Where benchmarks keep their figures: ``bench/results/<date>-<machine>/<name>.json``.

Each run's figures are data, kept beside earlier runs' rather than rewritten into prose; the
docs show the latest. The machine is named by its processor and core count (no host names).
"""

from __future__ import annotations

import json
import os
import platform
import re
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


def write_results(name: str, figures: dict[str, Any]) -> Path:
    """Write ``figures`` (with when and where they were measured) and return the file."""
    folder = RESULTS / f"{time.strftime('%Y-%m-%d')}-{machine()}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    record = {
        "benchmark": name,
        "measured": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        **figures,
    }
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path
