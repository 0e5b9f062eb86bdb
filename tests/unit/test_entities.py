"""Entities (``enable_entities``): what each written form is found as, what it was said as,
and that the transcript reads the same with them."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from tui.engine.protocol.entities import with_entities
from tui.engine.protocol.results import to_results
from tui.engine.recognition.asr import Word
from tui.shared.transcripts import render


def results(text: str, language: str = "en", speaker: str | None = "UU") -> list[dict[str, Any]]:
    words = [Word(" " + token, 0.5 * i, 0.5 * i + 0.4, 0.9) for i, token in enumerate(text.split())]
    return to_results(words, speaker=speaker, language=language)


def entities(text: str, language: str = "en") -> list[tuple[str, str, list[str], list[str]]]:
    """(class, content, spoken form, written form) of each entity found in ``text``."""
    return [
        (
            r["entity_class"],
            r["alternatives"][0]["content"],
            [w["alternatives"][0]["content"] for w in r["spoken_form"]],
            [w["alternatives"][0]["content"] for w in r["written_form"]],
        )
        for r in with_entities(results(text, language), language)
        if r["type"] == "entity"
    ]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (
            "Today is January 15th, 2025 at noon.",
            ("date", "January 15th, 2025", ["January", "fifteenth", "twenty", "twenty-five"]),
        ),
        ("on the 3rd of March.", ("date", "3rd of March", ["third", "of", "March"])),
        ("at 3:30 p.m. today", ("time", "3:30 p.m", ["three", "thirty", "p", "m"])),
        ("at 3:30pm today", ("time", "3:30pm", ["three", "thirty", "p", "m"])),
        ("at 10:05 sharp", ("time", "10:05", ["ten", "oh", "five"])),
        ("costs $500 for", ("money", "$500", ["five", "hundred", "dollars"])),
        (
            "only £1.99 each",
            ("money", "£1.99", ["one", "pound", "sterling", "ninety-nine", "pence"]),
        ),
        ("raised $5 million now", ("money", "$5 million", ["five", "million", "dollars"])),
        ("up 25% today", ("percentage", "25%", ["twenty-five", "percent"])),
        ("the 2nd time", ("ordinal", "2nd", ["second"])),
        ("number 12345 please", ("alphanum", "12345", ["one", "two", "three", "four", "five"])),
        ("some 1,000 people", ("cardinal", "1,000", ["one", "thousand"])),
        ("about 3.5 kilos", ("decimal", "3.5", ["three", "point", "five"])),
    ],
)
def test_each_written_form_is_found_with_how_it_was_said(
    text: str, found: tuple[str, str, list[str]]
) -> None:
    got = entities(text)
    assert [(cls, content, spoken) for cls, content, spoken, _ in got] == [found]


def test_an_entity_stands_in_for_the_results_it_covers_and_reads_the_same() -> None:
    text = "Today is January 15th, 2025 at 3:30 p.m. It costs $500, up 25%."
    plain = results(text)
    with_them = with_entities(plain, "en")
    assert render(with_them) == render(plain)
    kinds = [r["type"] for r in with_them]
    assert kinds.count("entity") == 4
    date = next(r for r in with_them if r["type"] == "entity")
    # The written form keeps the words' own times; the entity spans them; the spoken form is
    # spread over that span, in order.
    assert [w["alternatives"][0]["content"] for w in date["written_form"]] == [
        "January",
        "15th",
        "2025",
    ]
    assert date["start_time"] == date["written_form"][0]["start_time"]
    assert date["end_time"] == date["written_form"][-1]["end_time"]
    spoken = date["spoken_form"]
    assert spoken[0]["start_time"] == date["start_time"]
    assert all(a["end_time"] <= b["start_time"] + 1e-9 for a, b in itertools.pairwise(spoken))
    assert abs(spoken[-1]["end_time"] - date["end_time"]) < 0.002
    assert date["alternatives"][0]["speaker"] == "UU"
    assert date["alternatives"][0]["language"] == "en"


def test_words_that_are_not_entities_are_left_alone() -> None:
    plain = results("Good morning, everyone. The programme begins in March.")
    assert with_entities(plain, "en") == plain


def test_impossible_dates_are_not_dates() -> None:
    assert entities("on February 30th we")[0][0] != "date"


def test_numbers_are_said_in_the_transcripts_language() -> None:
    assert entities("Es kostet 42 Euro.", "de") == [("cardinal", "42", ["zweiundvierzig"], ["42"])]
    assert entities("Il coûte €3.", "fr")[0][:3] == ("money", "€3", ["trois", "euros"])


def test_a_language_num2words_does_not_speak_is_returned_unchanged() -> None:
    plain = results("我有 3 只猫", language="cmn")
    assert with_entities(plain, "cmn") == plain


def test_a_channel_label_is_kept_on_the_entity() -> None:
    plain = [{**r, "channel": "agent"} for r in results("account 12345 ok")]
    entity = next(r for r in with_entities(plain, "en") if r["type"] == "entity")
    assert entity["channel"] == "agent"


def test_entity_results_are_valid_by_both_published_descriptions() -> None:
    import jsonschema
    import yaml

    spec = Path(__file__).resolve().parents[3] / "shared" / "reference" / "spec"
    realtime = yaml.safe_load((spec / "realtime.yaml").read_text(encoding="utf-8"))
    batch = yaml.safe_load((spec / "batch.yaml").read_text(encoding="utf-8"))
    rt_check = jsonschema.Draft202012Validator(
        {"$ref": "#/components/schemas/RecognitionResult", **realtime}
    )
    batch_check = jsonschema.Draft4Validator(
        {"$ref": "#/definitions/RecognitionResult", "definitions": batch["definitions"]}
    )
    found = [
        r
        for r in with_entities(results("On January 15th, 2025 at 3:30 p.m. it cost $500."), "en")
        if r["type"] == "entity"
    ]
    assert len(found) == 3
    for entity in found:
        rt_check.validate(entity)
        batch_check.validate(entity)
