"""``make benchmark-vocab``: how often invented names are recognised, with and without
``additional_vocab``, in batch and in real time, on sentences holding them
(``tests.helpers.VOCAB_SENTENCES``) spoken by espeak-ng and by flite's four voices; and what the
vocabulary does to ordinary speech (the shared recordings' WER, and any of the names said where
nobody said them). Each at 16 kHz and as telephone audio: band-limited to 300–3400 Hz and
sampled at 8 kHz (sox). Beside each row, the sentences' WER: how much of the rest of the speech
the model heard, which no vocabulary can bring back.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from speechmatics import rt  # noqa: E402
from speechmatics.batch import AsyncClient, JobConfig, JobType, TranscriptionConfig  # noqa: E402

from bench.results import Table, write_results  # noqa: E402
from tests.helpers import FLITE_VOICES, VOCAB_SENTENCES, speak, speak_flite, telephone, wer  # noqa: E402
from tui.core.engine_process import start_engine  # noqa: E402
from tui.core.references import load_references  # noqa: E402
from tui.settings import Settings  # noqa: E402

AUDIO = ROOT.parent / "shared" / "audio"
VOCAB = [{"content": name} for name, _ in VOCAB_SENTENCES]
MODEL = sys.argv[1] if len(sys.argv) > 1 else "standard"  # the operating point measured
RATES = (16000, 8000)
RATE_LABEL = {16000: "16 kHz", 8000: "8 kHz telephone"}


def at_rate(path: Path, rate: int, folder: Path | None = None) -> Path:
    """The file itself at 16 kHz; at 8 kHz a telephone version."""
    return path if rate == 16000 else telephone(path, folder or path.parent, rate)


async def batch_text(engine: Any, path: Path, vocab: bool) -> str:
    config = JobConfig(
        type=JobType.TRANSCRIPTION,
        transcription_config=TranscriptionConfig(
            language="en", model=MODEL, additional_vocab=VOCAB if vocab else None
        ),
    )
    async with AsyncClient(api_key=engine.api_key, url=engine.batch_url) as batch:
        transcript = await batch.transcribe(str(path), config=config, min_polling_interval=0.2)
    return str(transcript.transcript_text)


async def realtime_text(engine: Any, path: Path, vocab: bool) -> str:
    client = rt.AsyncClient(api_key=engine.api_key, url=engine.rt_url)
    finals: list[str] = []
    client.on(
        rt.ServerMessageType.ADD_TRANSCRIPT, lambda m: finals.append(m["metadata"]["transcript"])
    )
    config = rt.TranscriptionConfig(
        language="en", max_delay=1.0, model=MODEL, additional_vocab=VOCAB if vocab else None
    )
    with path.open("rb") as handle:
        await client.transcribe(handle, transcription_config=config)
    return "".join(finals)


def _names_row(files: list[tuple[str, str, Path]], texts: list[str]) -> list[Any]:
    """Names recognised, names said where another was, and the sentences' mean WER."""
    pairs = list(zip(files, texts, strict=True))
    hits = sum(name.lower() in text.lower() for (name, _, _), text in pairs)
    wrong = sum(
        other.lower() in text.lower()
        for (name, _, _), text in pairs
        for other, _ in VOCAB_SENTENCES
        if other != name
    )
    mean = sum(wer(said, text) for (_, said, _), text in pairs) / len(pairs)
    return [f"{hits}/{len(pairs)}", wrong, f"{100 * mean:.0f}%"]


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        engine = start_engine(Settings(data_dir=tmp / "data"))
        try:
            spoken = {
                "espeak-ng": [
                    (name, text, speak(text, tmp / f"{name}.wav")) for name, text in VOCAB_SENTENCES
                ],
                "flite, 4 voices": [
                    (name, text, speak_flite(text, tmp / f"{name}.{voice}.wav", voice))
                    for voice in FLITE_VOICES
                    for name, text in VOCAB_SENTENCES
                ],
            }
            names = Table(
                f"Ten invented names in sentences (operating point {MODEL}), all ten given as one "
                "vocabulary, at 16 kHz and as 8 kHz telephone audio",
                [
                    "speech",
                    "audio",
                    "mode",
                    "vocabulary",
                    "names recognised",
                    "names said where another was",
                    "sentences' WER",
                ],
            )
            for speech, sentences in spoken.items():
                for rate in RATES:
                    files = [(name, text, at_rate(path, rate)) for name, text, path in sentences]
                    for mode, run in (("batch", batch_text), ("real time", realtime_text)):
                        for vocab in (False, True):
                            texts = [await run(engine, path, vocab) for _, _, path in files]
                            names.add(
                                speech,
                                RATE_LABEL[rate],
                                mode,
                                "yes" if vocab else "no",
                                *_names_row(files, texts),
                            )
                            for text in texts:
                                print(f"  {text.strip()}")
            refs = load_references(AUDIO / "references.tsv")
            ordinary = Table(
                "The shared recordings (no invented names in them), vocabulary given or not",
                ["audio", "mode", "vocabulary", "mean WER", "names said where nobody said them"],
            )
            for rate in RATES:
                paths = {n: at_rate(AUDIO / n, rate, tmp) for n in sorted(refs)}
                for mode, run in (("batch", batch_text), ("real time", realtime_text)):
                    for vocab in (False, True):
                        texts = {n: await run(engine, paths[n], vocab) for n in sorted(refs)}
                        mean = sum(wer(refs[n], t) for n, t in texts.items()) / len(texts)
                        invented = sum(
                            t.lower().count(name.lower())
                            for t in texts.values()
                            for name, _ in VOCAB_SENTENCES
                        )
                        ordinary.add(
                            RATE_LABEL[rate],
                            mode,
                            "yes" if vocab else "no",
                            f"{100 * mean:.1f}%",
                            invented,
                        )
        finally:
            engine.stop()
    command = f"bench/vocab.py {MODEL}"
    out = write_results(f"vocab_{MODEL}", {}, [names, ordinary], command)
    print(f"\nwrote {out}")


if __name__ == "__main__":
    missing = [tool for tool in ("espeak-ng", "flite", "sox") if shutil.which(tool) is None]
    if missing:  # espeak-ng and flite speak the names; sox makes the telephone audio
        sys.exit(
            f"benchmark-vocab needs {' and '.join(missing)}: apt-get install {' '.join(missing)}"
        )
    asyncio.run(main())
