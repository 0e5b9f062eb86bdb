"""The compatibility page names every job-config and transcription-config field of the
published API descriptions, so a field the engine treats silently cannot go unmentioned."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
SPEC = ROOT.parent / "shared" / "reference" / "spec"


def _fields() -> set[str]:
    batch = yaml.safe_load((SPEC / "batch.yaml").read_text(encoding="utf-8"))["definitions"]
    rt = yaml.safe_load((SPEC / "realtime.yaml").read_text(encoding="utf-8"))["components"]
    start = rt["schemas"]["StartRecognition"]["properties"]
    return (
        set(batch["JobConfig"]["properties"])
        | set(batch["TranscriptionConfig"]["properties"])
        | set(rt["schemas"]["TranscriptionConfig"]["properties"])
        | (set(start) - {"message"})
    )


def test_every_published_config_field_has_a_row() -> None:
    page = (ROOT / "docs" / "compatibility.md").read_text(encoding="utf-8")
    section = page.split("## Every field, one by one", 1)[1].split("\n## ", 1)[0]
    rows = {
        m
        for cell in re.findall(r"^\| ([^|]+) \|", section, re.M)
        for m in re.findall(r"`(\w+)`", cell)
    }
    fields = _fields()
    assert len(fields) > 25
    assert not fields - rows, f"fields without a row: {sorted(fields - rows)}"
