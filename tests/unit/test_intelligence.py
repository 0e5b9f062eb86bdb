"""Audio intelligence made locally: the published shapes, the options honoured, and errors
stated for what cannot be made."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from tui.engine.batch.intelligence import analyse, sentences
from tui.engine.protocol.results import to_results
from tui.engine.recognition.asr import Word

SPEC = Path(__file__).resolve().parents[3] / "shared" / "reference" / "spec" / "batch.yaml"
TALK = (
    "I am really unhappy with the terrible delays on the invoice. "
    "The new pricing is great and we love it. "
    "Deployment of the container happens next week on Monday. "
    "The pricing model changes again in March. "
    "Our support team answered every ticket quickly and politely. "
    "The invoice shows a late fee that nobody explained. "
    "Next quarter the container moves to the new cluster. "
    "Thank you all for joining the call today."
)
EVERYTHING = {
    "summarization_config": {},
    "sentiment_analysis_config": {},
    "topic_detection_config": {},
    "auto_chapters_config": {},
}


def results(text: str = TALK, speakers: list[str] | None = None, step: float = 0.4) -> list[Any]:
    words = [Word(" " + t, step * i, step * i + 0.3, 0.9) for i, t in enumerate(text.split())]
    labels = None
    if speakers:
        labels, who = [], 0
        for word in words:
            labels.append(speakers[who % len(speakers)])
            who += word.text.endswith(".")
    return to_results(words, speaker="UU", speakers=labels)


def test_every_feature_is_made_in_the_published_shapes() -> None:
    made = analyse(EVERYTHING, results(), "en")
    assert not made.errors
    assert set(made.notes) == {
        "summarization",
        "sentiment_analysis",
        "topic_detection",
        "auto_chapters",
    }
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8").replace("type: number,", "type: number"))
    response = spec["definitions"]["RetrieveTranscriptResponse"]["properties"]
    for key in ("summary", "sentiment_analysis", "topics", "chapters"):
        check = jsonschema.Draft4Validator({**response[key], "definitions": spec["definitions"]})
        check.validate(made.made[key])
    sentiment = made.made["sentiment_analysis"]
    kinds = [s["sentiment"] for s in sentiment["segments"]]
    assert kinds[0] == "negative" and kinds[1] == "positive"  # "unhappy … terrible", "great … love"
    assert sentiment["summary"]["overall"]["positive_count"] == kinds.count("positive")
    assert len(sentiment["segments"]) == 8  # a segment a sentence


def test_the_summary_is_whole_sentences_as_long_and_shaped_as_asked() -> None:
    said = [s.text for s in sentences(results())]
    brief = analyse({"summarization_config": {}}, results(), "en").made["summary"]["content"]
    detailed = analyse(
        {"summarization_config": {"summary_length": "detailed", "summary_type": "bullets"}},
        results(),
        "en",
    ).made["summary"]["content"]
    assert 1 <= sum(s in brief for s in said) <= 3
    bullets = detailed.splitlines()
    assert len(bullets) > 3 and all(b.startswith("- ") and b[2:] in said for b in bullets)
    assert [said.index(b[2:]) for b in bullets] == sorted(said.index(b[2:]) for b in bullets)


def test_listed_topics_are_the_only_topics() -> None:
    config = {"topic_detection_config": {"topics": ["pricing", "deployment", "weather"]}}
    topics = analyse(config, results(), "en").made["topics"]
    assert topics["summary"]["overall"] == {"pricing": 1, "deployment": 1, "weather": 0}
    found = {t["topic"] for s in topics["segments"] for t in s["topics"]}
    assert found == {"pricing", "deployment"}


def test_sentiment_is_counted_per_speaker() -> None:
    made = analyse({"sentiment_analysis_config": {}}, results(speakers=["S1", "S2"]), "en")
    summary = made.made["sentiment_analysis"]["summary"]
    assert [s["speaker"] for s in summary["speakers"]] == ["S1", "S2"]
    first = summary["speakers"][0]
    assert first["negative_count"] >= 1  # S1 said the first, unhappy, sentence


def test_what_cannot_be_made_is_a_stated_error_and_the_rest_is_made() -> None:
    made = analyse(EVERYTHING, results("Das neue Angebot ist gut. Wir lieben es."), "de")
    assert made.errors["sentiment_analysis_errors"][0]["type"] == "unsupported_language"
    assert "English only" in made.errors["sentiment_analysis_errors"][0]["message"]
    assert {"summary", "topics", "chapters"} <= set(made.made)
    japanese = analyse({"topic_detection_config": {}}, results("今日は 良い 天気 です。"), "ja")
    assert japanese.errors["topic_detection_errors"][0]["type"] == "unsupported_language"


def test_long_talk_is_cut_into_chapters() -> None:
    long = results(" ".join([TALK] * 6), step=1.0)  # about 8 minutes
    chapters = analyse({"auto_chapters_config": {}}, long, "en").made["chapters"]
    assert len(chapters) >= 3
    assert all(a["end_time"] <= b["start_time"] for a, b in itertools.pairwise(chapters))
