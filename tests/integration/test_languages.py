"""Languages, operating points and translation with the official clients against the real engine.

Non-English speech is made with espeak-ng. The multilingual model (Whisper base) is reassembled
from its two packages the first time the engine needs it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from speechmatics import rt
from speechmatics.batch import (
    AsyncClient,
    JobConfig,
    JobType,
    Model,
    TranscriptionConfig,
    TranslationConfig,
)

from tests.helpers import speak, wer
from tests.integration.rt_helpers import capture
from tui.engine.recognition.asr import ModelLoadError
from tui.engine.recognition.models import BASE_SHA256, assemble_base
from tui.shared.extensions import MODEL_HEADER

pytestmark = [pytest.mark.engine, pytest.mark.paced]
GERMAN = "Guten Morgen. Ich möchte einen Termin für nächste Woche vereinbaren. Vielen Dank."
SPANISH = "Buenos días. Quisiera reservar una mesa para dos personas esta noche."


@pytest.fixture(scope="module")
def german(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speak(GERMAN, tmp_path_factory.mktemp("speech") / "de.wav", voice="de")


@pytest.fixture(scope="module")
def spanish(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speak(SPANISH, tmp_path_factory.mktemp("speech") / "es.wav", voice="es")


async def batch(engine: Any, path: Path, **config: Any) -> tuple[Any, str | None, dict[str, Any]]:
    """The transcript, the model the engine named, and the raw json-v2."""
    translation = config.pop("translation", None)
    job = JobConfig(
        type=JobType.TRANSCRIPTION,
        transcription_config=TranscriptionConfig(**config),
        translation_config=TranslationConfig(target_languages=translation) if translation else None,
    )
    async with AsyncClient(api_key=engine.api_key, url=engine.batch_url) as client:
        submitted = await client.submit_job(str(path), config=job)
        transcript = await client.wait_for_completion(submitted.id, polling_interval=0.2)
    headers = {"Authorization": f"Bearer {engine.api_key}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.get(f"{engine.batch_url}/jobs/{submitted.id}") as answer:
            model = answer.headers.get(MODEL_HEADER)
        async with http.get(f"{engine.batch_url}/jobs/{submitted.id}/transcript") as answer:
            raw = await answer.json()
    return transcript, model, raw


def languages(transcript: Any) -> set[str]:
    return {r.alternatives[0].language for r in transcript.results}


async def test_batch_transcribes_german_and_spanish(
    engine: Any, german: Path, spanish: Path
) -> None:
    transcript, model, raw = await batch(engine, german, language="de")
    assert model == "base" and languages(transcript) == {"de"}
    assert wer(GERMAN, transcript.transcript_text) <= 0.35, transcript.transcript_text
    assert raw["metadata"]["language_pack_info"]["language_description"] == "de"
    transcript, _, _ = await batch(engine, spanish, language="es", model=Model.STANDARD)
    # espeak-ng's Spanish is hard on base, and int8 kernels differ between CPUs: "ser un
    # amesa" on an Intel Xeon, "quise la reserva, una mesa para los perso, hace" (55%) on an
    # AMD EPYC. tiny.en, or English, would be near 100%.
    assert wer(SPANISH, transcript.transcript_text) <= 0.6, transcript.transcript_text


async def test_auto_finds_the_language_and_says_which(
    engine: Any, german: Path, shared_audio: Path
) -> None:
    transcript, _, raw = await batch(engine, german, language="auto")
    assert languages(transcript) == {"de"}
    assert raw["metadata"]["transcription_config"]["language"] == "auto"  # the request, echoed
    transcript, _, _ = await batch(engine, shared_audio / "hello.wav", language="auto")
    assert languages(transcript) == {"en"}


async def test_operating_points_pick_the_model(engine: Any, shared_audio: Path) -> None:
    _, standard, _ = await batch(
        engine, shared_audio / "hello.wav", language="en", model=Model.STANDARD
    )
    _, enhanced, _ = await batch(engine, shared_audio / "hello.wav", language="en")
    assert (standard, enhanced) == ("tiny.en", "base")  # the SDK asks for enhanced by default


async def test_batch_translates_to_english_only(engine: Any, german: Path) -> None:
    transcript, _, raw = await batch(engine, german, language="de", translation=["en", "fr"])
    english = " ".join(item["content"] for item in raw["translations"]["en"])
    assert "morning" in english.lower() and "thank" in english.lower(), english
    assert all({"content", "start_time", "end_time"} <= set(i) for i in raw["translations"]["en"])
    errors = raw["metadata"]["translation_errors"]
    assert [e["type"] for e in errors] == ["unsupported_translation_pair"]
    assert "to fr" in errors[0]["message"]
    assert wer(GERMAN, transcript.transcript_text) <= 0.35


async def realtime(engine: Any, path: Path, targets: list[str] | None, **config: Any) -> Any:
    client = rt.AsyncClient(api_key=engine.api_key, url=engine.rt_url)
    got = capture(client)
    translation = rt.TranslationConfig(target_languages=targets) if targets else None
    with path.open("rb") as handle:
        await asyncio.wait_for(
            client.transcribe(
                handle,
                transcription_config=rt.TranscriptionConfig(max_delay=2.0, **config),
                translation_config=translation,
            ),
            timeout=180,
        )
    return got


async def test_realtime_german_with_its_translation(engine: Any, german: Path) -> None:
    got = await realtime(engine, german, ["en", "fr"], language="de", model="standard")
    assert wer(GERMAN, got.final_text) <= 0.4, got.final_text
    info = got.of("Info")[0]["reason"]
    assert "base" in info  # German needs the multilingual model whatever the operating point
    english = " ".join(r["content"] for m in got.of("AddTranslation") for r in m["results"])
    # Translated, not copied: what base makes of a short real-time sentence varies with the
    # machine's load ("Good morning…", once "I have to go to the mine…"), so the words are
    # not pinned here; the batch test pins them.
    assert english and not {"guten", "morgen", "vielen"} & set(english.lower().split()), english
    assert all(m["language"] == "en" for m in got.of("AddTranslation"))
    kinds = [m["message"] for _, m in got.messages]
    assert kinds.index("EndOfTranscript") > max(
        i for i, k in enumerate(kinds) if k == "AddTranslation"
    )
    warnings = [m["type"] for m in got.of("Warning")]
    assert warnings == ["unsupported_translation_pair"]  # fr; en is done


async def test_realtime_refuses_what_it_cannot_do(engine: Any, german: Path) -> None:
    client = rt.AsyncClient(api_key=engine.api_key, url=engine.rt_url)
    with pytest.raises(rt.TranscriptionError, match="auto is for batch"):
        await client.start_session(transcription_config=rt.TranscriptionConfig(language="auto"))
    await client.close()
    got = await realtime(engine, german, ["en"], language="en", model="standard")
    assert [m["type"] for m in got.of("Warning")] == ["unsupported_translation_pair"]
    assert not got.of("AddTranslation")


def test_the_multilingual_model_is_reassembled_once_and_checked(tmp_path: Path) -> None:
    folder = assemble_base(tmp_path)
    model = folder / "model.bin"
    assert model.stat().st_size == 145_217_532
    assert {p.name for p in folder.iterdir()} == {
        "model.bin",
        "config.json",
        "tokenizer.json",
        "vocabulary.txt",
        "sha256",
    }
    made = model.stat().st_mtime_ns
    assert assemble_base(tmp_path) == folder and model.stat().st_mtime_ns == made  # once
    with pytest.raises(ModelLoadError, match="SHA-256"):
        assemble_base(tmp_path / "other", expected="0" * 64)
    assert not list((tmp_path / "other").iterdir())  # nothing half-made is left to be used
    assert (folder / "sha256").read_text().strip() == BASE_SHA256


# espeak-ng reads Han characters as English letter names, but speaks romanised Mandarin and
# Cantonese well enough for Whisper to write them in characters (Traditional, unconverted).
CHINESE = {
    "cmn": ("cmn-latn-pinyin", "jin1 tian1 tian1 qi4 hen3 hao3. wo3 men5 ming2 tian1 qu4 tu2 "
            "shu1 guan3 kan4 shu1, ran2 hou4 yi4 qi3 chi1 wan3 fan4.", "t2s"),
    "yue": ("yue-Latn-jyutping", "gam1 jat6 tin1 hei3 hou2 hou2. ngo5 dei6 ting1 jat6 heoi3 "
            "tou4 syu1 gun2 tai2 syu1.", "s2hk"),
}  # fmt: skip


@pytest.mark.parametrize("language", sorted(CHINESE))
async def test_chinese_comes_back_in_the_script_its_code_promises(
    engine: Any, tmp_path: Path, language: str
) -> None:
    """``cmn`` is Simplified, ``yue`` Traditional, whatever Whisper wrote (OpenCC converts);
    Cantonese goes through Whisper base's Chinese, which has no Cantonese of its own."""
    import opencc

    voice, romanised, conversion = CHINESE[language]
    speech = speak(romanised, tmp_path / f"{language}.wav", voice=voice)
    _, _, raw = await batch(engine, speech, language=language)
    text = "".join(r["alternatives"][0]["content"] for r in raw["results"] if r["type"] == "word")
    han = [ch for ch in text if "\u4e00" <= ch <= "\u9fff"]
    assert len(han) >= 4 and len(han) >= 0.8 * len([c for c in text if c.isalpha()]), text
    assert text == opencc.OpenCC(conversion).convert(text), f"the other script is left: {text}"
    assert raw["metadata"]["language_pack_info"]["word_delimiter"] == ""
