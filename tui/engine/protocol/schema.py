"""Shapes of the job and session configurations, checked before anything is stored or started.

A schema is data: each field names its type and, for objects, the fields inside. ``check``
walks a value against it and raises ``SchemaError`` naming the first field that is wrong
(``output_config.srt_overrides.max_lines must be a whole number``). Values are checked
iteratively with a depth cap, so no nesting a client sends can exhaust the stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_DEPTH = 8  # deepest nesting a valid configuration has is 5
MAX_ITEMS = 1000  # longest list accepted (additional_vocab is the long one)
MAX_STRING = 10_000


class SchemaError(ValueError):
    """A value does not have the shape its field needs; the message names the field."""


@dataclass(frozen=True)
class Field:
    """One field's type: ``str``, ``bool``, ``number``, ``integer``, ``object``, ``list``, ``any``."""

    kind: str
    fields: dict[str, Field] = field(default_factory=dict)  # for objects
    item: Field | None = None  # for lists
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    open: bool = False  # an object whose other keys are accepted (and ignored)


def S(*choices: str) -> Field:
    """A string, one of ``choices`` if given."""
    return Field("str", choices=choices)


def N(low: float | None = None, high: float | None = None) -> Field:
    """A number in a range."""
    return Field("number", low=low, high=high)


def I(low: float | None = None, high: float | None = None) -> Field:  # noqa: E743
    """A whole number in a range."""
    return Field("integer", low=low, high=high)


def O(fields: dict[str, Field], open: bool = False) -> Field:  # noqa: E743
    """An object with these fields (others are refused unless ``open``)."""
    return Field("object", fields=fields, open=open)


def L(item: Field) -> Field:
    """A list of items of one type."""
    return Field("list", item=item)


B = Field("bool")
ANY = Field("any")

SPEAKERS_INPUT = O({"label": S(), "speaker_identifiers": L(S())})
TRANSCRIPTION = O(
    {
        "language": S(),
        "domain": S(),
        "output_locale": S(),
        "model": S("standard", "enhanced", "melia-1"),
        "operating_point": S("standard", "enhanced"),
        "additional_vocab": L(O({"content": S(), "sounds_like": L(S())})),
        "punctuation_overrides": O({"sensitivity": N(0, 1), "permitted_marks": L(S())}),
        "diarization": S("none", "speaker", "channel", "channel_and_speaker"),
        "channel_diarization_labels": L(S()),
        "enable_entities": B,
        "enable_partials": B,
        "max_delay": N(0.7, 4.0),
        "max_delay_mode": S("fixed", "flexible"),
        "audio_filtering_config": O({"volume_threshold": N(0, 100)}),
        "transcript_filtering_config": O(
            {
                "remove_disfluencies": B,
                "replacements": L(O({"from": S(), "to": S()})),
            }
        ),
        "speaker_diarization_config": O(
            {
                "prefer_current_speaker": B,
                "speaker_sensitivity": N(0, 1),
                "get_speakers": B,
                "max_speakers": I(2, 100),
                "speakers": L(SPEAKERS_INPUT),
            }
        ),
        "conversation_config": O({"end_of_utterance_silence_trigger": N(0, 2)}),
        "streaming_mode": B,
        "ctrl": O({}, open=True),
        "language_hints": L(S()),
        "language_hints_strict": B,
    }
)
"""transcription_config, as batch and real-time both accept it."""

TRANSLATION = O({"target_languages": L(S()), "enable_partials": B})
AUDIO_EVENTS = O({"types": L(S())})
JOB = O(
    {
        "type": S("transcription", "alignment"),
        "transcription_config": TRANSCRIPTION,
        "fetch_data": O({"url": S(), "auth_headers": L(S())}),
        "fetch_text": O({"url": S(), "auth_headers": L(S())}),
        "notification_config": L(
            O(
                {
                    "url": S(),
                    "contents": L(S()),
                    "method": S("post", "put"),
                    "auth_headers": L(S()),
                }
            )
        ),
        "tracking": O(
            {"title": S(), "reference": S(), "tags": L(S()), "details": O({}, open=True)}
        ),
        "output_config": O(
            {"srt_overrides": O({"max_line_length": I(1, 1000), "max_lines": I(1, 100)})}
        ),
        "translation_config": TRANSLATION,
        "language_identification_config": O({}, open=True),
        "summarization_config": O({}, open=True),
        "sentiment_analysis_config": O({}, open=True),
        "topic_detection_config": O({}, open=True),
        "auto_chapters_config": O({}, open=True),
        "audio_events_config": AUDIO_EVENTS,
    }
)
"""A batch job's config."""


def depth_of(value: Any) -> int:
    """How deeply a JSON value nests (a scalar is 0), found without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > 64:  # far past any limit: no need to walk the rest
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth) for child in children)
    return deepest


def check(value: Any, schema: Field, name: str) -> None:
    """Check ``value`` (called ``name`` in messages) against ``schema``.

    Raises:
        SchemaError: The first field found with the wrong type, range, choice or key.
    """
    if depth_of(value) > MAX_DEPTH:
        raise SchemaError(f"{name or 'the config'} nests deeper than {MAX_DEPTH} levels")
    pending: list[tuple[Any, Field, str]] = [(value, schema, name)]
    while pending:
        item, spec, path = pending.pop()
        pending.extend(_check_one(item, spec, path))


def _check_one(value: Any, spec: Field, path: str) -> list[tuple[Any, Field, str]]:
    kind = spec.kind
    if kind == "any":
        return []
    if kind == "str":
        if not isinstance(value, str) or len(value) > MAX_STRING:
            raise SchemaError(f"{path} must be a string")
        if spec.choices and value not in spec.choices:
            raise SchemaError(f"{path} must be one of {', '.join(spec.choices)}")
        return []
    if kind == "bool":
        if not isinstance(value, bool):
            raise SchemaError(f"{path} must be true or false")
        return []
    if kind in ("number", "integer"):
        whole = kind == "integer"
        if isinstance(value, bool) or not isinstance(value, int if whole else int | float):
            raise SchemaError(f"{path} must be a {'whole number' if whole else 'number'}")
        low = -float("inf") if spec.low is None else spec.low
        high = float("inf") if spec.high is None else spec.high
        if not low <= value <= high:
            raise SchemaError(f"{path} must be between {low:g} and {high:g}")
        return []
    if kind == "list":
        if not isinstance(value, list):
            raise SchemaError(f"{path} must be a list")
        if len(value) > MAX_ITEMS:
            raise SchemaError(f"{path} has more than {MAX_ITEMS} items")
        assert spec.item is not None
        return [(item, spec.item, f"{path}[{index}]") for index, item in enumerate(value)]
    if not isinstance(value, dict):
        raise SchemaError(f"{path} must be an object")
    children = []
    for key, item in value.items():
        sub = spec.fields.get(key)
        if sub is None:
            if spec.open:
                continue
            raise SchemaError(f"unknown {path or 'config'} key: {key}")
        children.append((item, sub, f"{path}.{key}" if path else key))
    return children
