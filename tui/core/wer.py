"""Word error rate with the normalisation speech transcripts need (jiwer does the counting)."""

from __future__ import annotations

import re
from dataclasses import dataclass

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


SENTENCE_END = re.compile(r"[.?!]['\")\]]*$")


@dataclass(frozen=True)
class SentenceEnds:
    """How a transcript's sentence ends (. ? !) sit against a punctuated reference's.

    Attributes:
        words: Words in the reference.
        mid: Sentence ends the transcript puts where the reference's sentence goes on
            ("cardiac. function.").
        missed: The reference's sentence ends that the transcript runs on through.
    """

    words: int
    mid: int
    missed: int

    def per_100_words(self, count: int) -> float:
        """``count`` per 100 reference words."""
        return 100 * count / self.words if self.words else 0.0


def _marked(text: str) -> tuple[list[str], list[bool]]:
    """The normalised words of ``text``, each with whether a sentence ends after it."""
    words: list[str] = []
    ends: list[bool] = []
    for token in text.split():
        said = normalise(token).split()
        if not said:
            if ends and SENTENCE_END.search(token):
                ends[-1] = True  # a mark standing alone ("word .") ends the word before it
            continue
        words += said
        ends += [False] * (len(said) - 1) + [bool(SENTENCE_END.search(token))]
    return words, ends


def sentence_ends(reference: str, hypothesis: str) -> SentenceEnds:
    """Where ``hypothesis`` ends sentences against ``reference``, word by word after aligning
    the two (jiwer): a sentence end on a word the reference goes on after (or on an inserted
    word) is ``mid``; a reference sentence end whose word the hypothesis has without one is
    ``missed``. The last word of each is not counted: the end of a recording ends a sentence."""
    import jiwer

    ref, ref_ends = _marked(reference)
    hyp, hyp_ends = _marked(hypothesis)
    if not ref or not hyp:
        return SentenceEnds(len(ref), 0, 0)
    ref_ends[-1] = hyp_ends[-1] = False
    aligned = jiwer.process_words(" ".join(ref), " ".join(hyp)).alignments[0]
    mid = missed = 0
    for chunk in aligned:
        if chunk.type in ("equal", "substitute"):
            for r, h in zip(
                range(chunk.ref_start_idx, chunk.ref_end_idx),
                range(chunk.hyp_start_idx, chunk.hyp_end_idx),
                strict=True,
            ):
                mid += hyp_ends[h] and not ref_ends[r]
                missed += ref_ends[r] and not hyp_ends[h]
        elif chunk.type == "insert":
            # An inserted word's end is right where the reference word before it ends one.
            before = chunk.ref_start_idx - 1
            marks = sum(hyp_ends[chunk.hyp_start_idx : chunk.hyp_end_idx])
            mid += max(0, marks - int(before >= 0 and ref_ends[before]))
    return SentenceEnds(len(ref), mid, missed)
