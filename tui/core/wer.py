"""Word error rate with the normalisation speech transcripts need (jiwer does the counting)."""

from __future__ import annotations

import re

NUMBER_WORDS = {
    "zero": "0",
    "oh": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}


def normalise(text: str) -> str:
    """Lower case, no punctuation, "p.m." as "pm", and digits run together.

    Spoken digits and digit strings compare equal: "1-2-3", "one two three" and "123" all read
    "123".
    """
    text = text.lower().replace("p.m.", "pm").replace("a.m.", "am")
    text = re.sub(r"(\d)[.:](\d)", r"\1 \2", text)
    text = re.sub(r"(\d)([a-z])", r"\1 \2", text)
    text = re.sub(r"[^\w' ]+", " ", text).replace("'s ", " ")
    tokens = [NUMBER_WORDS.get(t, t) for t in text.split()]
    merged: list[str] = []
    for token in tokens:
        if token.isdigit() and merged and merged[-1].isdigit() and len(token) == 1:
            merged[-1] += token
        else:
            merged.append(token)
    return " ".join(merged)


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of ``hypothesis`` against ``reference`` after ``normalise``.

    An empty hypothesis scores 1.0; an empty reference scores 0.0 only if the hypothesis is
    empty too.
    """
    import jiwer

    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    if not hyp:
        return 1.0
    return float(jiwer.wer(ref, hyp))


def pooled_wer(pairs: list[tuple[str, str]]) -> float | None:
    """Word error rate over many (reference, hypothesis) pairs at once: all their errors over
    all their reference words (None without reference words), so a short recording weighs no
    more than its words."""
    import jiwer

    kept = [(normalise(ref), normalise(hyp)) for ref, hyp in pairs if normalise(ref)]
    if not kept:
        return None
    words = sum(len(ref.split()) for ref, _ in kept)
    missing = sum(len(ref.split()) for ref, hyp in kept if not hyp)
    said = [(ref, hyp) for ref, hyp in kept if hyp]
    if not said:
        return 1.0
    output = jiwer.process_words([r for r, _ in said], [h for _, h in said])
    errors = output.substitutions + output.deletions + output.insertions
    return (errors + missing) / words
