"""``make benchmark-scripts``: which script each language comes back in, raw Whisper beside
the engine, on speech espeak-ng makes at run time.

Speechmatics writes each language in one script (``cmn`` Simplified Chinese, ``sr`` Cyrillic
…). Whisper writes what its training data held. For each language whose script Whisper may get
wrong, a sentence is spoken by espeak-ng and transcribed by raw faster-whisper base (the same
model the engine runs) and by the engine's batch API (``enhanced``); the table gives the share
of each script in what each wrote ("Han, Traditional": characters Simplified writes otherwise).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import Table, write_results  # noqa: E402
from tests.helpers import speak  # noqa: E402
from tui.core.engine_process import start_engine  # noqa: E402
from tui.engine.recognition.models import assemble_base  # noqa: E402
from tui.settings import Settings  # noqa: E402

# Speechmatics code, espeak-ng voice, what it reads (written for this benchmark), the script
# the engine answers in. espeak-ng reads Han characters as English letter names, so Mandarin
# and Cantonese are spoken from their romanisations, Japanese from kana.
SPEECH = [
    ("cmn", "cmn-latn-pinyin", "jin1 tian1 tian1 qi4 hen3 hao3. wo3 men5 ming2 tian1 qu4 tu2 "
     "shu1 guan3 kan4 shu1, ran2 hou4 yi4 qi3 chi1 wan3 fan4.", "Han, Simplified"),
    ("yue", "yue-Latn-jyutping", "gam1 jat6 tin1 hei3 hou2 hou2. ngo5 dei6 ting1 jat6 heoi3 "
     "tou4 syu1 gun2 tai2 syu1.", "Han, Traditional"),
    ("sr", "sr", "Данас је лепо време. Сутра идемо у библиотеку.", "as Whisper writes"),
    ("uk", "uk", "Сьогодні гарна погода. Завтра ми підемо до бібліотеки.", "as Whisper writes"),
    ("ja", "ja", "きょうは いい てんき です。あした としょかんに いきます。", "as Whisper writes"),
]  # fmt: skip


def scripts(text: str) -> str:
    """The scripts of ``text``'s letters, by share: ``Han (Traditional) 80%, Latin 20%``."""
    import opencc

    simplified = opencc.OpenCC("t2s").convert
    counts: Counter[str] = Counter()
    for ch in text:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        if name.startswith("CJK"):
            counts["Han, Traditional" if simplified(ch) != ch else "Han"] += 1
        elif name.startswith(("HIRAGANA", "KATAKANA")):
            counts["kana"] += 1
        else:
            counts[name.split()[0].title()] += 1
    total = sum(counts.values()) or 1
    return ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in counts.most_common()) or "–"


def raw_whisper(model_dir: Path, path: Path, language: str) -> str:
    from faster_whisper import WhisperModel

    model = WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=2)
    segments, _ = model.transcribe(str(path), language=language if language != "cmn" else "zh")
    return "".join(s.text for s in segments).strip()


async def engine_text(engine: object, path: Path, language: str) -> str:
    from speechmatics.batch import AsyncClient, JobConfig, JobType, TranscriptionConfig

    config = JobConfig(
        type=JobType.TRANSCRIPTION,
        transcription_config=TranscriptionConfig(language=language, model="enhanced"),
    )
    async with AsyncClient(api_key=engine.api_key, url=engine.batch_url) as client:  # type: ignore[attr-defined]
        job = await client.submit_job(str(path), config=config)
        transcript = await client.wait_for_completion(job.id, polling_interval=0.5)
    return str(transcript.transcript_text).strip()


async def main() -> None:
    table = Table(
        "The script of each language: raw faster-whisper base beside the engine (enhanced, "
        "batch), on espeak-ng speech",
        ["language", "the engine answers in", "raw Whisper wrote", "engine returns", "its text"],
    )
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        model_dir = assemble_base(tmp / "models")
        engine = await asyncio.to_thread(start_engine, Settings(data_dir=tmp / "data"))
        try:
            for language, voice, sentence, expected in SPEECH:
                path = speak(sentence, tmp / f"{language}.wav", voice=voice)
                raw = await asyncio.to_thread(raw_whisper, model_dir, path, language)
                ours = await engine_text(engine, path, language)
                table.add(language, expected, scripts(raw), scripts(ours), ours[:40])
        finally:
            engine.stop()
    print(f"\nwrote {write_results('scripts', {}, [table], 'make benchmark-scripts')}")


if __name__ == "__main__":
    asyncio.run(main())
