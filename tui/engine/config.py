"""Validation of ``transcription_config`` objects, shared by the batch and real-time APIs."""

from __future__ import annotations

from typing import Any

SUPPORTED_LANGUAGES = {"en"}
MODELS = {"standard", "enhanced"}
KNOWN_KEYS = {
    "language", "model", "operating_point", "enable_partials", "max_delay", "max_delay_mode",
    "diarization", "speaker_diarization_config", "conversation_config", "output_locale",
    "domain", "additional_vocab", "punctuation_overrides", "enable_entities",
    "audio_filtering_config", "transcript_filtering_config", "streaming_mode", "ctrl",
    "channel_diarization_labels", "language_hints", "language_hints_strict",
}  # fmt: skip
CHANGEABLE_KEYS = {
    "max_delay", "max_delay_mode", "enable_partials", "audio_filtering_config",
    "conversation_config", "language",
}  # fmt: skip


class ConfigError(ValueError):
    """A configuration the engine rejects.

    Attributes:
        kind: The Speechmatics error type (``invalid_config``, ``invalid_language``, …).
    """

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def _number(config: dict[str, Any], key: str, low: float, high: float) -> float | None:
    value = config.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError("invalid_config", f"{key} must be a number")
    if not low <= float(value) <= high:
        raise ConfigError("invalid_config", f"{key} must be between {low:g} and {high:g}")
    return float(value)


def validate(config: Any, *, realtime: bool) -> dict[str, Any]:
    """Check a transcription_config and return it.

    Raises:
        ConfigError: The config is not an object, has an unknown key, a bad value or an
            unsupported language.
    """
    if not isinstance(config, dict):
        raise ConfigError("invalid_message", "transcription_config must be an object")
    unknown = sorted(set(config) - KNOWN_KEYS)
    if unknown:
        raise ConfigError("invalid_config", f"unknown transcription_config key: {unknown[0]}")
    language = config.get("language")
    if not isinstance(language, str) or not language:
        raise ConfigError("invalid_config", "No language selected")
    if language not in SUPPORTED_LANGUAGES:
        raise ConfigError(
            "invalid_language", f"Language not supported by the local engine: {language}"
        )
    model = config.get("model", config.get("operating_point"))
    if model is not None and model not in MODELS:
        raise ConfigError("invalid_config", f"unknown model: {model}")
    if config.get("diarization", "none") not in (
        "none",
        "speaker",
        "channel",
        "channel_and_speaker",
    ):
        raise ConfigError("invalid_config", "diarization must be none, speaker or channel")
    if realtime:
        _number(config, "max_delay", 0.7, 4.0)
        conversation = config.get("conversation_config") or {}
        if not isinstance(conversation, dict):
            raise ConfigError("invalid_config", "conversation_config must be an object")
        _number(conversation, "end_of_utterance_silence_trigger", 0.0, 2.0)
        if "enable_partials" in config and not isinstance(config["enable_partials"], bool):
            raise ConfigError("invalid_config", "enable_partials must be true or false")
    return config


def validate_change(current: dict[str, Any], change: Any) -> dict[str, Any]:
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
    return validate({**current, **change}, realtime=True)
