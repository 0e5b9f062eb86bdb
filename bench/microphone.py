"""``make benchmark-microphone``: a live session through a real microphone beside the same
speech from a file, on one local engine.

A private PulseAudio server (``tests/pulse.py``) plays the shared recordings, joined into a
minute, into its null sink; ``sm-tui live --device pulse`` records the sink's monitor as any
user's microphone. The same file is then given to ``sm-tui live FILE`` (paced at 1x). Both
are the real command with its default settings (``standard``, ``max_delay`` 1), run
``--repeat`` times each. Per run: how far each final trailed the audio when it arrived (p50,
p95), WER against the references, and the live transcript's WER against batch on the audio
it recorded (``--compare``).

    .venv/bin/python bench/microphone.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import Table, write_results  # noqa: E402
from tests.helpers import joined_shared, wait_for_output  # noqa: E402
from tests.pulse import PulseServer  # noqa: E402
from tui.core.engine_process import start_engine  # noqa: E402
from tui.core.wer import wer  # noqa: E402
from tui.settings import Settings  # noqa: E402


def run_live(env: dict[str, str], folder: Path, source: list[str], pulse: PulseServer | None,
             speech: Path) -> dict[str, Any]:  # fmt: skip
    """One ``sm-tui live`` session; with ``pulse``, the speech is played into the microphone."""
    figures, out = folder / "live.json", folder / "live.out"
    figures.unlink(missing_ok=True)
    with out.open("wb") as stdout, out.with_suffix(".err").open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "tui", "live", *source, "--compare", "--json", str(figures)],
            stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL, env=env,
        )  # fmt: skip
    wait_for_output(out.with_suffix(".err"), "listening to", process)
    if pulse is not None:
        if pulse.play(speech).wait(timeout=300) != 0:
            raise RuntimeError("paplay failed")
        time.sleep(3.0)  # the last words' finals: max_delay and a step or two
        process.send_signal(signal.SIGINT)
    if process.wait(timeout=600) != 0:
        raise RuntimeError(out.with_suffix(".err").read_text())
    return dict(json.loads(figures.read_text()))


def main(repeat: int) -> None:
    table = Table(
        "The same speech (the shared recordings joined, about a minute) through a real "
        "microphone and from a file, sm-tui live with its defaults",
        ["source", "run", "final lag p50", "final lag p95", "WER", "live vs batch"],
    )
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        speech, reference = joined_shared(folder)
        engine = start_engine(Settings(data_dir=folder / "engine"))
        pulse = PulseServer(folder / "pulse")
        try:
            env = {
                **pulse.env,
                "SM_TUI_DATA_DIR": str(folder / "client"),
                "SPEECHMATICS_API_KEY": engine.api_key,
                "SPEECHMATICS_BATCH_URL": engine.batch_url,
                "SPEECHMATICS_RT_URL": engine.rt_url,
            }
            for run in range(1, repeat + 1):
                for label, source, through in (
                    ("microphone (PulseAudio)", ["--device", "pulse"], pulse),
                    ("file, paced at 1x", [str(speech)], None),
                ):
                    got = run_live(env, folder, source, through, speech)
                    result = {
                        "source": label,
                        "run": run,
                        "final_lag_p50_s": got["final_lag_p50_s"],
                        "final_lag_p95_s": got["final_lag_p95_s"],
                        "wer": round(wer(reference, got["transcript"]), 4),
                        "live_vs_batch_wer": got.get("compare", {}).get("live_vs_batch_wer"),
                        "transcript": got["transcript"],
                    }
                    runs.append(result)
                    table.add(
                        label,
                        run,
                        f"{result['final_lag_p50_s']:.2f} s",
                        f"{result['final_lag_p95_s']:.2f} s",
                        f"{100 * result['wer']:.1f}%",
                        f"{100 * (result['live_vs_batch_wer'] or 0):.1f}%",
                    )
        finally:
            pulse.stop()
            engine.stop()
    command = "make benchmark-microphone" + (
        f' MICROPHONE="--repeat {repeat}"' if repeat != 3 else ""
    )
    print(f"\nwrote {write_results('microphone', {'runs': runs}, [table], command)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each source")
    main(parser.parse_args().repeat)
