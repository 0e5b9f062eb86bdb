"""``make benchmark-stepped``: the real-time rules on the real model, without a socket.

Each recording is stepped through ``StreamingRecognizer`` as a session steps it: every step
covers the audio that arrived while the one before it computed (a virtual clock advanced by
each step's measured compute), at least ``MIN_STEP_S`` of it. It prints each recording's
real-time text and WER, and the latency of its final words on that clock. It isolates the
recogniser's rules (which words become final, which are dropped as invented) from the network
and the event loop, so a change to them can be judged in a minute on more speech than
``sm-tui compare`` takes.

``--models`` steps the same recordings through each model named, one after another in one run:
``tiny.en`` (the standard model, the default) and ``base`` (the enhanced one). ``--story`` adds
the 169 s espeak-ng reading (``bench/speech.py``), ``--flite`` the 151 s flite reading.

``--step-cost S`` advances the clock by S seconds a step instead of the step's measured compute:
the steps then fall at the same places on every run and on any machine, whatever else it runs,
so two settings (``--max-delay``, or a change to the rules) are compared on the same steps. With
measured costs a recording's WER moves by 1-4 points from where its steps happen to fall.

Usage: ``python bench/stepped.py [--models tiny.en,base] [--story] [--flite] [--max-delay S]
[--step-cost S] [DIR REFERENCES.tsv]...`` (default: the shared recordings).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import Table, write_results  # noqa: E402
from bench.speech import STORY, flite_story, story  # noqa: E402
from tui.core.references import load_references  # noqa: E402
from tui.core.wer import normalise, wer  # noqa: E402
from tui.engine.realtime.pump import MIN_STEP_S, infer_window  # noqa: E402
from tui.engine.realtime.streaming import StreamingRecognizer  # noqa: E402
from tui.engine.recognition.asr import Recognizer, Word  # noqa: E402
from tui.engine.recognition.models import BASE_NAME, assemble_base  # noqa: E402
from tui.settings import Settings  # noqa: E402
from tui.shared.audio import RATE, decode_file  # noqa: E402

AUDIO = ROOT.parent / "shared" / "audio"


def stepped(
    model: Recognizer, audio: np.ndarray, max_delay: float, step_cost: float | None = None
) -> tuple[str, list[float], list[float]]:
    """The final text of one recording, each final word's latency on the virtual clock (each
    step costing ``step_cost`` seconds where given, else its measured compute), and what each
    step that heard speech took to compute."""
    stream = StreamingRecognizer(max_delay=max_delay)
    clock, fed = 0.0, 0
    finals: list[Word] = []
    latencies: list[float] = []
    costs: list[float] = []
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
        if speech:
            costs.append(took)  # a step with no speech runs no model
        took = took if step_cost is None else step_cost
        clock = max(clock, fed / RATE) + took
        compute = took if compute is None else 0.7 * compute + 0.3 * took
        stream.step_cost = max(MIN_STEP_S, compute) + compute  # as the session's pump sets it
        update = stream.apply(window, words, speech)
        latencies += [clock - word.end for word in update.finals]
        finals += update.finals
        if ending:
            return "".join(w.text for w in finals).strip(), latencies, costs
        clock = max(clock, fed / RATE + MIN_STEP_S)  # the next step waits for new audio


MODELS = ("tiny.en", BASE_NAME)


def load(name: str) -> Recognizer:
    """A model as the engine loads it for real time (``MODELS``)."""
    if name == "tiny.en":
        return Recognizer("tiny.en")
    folder = str(assemble_base(Settings.load().data_dir / "models"))
    return Recognizer(folder, name=BASE_NAME)


def main(
    sets: list[tuple[Path, dict[str, str]]],
    models: list[str],
    delays: tuple[float, ...] = (1.0,),
    step_cost: float | None = None,
) -> None:
    tables = []
    for name in models:
        model = load(name)
        timed = model.step_costs.wide  # as the engine times it on loading; steps then move it
        tables += [_table(model, name, sets, max_delay, step_cost, timed) for max_delay in delays]
    command = "make benchmark-stepped" + (
        f" STEPPED='{' '.join(sys.argv[1:])}'" if sys.argv[1:] else ""
    )
    settings = {"models": models, "max_delay": list(delays), "step_cost": step_cost}
    print(f"\nwrote {write_results('stepped', settings, tables, command)}")


def _table(
    model: Recognizer,
    name: str,
    sets: list[tuple[Path, dict[str, str]]],
    max_delay: float,
    step_cost: float | None,
    timed: float,
) -> Table:
    """Every recording of ``sets`` stepped through ``model`` at ``max_delay``."""
    table = Table(
        f"The real-time rules stepped through {name} on a virtual clock "
        f"(max_delay {max_delay:g}; "
        + (
            f"every step taken as {step_cost:g} s)"
            if step_cost is not None
            else f"step {timed:.2f} s timed)"
        ),
        ["recording", "WER", "final p50", "text"],
    )
    errors: list[float] = []
    latencies: list[float] = []
    costs: list[float] = []
    said: list[tuple[str, str]] = []  # (reference, real-time text) of every recording
    for folder, references in sets:
        for recording, reference in references.items():
            path = folder / recording
            if not reference or not path.exists():
                continue
            text, lags, took = stepped(model, decode_file(path), max_delay, step_cost)
            costs += took
            errors.append(wer(reference, text))
            said.append((reference, text))
            latencies += lags
            table.add(recording, f"{100 * errors[-1]:.1f}%", f"{np.median(lags):.2f} s", text)
    words = sum(len(normalise(r).split()) for r, _ in said)
    pooled = sum(wer(r, t) * len(normalise(r).split()) for r, t in said) / words
    table.add(
        f"all {words} words",
        f"{100 * pooled:.1f}%",
        f"{np.median(latencies):.2f} s (p95 {np.percentile(latencies, 95):.2f} s)",
        f"mean of {len(errors)} recordings' WER: {100 * np.mean(errors):.1f}%; steps computed "
        f"in p50 {np.median(costs):.2f} s, p90 {np.percentile(costs, 90):.2f} s (timed as the "
        f"model loaded: {timed:.2f} s)",
    )
    return table


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="tiny.en", help=f"comma-separated: {', '.join(MODELS)}")
    parser.add_argument("--story", action="store_true", help="add the 169 s espeak-ng reading")
    parser.add_argument("--flite", action="store_true", help="add the 151 s flite reading")
    parser.add_argument("--max-delay", default="1", help="comma-separated max_delay values")
    parser.add_argument(
        "--step-cost", type=float, default=None, help="seconds each step takes on the clock"
    )
    parser.add_argument("pairs", nargs="*", type=Path, help="pairs of a folder and its references")
    args = parser.parse_args()
    chosen = [m for m in args.models.split(",") if m]
    try:
        delays = tuple(float(d) for d in args.max_delay.split(",") if d)
    except ValueError:
        delays = ()
    pairs = list(zip(args.pairs[::2], args.pairs[1::2], strict=False)) or [
        (AUDIO, AUDIO / "references.tsv")
    ]
    missing = [str(p) for pair in pairs for p in pair if not p.exists()]
    if len(args.pairs) % 2 or missing or not set(chosen) <= set(MODELS) or not chosen or not delays:
        sys.exit(
            f"usage: stepped.py [--models {','.join(MODELS)}] [--story] [--flite]"
            " [--max-delay S[,S...]] [--step-cost S] [DIR REFERENCES.tsv]..."
            f"{'; not found: ' + ', '.join(missing) if missing else ''}"
        )
    with tempfile.TemporaryDirectory() as made:
        sets = [(folder, load_references(listed)) for folder, listed in pairs]
        if args.story:
            reading = story(Path(made))
            sets.append((reading.parent, {reading.name: STORY}))
        if args.flite:
            read = flite_story(Path(made))
            sets.append((read.parent, {read.name: STORY}))
        main(sets, chosen, delays, args.step_cost)
