"""Entities (``enable_entities``): the numbers, dates, times, sums of money and percentages in a
transcript, as Speechmatics returns them.

Whisper already writes these in written form ("$50", "3:30 PM", "January 15th, 2024"), so
this works the other way from Speechmatics' inverse text normalisation: it finds the written
entity among the word results and recovers how it was said. Each entity becomes one ``entity``
result in place of the results it covers, with its ``entity_class``, its ``written_form`` (the
covered words, with their times) and its ``spoken_form`` (the words said, from ``num2words``,
spread over the entity's time). Dates are English only; numbers follow the languages num2words
speaks. A token is recognised by its shape (digits, an ordinal suffix, a currency sign, a
colon, a percent sign); what it says is always num2words' work.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from num2words import CONVERTER_CLASSES, num2words

CURRENCIES = {"$": "USD", "£": "GBP", "€": "EUR", "¥": "JPY"}
SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
ORDINAL_SUFFIXES = ("st", "nd", "rd", "th")
MERIDIEMS = {"am": "a m", "a.m": "a m", "pm": "p m", "p.m": "p m"}
MONTHS = {name.lower(): index for index, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): index for index, name in enumerate(calendar.month_abbr) if name}
SPELLED_DIGITS = 5  # a run of this many digits or more is read digit by digit (an account number)

# Speechmatics language codes num2words speaks, where its code differs or is the same.
NUM2WORDS_LANGUAGES = {
    "ar", "cs", "da", "de", "en", "es", "fa", "fi", "fr", "he", "hu", "id", "it", "ja", "ko",
    "lt", "lv", "nl", "no", "pl", "pt", "ro", "ru", "sk", "sl", "sr", "sv", "te", "th", "tr",
    "uk", "vi",
}  # fmt: skip


def speaks_numbers(language: str | None) -> bool:
    """Whether entities can be made for this language (num2words speaks its numbers)."""
    return (language or "en") in NUM2WORDS_LANGUAGES


@dataclass(frozen=True)
class Found:
    """An entity found at some word results: how many results it covers, and what it says."""

    covers: int  # results from the first one, punctuation inside the entity included
    entity_class: str
    spoken: list[str]


def _word(result: dict[str, Any]) -> str:
    return str(result["alternatives"][0]["content"])


def _number(text: str) -> int | float | None:
    """``1,234`` → 1234, ``1.5`` → 1.5; None when the text is not a plain number."""
    plain = text.replace(",", "")
    if not plain or plain.count(".") > 1 or not plain.replace(".", "").isdigit():
        return None
    if "," in text and not all(len(group) == 3 for group in text.split(".")[0].split(",")[1:]):
        return None  # "1,23" is not a thousands separator
    return float(plain) if "." in plain else int(plain)


def _ordinal(text: str) -> int | None:
    if text[-2:].lower() in ORDINAL_SUFFIXES and text[:-2].isdigit():
        return int(text[:-2])
    return None


def _said(value: int | float, language: str, to: str = "cardinal") -> list[str]:
    spoken: str = num2words(value, lang=language, to=to)
    return spoken.replace(",", "").split()


def _digits(text: str, language: str) -> list[str]:
    return [_said(int(digit), language)[0] for digit in text]


class Finder:
    """Finds entities in a language's word results."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.matchers: list[Callable[[Sequence[dict[str, Any]]], Found | None]] = [
            self._date,
            self._time,
            self._money,
            self._percentage,
            self._ordinal,
            self._number,
        ]

    def find(self, results: Sequence[dict[str, Any]]) -> Found | None:
        """The entity starting at ``results[0]``, if one does."""
        if results[0]["type"] != "word":
            return None
        for matcher in self.matchers:
            found = matcher(results)
            if found is not None:
                return found
        return None

    def _date(self, results: Sequence[dict[str, Any]]) -> Found | None:
        """``January 15th, 2024``, ``January 15``, ``15th of January 2024`` (English)."""
        if self.language != "en":
            return None
        texts = [_word(result) for result in results[:6]]
        kinds = [r["type"] for r in results[:6]]
        month = MONTHS.get(texts[0].lower().rstrip("."))
        if month is not None and len(texts) >= 2 and kinds[1] == "word":
            day = _ordinal(texts[1]) or (int(texts[1]) if texts[1].isdigit() else None)
            if day is None or not _valid(2000, month, day):
                return None
            spoken = [texts[0], *_said(day, "en", "ordinal")]
            covers = 2
            rest = 2 + (1 if texts[2:3] == [","] else 0)
            covers, spoken = self._year(results, texts, kinds, rest, covers, spoken, month, day)
            return Found(covers, "date", spoken)
        day = _ordinal(texts[0])
        if day is not None and texts[1:2] == ["of"] and len(texts) >= 3:
            month = MONTHS.get(texts[2].lower().rstrip("."))
            if month is None or not _valid(2000, month, day):
                return None
            spoken = [*_said(day, "en", "ordinal"), "of", texts[2]]
            covers, spoken = self._year(results, texts, kinds, 3, 3, spoken, month, day)
            return Found(covers, "date", spoken)
        return None

    def _year(
        self,
        results: Sequence[dict[str, Any]],
        texts: list[str],
        kinds: list[str],
        at: int,
        covers: int,
        spoken: list[str],
        month: int,
        day: int,
    ) -> tuple[int, list[str]]:
        if at < len(texts) and kinds[at] == "word" and len(texts[at]) == 4 and texts[at].isdigit():
            year = int(texts[at])
            if 1000 <= year <= 2999 and _valid(year, month, day):
                return at + 1, [*spoken, *_said(year, "en", "year")]
        return covers, spoken

    def _time(self, results: Sequence[dict[str, Any]]) -> Found | None:
        """``3:30``, ``3:30 PM``, ``10:05 a.m.``, ``3:30pm``; ``3.30`` only with a meridiem."""
        text = _word(results[0])
        attached = next(
            (m for m in MERIDIEMS if text.lower().endswith(m) and len(text) > len(m)), None
        )
        clock = text[: -len(attached)] if attached else text
        meridiem = MERIDIEMS.get(attached or "")
        covers = 1
        if meridiem is None and len(results) > 1 and results[1]["type"] == "word":
            meridiem = MERIDIEMS.get(_word(results[1]).lower().rstrip("."))
            covers = 2 if meridiem else 1
        hours, colon, minutes = clock.partition(":")
        if not colon and meridiem:
            hours, colon, minutes = clock.partition(".")
        if not colon or not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
            return None
        h, m = int(hours), int(minutes)
        if h > 24 or m > 59:
            return None
        spoken = _said(h, self.language)
        if m:
            spoken += (["oh"] if m < 10 and self.language == "en" else []) + _said(m, self.language)
        elif self.language == "en" and meridiem is None:
            spoken.append("o'clock")
        if meridiem:
            spoken += meridiem.split()
        return Found(covers, "time", spoken)

    def _money(self, results: Sequence[dict[str, Any]]) -> Found | None:
        """``$50``, ``£1.99``, ``$5 million``."""
        text = _word(results[0])
        currency = CURRENCIES.get(text[:1])
        amount = _number(text[1:]) if currency else None
        if currency is None or amount is None:
            return None
        covers = 1
        scale = _word(results[1]).lower() if len(results) > 1 else ""
        if len(results) > 1 and results[1]["type"] == "word" and scale in SCALES:
            spoken = [*_said(amount, self.language), scale, *self._currency_name(currency, 2)]
            return Found(2, "money", spoken)
        if isinstance(amount, float) and not amount.is_integer():
            try:
                said: str = num2words(amount, lang=self.language, to="currency", currency=currency)
                return Found(covers, "money", said.replace(",", "").split())
            except NotImplementedError:
                pass
        whole = int(amount)
        return Found(
            covers, "money", [*_said(whole, self.language), *self._currency_name(currency, whole)]
        )

    def _currency_name(self, currency: str, amount: int) -> list[str]:
        """``dollars`` for 50 USD in English, ``Dollar`` in German: num2words' own forms."""
        converter = CONVERTER_CLASSES[self.language]
        forms = getattr(converter, "CURRENCY_FORMS", {}).get(currency)
        if forms is None:
            return [currency]
        try:
            name: str = converter.pluralize(amount, forms[0])
        except (NotImplementedError, IndexError, TypeError):
            name = forms[0][-1]
        return name.split()

    def _percentage(self, results: Sequence[dict[str, Any]]) -> Found | None:
        text = _word(results[0])
        amount = _number(text[:-1]) if text.endswith("%") else None
        if amount is None:
            return None
        return Found(1, "percentage", [*_said(amount, self.language), "percent"])

    def _ordinal(self, results: Sequence[dict[str, Any]]) -> Found | None:
        value = _ordinal(_word(results[0])) if self.language == "en" else None
        if value is None:
            return None
        return Found(1, "ordinal", _said(value, self.language, "ordinal"))

    def _number(self, results: Sequence[dict[str, Any]]) -> Found | None:
        text = _word(results[0])
        value = _number(text)
        if value is None:
            return None
        if isinstance(value, float):
            return Found(1, "decimal", _said(value, self.language))
        if text.isdigit() and (len(text) >= SPELLED_DIGITS or (text[0] == "0" and len(text) > 1)):
            return Found(1, "alphanum", _digits(text, self.language))
        return Found(1, "cardinal", _said(value, self.language))


def _valid(year: int, month: int, day: int) -> bool:
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


def with_entities(results: Sequence[dict[str, Any]], language: str | None) -> list[dict[str, Any]]:
    """``results`` with each entity found in them as one ``entity`` result in place of the
    results it covers. Unchanged for a language num2words does not speak."""
    if not speaks_numbers(language):
        return list(results)
    finder = Finder(language or "en")
    out: list[dict[str, Any]] = []
    index = 0
    while index < len(results):
        found = finder.find(results[index:]) if _has_content(results, index) else None
        if found is None:
            out.append(results[index])
            index += 1
            continue
        out.append(_entity(results[index : index + found.covers], found))
        index += found.covers
    return out


def _has_content(results: Sequence[dict[str, Any]], index: int) -> bool:
    """Whether the result has an alternative to read (every result the engine makes does)."""
    return "alternatives" in results[index] and bool(results[index]["alternatives"])


def _entity(covered: Sequence[dict[str, Any]], found: Found) -> dict[str, Any]:
    first, last = covered[0], covered[-1]
    start, end = float(first["start_time"]), float(last["end_time"])
    alternative = dict(first["alternatives"][0])
    words = [r for r in covered if r["type"] == "word"]
    alternative["content"] = _content(covered)
    alternative["confidence"] = min(float(r["alternatives"][0]["confidence"]) for r in words)
    step = (end - start) / len(found.spoken)
    spoken = [
        _item(text, start + i * step, start + (i + 1) * step, alternative)
        for i, text in enumerate(found.spoken)
    ]
    written = [
        _item(_word(r), float(r["start_time"]), float(r["end_time"]), r["alternatives"][0])
        for r in words
    ]
    extra = {
        k: v
        for k, v in first.items()
        if k not in ("type", "alternatives", "start_time", "end_time")
    }
    return {
        **extra,
        "type": "entity",
        "entity_class": found.entity_class,
        "start_time": start,
        "end_time": end,
        "alternatives": [alternative],
        "spoken_form": spoken,
        "written_form": written,
    }


def _content(covered: Sequence[dict[str, Any]]) -> str:
    out = ""
    for result in covered:
        text = _word(result)
        out += text if (not out or result["type"] == "punctuation") else " " + text
    return out


def _item(text: str, start: float, end: float, like: dict[str, Any]) -> dict[str, Any]:
    alternative = {**like, "content": text}
    return {
        "type": "word",
        "start_time": round(start, 3),
        "end_time": round(end, 3),
        "alternatives": [alternative],
    }
