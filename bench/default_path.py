"""``make benchmark-default``: what a user of the official SDKs gets from the local engine.

The SDKs ask for ``enhanced`` (Whisper base) unless told otherwise. On long continuous speech
made at run time (``bench/speech.py``), this measures, in one run:

* raw faster-whisper base on the same file (beam 5, word timestamps: its defaults), on one
  thread (the engine's batch lane) and on two (faster-whisper's default here);
* the engine's batch through the batch SDK with its default config, ``--repeat`` times (3):
  turnaround, WER, whether every run gave the same text, and phrases of five words or more
  said twice in a row (Whisper's loop);
* the engine's real time through the rt SDK (``enhanced``, partials on, paced at 1x, alone
  on the engine) at each ``--max-delay``, ``--rt-repeat`` times (1): final-word latency p50/p95/worst, WER, words of the
  batch transcript the real-time one lacks (deletions), sentence ends per 100 words set
  where the reference's sentence goes on or missed where it ends (batch's beside them), and
  which model the engine said it ran; with ``--features``, once more at the first
  ``max_delay`` with ``additional_vocab`` and speaker diarization on as well.

``--lengths`` adds batch on a 10 s recording and on 20 minutes of speech made here, the
ends of the range a batch user sends.

It prints a table and writes every figure to ``bench/results/<date>-<machine>/default_path.json``.

    .venv/bin/python bench/default_path.py [--repeat N] [--rt-repeat N] [--max-delay 1,3] [--features] [--lengths] [--only NAME]

``--only shared`` runs one recording on an engine that ran nothing before it (the engine's
estimate of a step's cost carries over from one session to the next).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import Table, write_results  # noqa: E402
from bench.speech import corpus  # noqa: E402
from tui.core.compare import load_pcm, run_batch, run_realtime  # noqa: E402
from tui.core.comparison import percentile  # noqa: E402
from tui.core.target import EngineTarget, open_target  # noqa: E402
from tui.core.wer import SentenceEnds, normalise, sentence_ends, wer  # noqa: E402
from tui.engine.recognition.models import assemble_base  # noqa: E402
from tui.settings import Settings  # noqa: E402
from tui.shared.audio import decode_file  # noqa: E402


def loops(text: str, shortest: int = 5) -> int:
    """Phrases of ``shortest`` words or more said twice in a row."""
    words = normalise(text).split()
    found = 0
    for size in range(shortest, 41):
        for i in range(len(words) - 2 * size + 1):
            if words[i : i + size] == words[i + size : i + 2 * size]:
                found += 1
    return found


def deletions(batch: str, realtime: str) -> float:
    """The share of the batch transcript's words that the real-time one lacks."""
    import jiwer

    ref, hyp = normalise(batch), normalise(realtime)
    if not ref:
        return 0.0
    out = jiwer.process_words(ref, hyp or "-")
    return out.deletions / len(ref.split())


def raw(path: Path, reference: str, threads: int, model: Any) -> dict[str, Any]:
    audio = decode_file(path)
    began = time.monotonic()
    segments, _ = model.transcribe(audio, language="en", beam_size=5, word_timestamps=True)
    text = " ".join(s.text.strip() for s in segments)
    return {
        "threads": threads,
        "seconds": round(time.monotonic() - began, 2),
        "wer": round(wer(reference, text), 4),
        "loops": loops(text),
        "text": text,
    }


async def engine_batch(
    target: EngineTarget, path: Path, reference: str, repeat: int
) -> dict[str, Any]:
    runs = [await run_batch(target, path) for _ in range(repeat)]
    texts = [r.transcript for r in runs]
    return {
        "turnaround_s": [round(r.turnaround_s, 2) for r in runs],
        "wer": [round(wer(reference, t), 4) for t in texts],
        "same_text_every_run": len(set(texts)) == 1,
        "loops": [loops(t) for t in texts],
        "errors": [r.error for r in runs if r.error],
        "text": texts[0],
    }


# Recordings ``--lengths`` adds: batch turnaround at the ends of the range, no real time.
LENGTHS_ONLY = ("agent (real speech, 10 s)", "story seven times (espeak-ng, 20 min)")

# The features a user turns on together (issue 22: no speech dropped with all of them on).
FEATURES = {
    "diarization": "speaker",
    "additional_vocab": [
        {"content": w}
        for w in ("Margaret", "Daniel", "Speechmatics", "harbour master", "lighthouse")
    ],
}


async def engine_realtime(
    target: EngineTarget,
    path: Path,
    reference: str,
    batch_text: str,
    max_delay: float,
    features: bool = False,
) -> dict[str, Any]:
    pcm = await asyncio.to_thread(load_pcm, path)
    result = await run_realtime(target, pcm, max_delay, features=FEATURES if features else None)
    text = result.transcript
    return {
        "max_delay": max_delay,
        "features": "vocabulary, speakers, partials" if features else "partials",
        "final_p50_s": percentile(result.latencies, 50),
        "final_p95_s": percentile(result.latencies, 95),
        "final_worst_s": max(result.latencies, default=None),
        "behind_max_s": round(result.behind_max_s, 2),
        "wer": round(wer(reference, text), 4),
        "deletions_vs_batch": round(deletions(batch_text, text), 4),
        **ends("", sentence_ends(reference, text)),
        **ends("batch_", sentence_ends(reference, batch_text)),
        "loops": loops(text),
        "errors": result.errors,
        "infos": result.infos,
        "text": text,
    }


def ends(prefix: str, found: SentenceEnds) -> dict[str, float]:
    """Sentence ends against the reference, per 100 of its words: where it goes on (mid) and
    where it ended but the transcript ran on (missed)."""
    return {
        f"{prefix}mid_sentence_ends_per_100_words": round(found.per_100_words(found.mid), 2),
        f"{prefix}missed_sentence_ends_per_100_words": round(found.per_100_words(found.missed), 2),
    }


def fmt(value: float | None, unit: str = " s") -> str:
    return "—" if value is None else f"{value:.2f}{unit}"


async def main(
    repeat: int,
    rt_repeat: int,
    delays: list[float],
    features: bool,
    command: str,
    lengths: bool = False,
    results: str = "default_path",
    only: str = "",
) -> None:
    from faster_whisper import WhisperModel

    figures: dict[str, Any] = {"repeat": repeat, "rt_repeat": rt_repeat, "recordings": {}}
    with tempfile.TemporaryDirectory() as folder:
        made = corpus(Path(folder), lengths)
        made = {name: item for name, item in made.items() if only.lower() in name.lower()}
        if not made:
            raise SystemExit(f"no recording's name holds {only!r}")
        settings = Settings(data_dir=Path(folder) / "data")
        base = str(assemble_base(settings.data_dir / "models"))
        for name, (path, reference) in made.items():
            entry: dict[str, Any] = {"audio_s": round(len(decode_file(path)) / 16000, 1)}
            entry["raw"] = []
            for threads in (1, 2):
                model = WhisperModel(base, device="cpu", compute_type="int8", cpu_threads=threads)
                entry["raw"].append(raw(path, reference, threads, model))
                del model
            figures["recordings"][name] = entry
        opened = await asyncio.to_thread(open_target, settings)
        try:
            target = dataclasses.replace(opened.target, batch_model="enhanced", rt_model="enhanced")
            for name, (path, reference) in made.items():
                entry = figures["recordings"][name]
                entry["batch"] = await engine_batch(target, path, reference, repeat)
                entry["realtime"] = []
                if name in LENGTHS_ONLY:
                    continue  # batch turnaround only
                entry["realtime"] = [
                    await engine_realtime(target, path, reference, entry["batch"]["text"], delay)
                    for delay in delays
                    for _ in range(rt_repeat)
                ]
                if features:
                    entry["realtime"].append(
                        await engine_realtime(
                            target,
                            path,
                            reference,
                            entry["batch"]["text"],
                            delays[0],
                            features=True,
                        )
                    )
        finally:
            opened.close()
    out = write_results(results, figures, tables(figures), command)
    print(f"\nwrote {out}")


def tables(figures: dict[str, Any], echo: bool = True) -> list[Table]:
    """The figures as the docs show them: batch beside raw faster-whisper, then real time."""
    batch = Table(
        "Batch, enhanced: raw faster-whisper base beside the engine (batch SDK, default config)",
        [
            "recording",
            "raw base 1 thread",
            "raw base 2 threads",
            "engine batch",
            "same text",
            "loops",
        ],
    )
    for name, entry in figures["recordings"].items():
        one, two = entry["raw"]
        runs = entry["batch"]
        spread = f"{min(runs['turnaround_s']):.1f}–{max(runs['turnaround_s']):.1f} s"
        wers = "/".join(f"{100 * w:.1f}" for w in runs["wer"])
        batch.add(
            f"{name} ({entry['audio_s']:g} s)",
            f"{one['seconds']:.1f} s, WER {100 * one['wer']:.1f}%",
            f"{two['seconds']:.1f} s, WER {100 * two['wer']:.1f}%",
            f"{spread}, WER {wers}%",
            "yes" if runs["same_text_every_run"] else "no",
            max(runs["loops"]),
            echo=echo,
        )
    realtime = Table(
        "Real time, enhanced (rt SDK, partials on, paced at 1x)",
        ["recording", "max_delay", "features", "model run", "final p50", "p95", "worst", "RT WER",
         "deletions vs batch", "mid-sentence ends /100 words (batch)",
        "missed ends /100 words (batch)"],
    )  # fmt: skip
    for name, entry in figures["recordings"].items():
        for rt in entry["realtime"]:
            ran = next((i for i in rt["infos"] if "local engine's" in i), "")
            model = re.search(r"local engine's ([\w.]+)", ran)
            realtime.add(
                name,
                f"{rt['max_delay']:g}",
                rt["features"],
                model.group(1) if model else "?",
                fmt(rt["final_p50_s"]),
                fmt(rt["final_p95_s"]),
                fmt(rt["final_worst_s"]),
                f"{100 * rt['wer']:.1f}%",
                f"{100 * rt['deletions_vs_batch']:.1f}%",
                f"{rt['mid_sentence_ends_per_100_words']:.1f} "
                f"({rt['batch_mid_sentence_ends_per_100_words']:.1f})",
                f"{rt['missed_sentence_ends_per_100_words']:.1f} "
                f"({rt['batch_missed_sentence_ends_per_100_words']:.1f})",
                echo=echo,
            )
    return [batch, realtime]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rt-repeat", type=int, default=1, help="real-time runs per max_delay")
    parser.add_argument("--max-delay", default="1,3")
    parser.add_argument(
        "--features",
        action="store_true",
        help="also real time with additional_vocab and speaker diarization on",
    )
    parser.add_argument(
        "--lengths",
        action="store_true",
        help="also batch on a 10 s recording and on 20 minutes made here (about 25 min more)",
    )
    parser.add_argument(
        "--name", default="default_path", help="the results file's name (default_path)"
    )
    parser.add_argument(
        "--only",
        default="",
        help="only the recordings whose name holds this, on an engine that ran nothing else",
    )
    args = parser.parse_args()
    delays = [float(d) for d in args.max_delay.split(",")]
    command = "make benchmark-default" + (
        f' DEFAULT="{" ".join(sys.argv[1:])}"' if sys.argv[1:] else ""
    )
    asyncio.run(
        main(
            args.repeat,
            args.rt_repeat,
            delays,
            args.features,
            command,
            args.lengths,
            args.name,
            args.only,
        )
    )
