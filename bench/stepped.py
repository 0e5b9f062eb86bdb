"""``make benchmark-stepped``: the real-time rules on the real model, without a socket.

Each recording is stepped through ``StreamingRecognizer`` as a session steps it: every step
covers the audio that arrived while the one before it computed (a virtual clock advanced by
each step's measured compute), at least ``MIN_STEP_S`` of it. It prints each recording's
real-time text and WER, and the latency of its final words on that clock. It isolates the
recogniser's rules (which words become final, which are dropped as invented) from the network
and the event loop, so a change to them can be judged in a minute on more speech than
``sm-tui compare`` takes.

Usage: ``python bench/stepped.py [DIR REFERENCES.tsv]...`` (default: the shared recordings).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import Table, write_results  # noqa: E402
from tui.core.references import load_references  # noqa: E402
from tui.core.wer import normalise, wer  # noqa: E402
from tui.engine.realtime.pump import MIN_STEP_S, infer_window  # noqa: E402
from tui.engine.realtime.streaming import StreamingRecognizer  # noqa: E402
from tui.engine.recognition.asr import Recognizer, Word  # noqa: E402
from tui.shared.audio import RATE, decode_file  # noqa: E402

AUDIO = ROOT.parent / "shared" / "audio"


def stepped(model: Recognizer, audio: np.ndarray, max_delay: float) -> tuple[str, list[float]]:
    """The final text of one recording, and each final word's latency on the virtual clock."""
    stream = StreamingRecognizer(max_delay=max_delay)
    clock, fed = 0.0, 0
    finals: list[Word] = []
    latencies: list[float] = []
    compute: float | None = None  # the steps' moving average, as the pump keeps it
    while True:
        upto = min(len(audio), int(clock * RATE))
        stream.add_audio(audio[fed:upto])
        fed = upto
        ending = fed >= len(audio)
        window = stream.plan(flush=ending)
        started = time.perf_counter()
        words, speech = infer_window(model, window, wide=True)  # as on an idle engine
        took = time.perf_counter() - started
        clock = max(clock, fed / RATE) + took
        compute = took if compute is None else 0.7 * compute + 0.3 * took
        stream.step_cost = max(MIN_STEP_S, compute) + compute  # as the session's pump sets it
        update = stream.apply(window, words, speech)
        latencies += [clock - word.end for word in update.finals]
        finals += update.finals
        if ending:
            return "".join(w.text for w in finals).strip(), latencies
        clock = max(clock, fed / RATE + MIN_STEP_S)  # the next step waits for new audio


def main(sets: list[tuple[Path, Path]], max_delay: float = 1.0) -> None:
    model = Recognizer("tiny.en")
    table = Table(
        f"The real-time rules stepped through tiny.en on a virtual clock (max_delay {max_delay:g})",
        ["recording", "WER", "final p50", "text"],
    )
    errors: list[float] = []
    latencies: list[float] = []
    said: list[tuple[str, str]] = []  # (reference, real-time text) of every recording
    for folder, listed in sets:
        for name, reference in load_references(listed).items():
            path = folder / name
            if not reference or not path.exists():
                continue
            text, lags = stepped(model, decode_file(path), max_delay)
            errors.append(wer(reference, text))
            said.append((reference, text))
            latencies += lags
            table.add(name, f"{100 * errors[-1]:.1f}%", f"{np.median(lags):.2f} s", text)
    words = sum(len(normalise(r).split()) for r, _ in said)
    pooled = sum(wer(r, t) * len(normalise(r).split()) for r, t in said) / words
    table.add(
        f"all {words} words",
        f"{100 * pooled:.1f}%",
        f"{np.median(latencies):.2f} s (p95 {np.percentile(latencies, 95):.2f} s)",
        f"mean of {len(errors)} recordings' WER: {100 * np.mean(errors):.1f}%",
    )
    print(f"\nwrote {write_results('stepped', {}, [table], 'make benchmark-stepped')}")


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:]]
    pairs = list(zip(args[::2], args[1::2], strict=False)) or [(AUDIO, AUDIO / "references.tsv")]
    missing = [str(p) for pair in pairs for p in pair if not p.exists()]
    if len(args) % 2 or missing:
        sys.exit(
            f"usage: stepped.py [DIR REFERENCES.tsv]... (pairs of a folder and its "
            f"references){'; not found: ' + ', '.join(missing) if missing else ''}"
        )
    main(pairs)
