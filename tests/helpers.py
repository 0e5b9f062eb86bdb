"""Shared test helpers: paths to real speech, references, word error rate."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.core.target import EngineTarget, local_target
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


def joined_shared(folder: Path) -> tuple[Path, str]:
    """The shared recordings that have a reference, one after another with half a second
    between them (about a minute of real speech), and their references joined."""
    from tui.core.references import load_references

    refs = {
        name: text
        for name, text in load_references(SHARED_AUDIO / "references.tsv").items()
        if (SHARED_AUDIO / name).is_file()
    }
    parts: list[Path | float] = []
    for name in sorted(refs):
        parts += [SHARED_AUDIO / name, 0.5]
    return joined(folder / "shared.wav", *parts), " ".join(refs[name] for name in sorted(refs))


async def transcribe_then_expire(batch: Any) -> str:
    """Submit the sample with a batch client, wait for it, then until the engine expires it.

    The engine must run with a short ``--retention``. Returns the expired job's id.
    """
    import asyncio

    import pytest
    from speechmatics.batch import JobExpiredError, TranscriptionConfig

    quick = TranscriptionConfig(language="en", model="standard")  # the model is not what is tested
    job = await batch.submit_job(str(SAMPLE), transcription_config=quick)
    await batch.wait_for_completion(job.id, polling_interval=0.2)
    for _ in range(100):  # up to 20 s: the retention and a loaded expiry loop
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
    raw = path.with_suffix(".espeak.wav")
    return _synthesised(["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text], raw, path)


FLITE_VOICES = ("slt", "rms", "awb", "kal16")  # flite's own: two US, one Scottish, one diphone


def speak_flite(text: str, path: Path, voice: str = "slt") -> Path:
    """``text`` spoken by flite (a second synthesiser, whose voices keep to the telephone band
    better than espeak-ng's), as a 16 kHz mono WAV at ``path``."""
    raw = path.with_suffix(".flite.wav")
    return _synthesised(["flite", "-voice", voice, "-t", text, "-o", str(raw)], raw, path)


def _synthesised(command: list[str], raw: Path, path: Path) -> Path:
    """Run a synthesiser writing ``raw``, and keep its speech at ``path`` as 16 kHz mono."""
    import subprocess

    from tui.shared.audio import decode_file

    subprocess.run(command, check=True, capture_output=True, timeout=60)
    write_wav(path, decode_file(raw))
    raw.unlink()
    return path


def telephone(path: Path, folder: Path, rate: int = 8000) -> Path:
    """``path`` as a telephone line carries it: 300–3400 Hz, mono, sampled at ``rate`` (sox,
    no dither: the same file every run)."""
    import subprocess

    out = folder / f"{path.stem}.tel{rate}.wav"
    subprocess.run(
        ["sox", "-D", str(path), "-r", str(rate), "-c", "1", str(out), "sinc", "300-3400"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return out


# The call's two voices taking turns (agent, customer, agent, customer): stretches of each
# channel of call_center_stereo.wav, levelled, 0.5 s apart. Who speaks when is known.
TURNS = [(0, 0.7, 2.5), (1, 0.7, 3.3), (0, 3.5, 5.4), (1, 4.5, 8.3)]

# config_demo.wav's two voices, a sentence each in turn (found from each sentence's d-vector:
# 0.87-0.90 within a voice, 0.34-0.45 between them), and where each sentence's words lie.
CONFIG_DEMO_TURNS = [(0, 0.0, 3.4), (1, 3.6, 7.7), (0, 7.8, 13.4), (1, 13.5, 18.8)]


def call_turns(path: Path, gap: float = 0.5) -> tuple[Path, list[tuple[int, float, float]]]:
    """A WAV of the call's voices one after the other, ``gap`` seconds apart, and each turn's
    (voice, start, end)."""
    import numpy as np

    from tui.shared.audio import iter_decoded

    stereo = SHARED_AUDIO / "call_center_stereo.wav"
    channels = [np.concatenate(list(iter_decoded(stereo, channel=c))) for c in (0, 1)]
    parts, spans, at = [], [], 0.0
    for voice, start, end in TURNS:
        piece = channels[voice][int(start * 16000) : int(end * 16000)]
        piece = piece / (np.sqrt(np.mean(piece**2)) + 1e-9) * 0.05
        parts += [piece, np.zeros(int(gap * 16000), dtype=np.float32)]
        spans.append((voice, at, at + len(piece) / 16000))
        at += len(piece) / 16000 + gap
    return write_wav(path, np.concatenate(parts)), spans


# Two voices taking turns, long and short, as in a call. espeak-ng's voices sound alike to a
# speaker encoder (cosine 0.88 between en-us and en-gb+f4, 0.91 within one), so sox moves
# them apart as two people differ: one a fifth lower, one a third higher (0.26 between them).
VOICES = [("en-us", ["pitch", "-300"]), ("en-gb+f4", ["pitch", "+200"])]
DIALOGUE = [
    (0, "Thank you for calling the support desk, this is Alex, how can I help?"),
    (1, "Hi, my parcel has not arrived."),
    (0, "I see."),
    (1, "It was due on Monday and the tracking page has not changed since then."),
    (0, "Right, okay."),
    (1, "Yes."),
    (0, "Let me check the depot for you, it will take a minute or two."),
    (1, "Thanks, I will wait."),
]


def dialogue(path: Path) -> tuple[Path, list[tuple[int, float, float]]]:
    """``DIALOGUE`` spoken by the two ``VOICES``, 0.4 s apart; each turn's (voice, start, end)."""
    import subprocess

    import numpy as np

    from tui.shared.audio import decode_file

    parts, spans, at = [], [], 0.0
    for index, (voice, text) in enumerate(DIALOGUE):
        name, effect = VOICES[voice]
        plain = speak(text, path.with_name(f"{path.stem}.turn{index}.wav"), voice=name)
        moved = plain.with_suffix(".moved.wav")
        subprocess.run(
            ["sox", str(plain), str(moved), *effect], check=True, capture_output=True, timeout=60
        )
        piece = decode_file(moved)
        plain.unlink()
        moved.unlink()
        parts += [piece, np.zeros(6400, dtype=np.float32)]
        spans.append((voice, at, at + len(piece) / 16000))
        at += len(piece) / 16000 + 0.4
    return write_wav(path, np.concatenate(parts)), spans


def turn_of(result: dict[str, Any], spans: list[tuple[int, float, float]]) -> int | None:
    """The index of the turn whose span (with 0.25 s either side) holds the result's middle."""
    middle = (result["start_time"] + result["end_time"]) / 2
    return next((i for i, (_, s, e) in enumerate(spans) if s - 0.25 <= middle <= e + 0.25), None)


def flips_per_minute(
    results: list[dict[str, Any]], spans: list[tuple[int, float, float]]
) -> tuple[float, float]:
    """(label changes per minute, true voice changes per minute) over the words said in a
    known turn: the first above the second is speakers flipping."""
    labels, truth = [], []
    for r in results:
        if r["type"] not in ("word", "entity"):
            continue
        turn = turn_of(r, spans)
        if turn is not None:
            labels.append(r["alternatives"][0].get("speaker"))
            truth.append(spans[turn][0])
    minutes = (max(e for _, _, e in spans) - min(s for _, s, _ in spans)) / 60

    def changes(seq: list[Any]) -> int:
        return sum(a != b for a, b in itertools.pairwise(seq))

    return changes(labels) / minutes, changes(truth) / minutes


def labelled_share(results: list[dict[str, Any]], spans: list[tuple[int, float, float]]) -> float:
    """The share of words whose speaker label is the voice that said them, under the best
    mapping of labels to voices."""
    from itertools import permutations

    words = [r for r in results if r["type"] in ("word", "entity")]
    said = []
    for r in words:
        turn = turn_of(r, spans)
        said.append(-1 if turn is None else spans[turn][0])
    labels = [r["alternatives"][0]["speaker"] for r in words]
    names = sorted(set(labels))
    voices = range(max(len(names), 1 + max(v for v, _, _ in spans)))
    best = max(
        sum(
            dict(zip(names, p, strict=True))[label] == truth
            for label, truth in zip(labels, said, strict=True)
        )
        for p in permutations(voices, len(names))
    )
    return best / len(words) if words else 0.0


def engine_target(engine: Any) -> EngineTarget:
    """An engine (a child process, or the in-process stand-in) as a dashboard target."""
    return local_target(engine.batch_url, engine.rt_url, engine.api_key, "tiny.en")


def wait_for_output(path: Path, wanted: str, process: Any, timeout: float = 60.0) -> str:
    """What a child process wrote to ``path`` once it holds ``wanted`` (it fails if the process
    ends first, or after ``timeout``). Output goes to a file, not a pipe, so nothing read here
    is lost to a later ``communicate``."""
    import time

    deadline = time.monotonic() + timeout
    while wanted not in (text := path.read_text(errors="replace") if path.exists() else ""):
        if process.poll() is not None:
            raise AssertionError(
                f"the process ended ({process.returncode}) before {wanted!r}: {text}"
            )
        if time.monotonic() > deadline:
            raise AssertionError(f"no {wanted!r} after {timeout:.0f} s: {text}")
        time.sleep(0.05)  # a file growing has no event to wait on
    return text


QUICK_ENGINE = {"SM_TUI_ENGINE_PRELOAD": "0", "SM_TUI_BATCH_OPERATING_POINT": "standard"}


def quick_engine(data: Path, *args: str) -> Any:
    """A real engine of its own (``sm-tui serve`` with ``args``), whose batch jobs default to
    the standard model and which loads base only if a job asks for it: for tests of the
    engine's life and limits, not of the model."""
    from unittest import mock

    from tui.core.engine_process import start_engine
    from tui.settings import Settings

    with mock.patch.dict(os.environ, QUICK_ENGINE):
        return start_engine(Settings(data_dir=data), list(args))
