"""Shared test helpers: paths to real speech, references, word error rate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.core.wer import normalise, wer

if TYPE_CHECKING:
    import numpy as np

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
SHARED_AUDIO = ROOT.parent / "shared" / "audio"
SAMPLE = ASSETS / "sample.wav"
__all__ = ["normalise", "wer"]


def references() -> dict[str, str]:
    """File name to reference transcript, from the shared ``references.tsv`` and the sample."""
    from tui.core.references import load_references

    refs = load_references(SHARED_AUDIO / "references.tsv")
    refs["sample.wav"] = (ASSETS / "sample.txt").read_text(encoding="utf-8").strip()
    return refs


def write_wav(path: Path, samples: np.ndarray, rate: int = 16000) -> Path:
    """Write mono float samples as a 16-bit WAV file."""
    import wave

    import numpy as np

    data = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(data)
    return path


def joined(path: Path, *parts: Path | float) -> Path:
    """A WAV of recordings (paths) and silences (seconds) one after another, at 16 kHz."""
    import numpy as np

    from tui.shared.audio import decode_file

    pieces = [
        np.zeros(int(part * 16000), dtype=np.float32)
        if isinstance(part, float)
        else decode_file(part)
        for part in parts
    ]
    return write_wav(path, np.concatenate(pieces))


async def transcribe_then_expire(batch: Any) -> str:
    """Submit the sample with a batch client, wait for it, then until the engine expires it.

    The engine must run with a short ``--retention``. Returns the expired job's id.
    """
    import asyncio

    import pytest
    from speechmatics.batch import JobExpiredError

    job = await batch.submit_job(str(SAMPLE))
    await batch.wait_for_completion(job.id, polling_interval=0.2)
    for _ in range(50):
        await asyncio.sleep(0.2)
        try:
            await batch.get_job_info(job.id)
        except JobExpiredError:
            return str(job.id)
    pytest.fail("the job never expired")


def live_session(target: Any, source: Any, listener: Any, **overrides: Any) -> Any:
    """A ``LiveSession`` with the settings' defaults, some of them overridden."""
    from tui.core.live import LiveSession
    from tui.settings import Settings

    defaults = Settings()
    options: dict[str, Any] = {
        "max_delay": defaults.max_delay,
        "language": defaults.language,
        "max_session_s": defaults.max_session_s,
        **overrides,
    }
    return LiveSession(target, source, listener, **options)


# Sentences with invented names, spoken by espeak-ng: what additional_vocab is measured on.
VOCAB_SENTENCES = [
    ("Gyrota", "Welcome to Gyrota, how can I help you today?"),
    ("Quenwell", "Please send the report to Doctor Quenwell before Friday."),
    ("Zorvex", "Our new product is called Zorvex and it ships next month."),
    ("Tavenna", "I spoke with Marisol Tavenna about the contract."),
    ("Brakstone", "The Brakstone account is overdue by two weeks."),
    ("Velquin", "Install the Velquin plugin and restart the server."),
    ("Ostrevia", "Flights to Ostrevia are cancelled this evening."),
    ("Pelkatz", "Ask Jorunn Pelkatz to join the call."),
    ("Nimbrella", "The Nimbrella team will present the results tomorrow."),
    ("Kastoria", "We keep our backups with Kastoria Cloud."),
]


def speak(text: str, path: Path, voice: str = "en-us") -> Path:
    """``text`` spoken by espeak-ng, as a 16 kHz mono WAV at ``path``."""
    import subprocess

    from tui.shared.audio import decode_file

    raw = path.with_suffix(".espeak.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text],
                   check=True, capture_output=True, timeout=60)  # fmt: skip
    write_wav(path, decode_file(raw))
    raw.unlink()
    return path
