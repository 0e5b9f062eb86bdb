"""Validation of ``transcription_config`` objects, shared by the batch and real-time APIs."""

from __future__ import annotations

from typing import Any

from tui.engine.protocol import schema

ENGLISH = frozenset({"en"})
# Speechmatics codes that Whisper spells otherwise. Whisper base (like every model before
# large-v3) has no Cantonese token: asked for ``yue`` it wrote "D D D…", so Cantonese goes
# through its Chinese (``zh``) and comes back in Traditional characters (``script``).
TO_WHISPER = {"cmn": "zh", "yue": "zh"}
FROM_WHISPER = {"zh": "cmn"}


def labels_speakers(config: dict[str, Any]) -> bool:
    """Whether a transcription_config asks for speaker labels (``speaker``, or with channels)."""
    return config.get("diarization") in ("speaker", "channel_and_speaker")


def labels_channels(config: dict[str, Any]) -> bool:
    """Whether a transcription_config asks for each channel on its own."""
    return config.get("diarization") in ("channel", "channel_and_speaker")


def whisper_languages() -> frozenset[str]:
    """Every language the multilingual Whisper model knows, in Speechmatics' codes."""
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    codes = set(_LANGUAGE_CODES) - {"zh"} | {"cmn"}
    return frozenset(codes)


def to_whisper(language: str) -> str | None:
    """A Speechmatics language code as Whisper takes it (None for ``auto``: it detects)."""
    return None if language == "auto" else TO_WHISPER.get(language, language)


def from_whisper(language: str) -> str:
    """A Whisper language code as Speechmatics writes it."""
    return FROM_WHISPER.get(language, language)


CHANGEABLE_KEYS = {
    "max_delay",
    "max_delay_mode",
    "enable_partials",
    "audio_filtering_config",
    "conversation_config",
    "language",
}


class ConfigError(ValueError):
    """A configuration the engine rejects.

    Attributes:
        kind: The Speechmatics error type (``invalid_config``, ``invalid_language``, …).
    """

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def validate(config: Any, *, realtime: bool, languages: frozenset[str] = ENGLISH) -> dict[str, Any]:
    """Check a transcription_config (every field's shape, type and range) and return it.

    ``languages`` are those the engine's models know; batch also takes ``auto`` when there are
    more than English.

    Raises:
        ConfigError: The config is not an object, has an unknown key, a bad value or an
            unsupported language; the reason names the field.
    """
    if not isinstance(config, dict):
        raise ConfigError("invalid_message", "transcription_config must be an object")
    language = config.get("language")
    if not isinstance(language, str) or not language:
        raise ConfigError("invalid_config", "No language selected")
    try:
        schema.check(config, schema.TRANSCRIPTION, "transcription_config")
    except schema.SchemaError as exc:
        raise ConfigError("invalid_config", str(exc)) from None
    auto = language == "auto" and not realtime and languages != ENGLISH
    if language not in languages and not auto:
        known = "English only" if languages == ENGLISH else f"{len(languages)} languages"
        hint = " (auto is for batch jobs)" if language == "auto" and realtime else ""
        raise ConfigError(
            "invalid_language",
            f"Language not supported by the local engine ({known}): {language}{hint}",
        )
    if config.get("model") == "melia-1":
        raise ConfigError("invalid_model", "The local engine has no melia-1 model")
    return config


def validate_change(
    current: dict[str, Any], change: Any, languages: frozenset[str] = ENGLISH
) -> dict[str, Any]:
    """Check a SetRecognitionConfig change; return the merged configuration.

    Raises:
        ConfigError: A field that may not change mid-session is changed.
    """
    if not isinstance(change, dict):
        raise ConfigError("invalid_message", "transcription_config must be an object")
    for key, value in change.items():
        if key not in CHANGEABLE_KEYS:
            raise ConfigError("invalid_config", f"{key} cannot be changed during a session")
        if key == "language" and value != current.get("language"):
            raise ConfigError("invalid_config", "language cannot be changed during a session")
    return validate({**current, **change}, realtime=True, languages=languages)
