"""Audio intelligence made on this machine from a finished transcript, in the shapes the
batch API publishes and the SDK reads (``transcript.summary``, ``.sentiment_analysis``,
``.topics``, ``.chapters``).

All four are local approximations, and the transcript's metadata says so:
- sentiment: VADER (a lexicon and rules, English) on each sentence, with counts overall, per
  speaker and per channel;
- topics: YAKE keyphrases of the whole transcript (or the topics the job lists), each segment
  tagged with those it mentions;
- summary: an extractive TextRank summary (sumy), whole sentences of the transcript;
- chapters: the transcript cut every two minutes or so, each titled by its YAKE keyphrase and
  summarised by TextRank.

What cannot be made (sentiment in another language than English, keyphrases in a language
written without spaces) is said in the published error fields, never left out.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tui.shared.transcripts import WORDS, render

FEATURES = {  # a job config's audio-intelligence field: the name its results and errors carry
    "summarization_config": "summarization",
    "sentiment_analysis_config": "sentiment_analysis",
    "topic_detection_config": "topic_detection",
    "auto_chapters_config": "auto_chapters",
}
NOTES = {
    "summarization": "made on this machine: an extractive summary (TextRank, sumy) of whole "
    "sentences of the transcript, not a written one",
    "sentiment_analysis": "made on this machine: VADER's lexicon and rules on each sentence; "
    "its confidence is the size of VADER's compound score",
    "topic_detection": "made on this machine: YAKE keyphrases of the transcript (or the "
    "topics asked for), each segment tagged with those it mentions",
    "auto_chapters": "made on this machine: the transcript cut about every two minutes, each "
    "part titled by its YAKE keyphrase and summarised by TextRank",
}
NO_SPACES = {"ja", "cmn", "zh", "yue", "th", "lo", "my", "km"}
SUMY_LANGUAGES = {
    "en": "english", "de": "german", "fr": "french", "es": "spanish", "it": "italian",
    "pt": "portuguese", "cs": "czech", "sk": "slovak", "uk": "ukrainian", "el": "greek",
    "he": "hebrew", "ar": "arabic", "sv": "swedish", "ja": "japanese", "cmn": "chinese",
}  # fmt: skip
VADER_POSITIVE = 0.05  # VADER's own thresholds on its compound score
TOPICS = 5  # keyphrases found when the job lists none
TOPIC_SEGMENT_SENTENCES = 5
CHAPTER_S = 120.0
SUMMARY_SENTENCES = {"brief": 3, "detailed": 8}


@dataclass
class Sentence:
    """A sentence of the transcript: its text, times and who said it."""

    text: str
    start: float
    end: float
    speaker: str | None = None
    channel: str | None = None
    words: list[str] = field(default_factory=list)


@dataclass
class Intelligence:
    """What was made (the transcript's top-level keys), what could not be (its metadata's
    ``*_errors``) and how each was made."""

    made: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        """As kept with the job."""
        return {"made": self.made, "errors": self.errors, "notes": self.notes}

    @classmethod
    def from_record(cls, record: dict[str, Any] | None) -> Intelligence:
        record = record or {}
        return cls(
            dict(record.get("made") or {}),
            dict(record.get("errors") or {}),
            dict(record.get("notes") or {}),
        )


def warm() -> None:
    """Import the libraries now (about 2.5 s, most of it NLTK under sumy), so the first job
    that asks for a summary does not wait for them."""
    import sumy.summarizers.text_rank  # noqa: F401
    import vaderSentiment.vaderSentiment  # noqa: F401
    import yake  # noqa: F401


def asked(config: dict[str, Any]) -> list[str]:
    """The features a job config asks for, by name."""
    return [name for key, name in FEATURES.items() if key in config]


def sentences(results: Sequence[dict[str, Any]]) -> list[Sentence]:
    """The transcript's sentences: a new one after each sentence end, and where the speaker or
    channel changes."""
    out: list[Sentence] = []
    group: list[dict[str, Any]] = []

    def close() -> None:
        if any(r["type"] in WORDS for r in group):
            first = group[0]
            out.append(
                Sentence(
                    render(group),
                    float(first["start_time"]),
                    float(group[-1]["end_time"]),
                    _speaker(first),
                    first.get("channel"),
                    [str(r["alternatives"][0]["content"]) for r in group if r["type"] in WORDS],
                )
            )
        group.clear()

    for result in results:
        if not result.get("alternatives"):
            continue
        if group and result["type"] in WORDS and _who(result) != _who(group[0]):
            close()
        group.append(result)
        if result["type"] == "punctuation" and result.get("is_eos"):
            close()
    close()
    return out


def _speaker(result: dict[str, Any]) -> str | None:
    speaker = result["alternatives"][0].get("speaker")
    return None if speaker in (None, "UU") else str(speaker)


def _who(result: dict[str, Any]) -> tuple[str | None, str | None]:
    return result.get("channel"), _speaker(result)


def analyse(
    config: dict[str, Any], results: Sequence[dict[str, Any]], language: str
) -> Intelligence:
    """Make each audio-intelligence feature the job config asks for."""
    out = Intelligence()
    said = sentences(results)
    for name in asked(config):
        try:
            made = MAKERS[name](config, said, language)
        except Unsupported as exc:
            out.errors[f"{name}_errors"] = [{"type": "unsupported_language", "message": str(exc)}]
            continue
        except Exception as exc:  # one feature failing never fails the transcript
            out.errors[f"{name}_errors"] = [
                {"type": f"{name}_failed", "message": f"{type(exc).__name__}: {exc}"}
            ]
            continue
        out.made.update(made)
        out.notes[name] = NOTES[name]
    return out


class Unsupported(Exception):
    """The feature cannot be made for this language here."""


# ---- sentiment -------------------------------------------------------------------------------


def _sentiment(config: dict[str, Any], said: list[Sentence], language: str) -> dict[str, Any]:
    if language != "en":
        raise Unsupported(
            f"Sentiment analysis on the local engine is English only (VADER), not {language}; "
            "Speechmatics provides it in more languages (set SPEECHMATICS_API_KEY)"
        )
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyser = SentimentIntensityAnalyzer()
    segments = []
    for sentence in said:
        scores = analyser.polarity_scores(sentence.text)
        compound = float(scores["compound"])
        if compound >= VADER_POSITIVE:
            sentiment, confidence = "positive", abs(compound)
        elif compound <= -VADER_POSITIVE:
            sentiment, confidence = "negative", abs(compound)
        else:
            sentiment, confidence = "neutral", float(scores["neu"])
        segment: dict[str, Any] = {
            "text": sentence.text,
            "sentiment": sentiment,
            "start_time": round(sentence.start, 3),
            "end_time": round(sentence.end, 3),
            "confidence": round(confidence, 3),
        }
        if sentence.speaker:
            segment["speaker"] = sentence.speaker
        if sentence.channel:
            segment["channel"] = sentence.channel
        segments.append(segment)
    summary: dict[str, Any] = {"overall": _counts(segments)}
    for key, plural in (("speaker", "speakers"), ("channel", "channels")):
        names = sorted({s[key] for s in segments if key in s})
        if names:
            summary[plural] = [
                {key: name, **_counts([s for s in segments if s.get(key) == name])}
                for name in names
            ]
    return {"sentiment_analysis": {"segments": segments, "summary": summary}}


def _counts(segments: list[dict[str, Any]]) -> dict[str, int]:
    counted = Counter(s["sentiment"] for s in segments)
    return {f"{kind}_count": counted[kind] for kind in ("positive", "negative", "neutral")}


# ---- topics ----------------------------------------------------------------------------------


def _keyphrases(text: str, language: str, top: int) -> list[str]:
    if language in NO_SPACES:
        raise Unsupported(
            f"Keyphrases on the local engine need a language written with spaces, not "
            f"{language}; Speechmatics provides it (set SPEECHMATICS_API_KEY)"
        )
    import yake

    extractor = yake.KeywordExtractor(lan=language, n=2, top=top * 4, dedupLim=0.7)
    phrases: list[str] = []
    used: set[str] = set()
    for phrase, _score in extractor.extract_keywords(text):
        words = {w.lower() for w in str(phrase).split()}
        if words & used:  # "transcription API" after "Speechmatics transcription": one is enough
            continue
        phrases.append(str(phrase))
        used |= words
        if len(phrases) == top:
            break
    return phrases


def _mentions(text: str, topic: str) -> bool:
    words = {w.strip(".,?!;:\"'").lower() for w in text.split()}
    wanted = [w for w in topic.lower().split() if len(w) >= 3] or topic.lower().split()
    return any(
        w in words or (len(w) >= 5 and any(x.startswith(w[:5]) for x in words)) for w in wanted
    )


def _topics(config: dict[str, Any], said: list[Sentence], language: str) -> dict[str, Any]:
    listed = [str(t) for t in (config.get("topic_detection_config") or {}).get("topics") or []]
    text = " ".join(s.text for s in said)
    topics = listed or (_keyphrases(text, language, TOPICS) if text else [])
    segments = []
    overall: Counter[str] = Counter()
    for first in range(0, len(said), TOPIC_SEGMENT_SENTENCES):
        part = said[first : first + TOPIC_SEGMENT_SENTENCES]
        part_text = " ".join(s.text for s in part)
        found = [topic for topic in topics if _mentions(part_text, topic)]
        overall.update(found)
        segments.append(
            {
                "text": part_text,
                "start_time": round(part[0].start, 3),
                "end_time": round(part[-1].end, 3),
                "topics": [{"topic": topic} for topic in found],
            }
        )
    return {
        "topics": {"segments": segments, "summary": {"overall": {t: overall[t] for t in topics}}}
    }


# ---- summaries and chapters ------------------------------------------------------------------


class _Tokenizer:
    """Words as the transcript has them, for sumy (whose own tokenizer needs NLTK data that
    would be downloaded at run time)."""

    def __init__(self, language: str) -> None:
        self.language = language

    def to_words(self, text: str) -> tuple[str, ...]:
        if self.language in NO_SPACES:
            return tuple(ch for ch in text if ch.isalnum())
        return tuple(w for w in (w.strip(".,?!;:\"'") for w in text.split()) if w)


def _best_sentences(said: list[Sentence], count: int, language: str) -> list[Sentence]:
    """The ``count`` most central sentences by TextRank, in the order they were said."""
    if len(said) <= count:
        return list(said)
    from sumy.models.dom import ObjectDocumentModel, Paragraph
    from sumy.models.dom import Sentence as SumySentence
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    tokenizer = _Tokenizer(language)
    document = ObjectDocumentModel([Paragraph([SumySentence(s.text, tokenizer) for s in said])])
    summarizer = TextRankSummarizer()
    if language in SUMY_LANGUAGES:
        summarizer.stop_words = get_stop_words(SUMY_LANGUAGES[language])
    chosen = {str(s) for s in summarizer(document, count)}
    return [s for s in said if s.text in chosen][:count]


def _summary(config: dict[str, Any], said: list[Sentence], language: str) -> dict[str, Any]:
    options = config.get("summarization_config") or {}
    length = str(options.get("summary_length") or "brief")
    count = SUMMARY_SENTENCES.get(length, SUMMARY_SENTENCES["brief"])
    if length == "detailed":
        count = max(count, math.ceil(len(said) / 4))
    best = _best_sentences(said, count, language)
    if options.get("summary_type") == "bullets":
        content = "\n".join(f"- {s.text}" for s in best)
    else:
        content = " ".join(s.text for s in best)
    return {"summary": {"content": content}}


def _chapters(config: dict[str, Any], said: list[Sentence], language: str) -> dict[str, Any]:
    parts: list[list[Sentence]] = []
    for sentence in said:
        if not parts or sentence.start - parts[-1][0].start >= CHAPTER_S:
            parts.append([])
        parts[-1].append(sentence)
    chapters = []
    for part in parts:
        text = " ".join(s.text for s in part)
        title = (_keyphrases(text, language, 1) or [part[0].text])[0]
        chapters.append(
            {
                "title": title[:1].upper() + title[1:],
                "summary": " ".join(s.text for s in _best_sentences(part, 2, language)),
                "start_time": round(part[0].start, 3),
                "end_time": round(part[-1].end, 3),
            }
        )
    return {"chapters": chapters}


MAKERS = {
    "summarization": _summary,
    "sentiment_analysis": _sentiment,
    "topic_detection": _topics,
    "auto_chapters": _chapters,
}
