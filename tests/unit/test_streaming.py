"""The real-time finalisation rules, on constructed hypotheses (no model)."""

from __future__ import annotations

import numpy as np

from tui.engine.realtime.streaming import CONTEXT_S, StreamingRecognizer, Update, Window, voiced
from tui.engine.recognition.asr import Word, trusted
from tui.engine.recognition.guards import collapse_loops, drop_copies, repetitive, unheard


def feed(rec: StreamingRecognizer, seconds: float) -> None:
    rec.add_audio(np.zeros(int(seconds * 16000), dtype=np.float32))


def words(*spec: tuple[str, float, float]) -> list[Word]:
    return [Word(f" {text}", start, end) for text, start, end in spec]


SPEECH = [(0.0, 10.0)]


def at(window: Window, *spec: tuple[str, float, float]) -> list[Word]:
    """Words given in stream time, as a hypothesis of ``window`` (times from its start)."""
    return words(*[(text, s - window.start, e - window.start) for text, s, e in spec])


def across_the_cut(
    before: list[tuple[str, float, float]], after: list[tuple[str, float, float]]
) -> list[str]:
    """``before`` made final (3 s of audio, flushed), then 2 s more whose window Whisper hears as
    ``after`` (stream times): the words of ``after`` that become final."""
    rec = StreamingRecognizer(max_delay=4.0)
    feed(rec, 3.0)
    rec.apply(rec.plan(flush=True), words(*before), SPEECH)
    feed(rec, 2.0)
    window = rec.plan(flush=True)
    return [w.text.strip() for w in rec.apply(window, at(window, *after), SPEECH).finals]


def test_agreed_words_become_final_and_the_last_stays_partial() -> None:
    rec = StreamingRecognizer(max_delay=4.0, step_cost=0.6)
    feed(rec, 2.0)
    first = rec.apply(
        rec.plan(), words(("hello", 0.2, 0.6), ("there", 0.7, 1.2), ("my", 1.4, 1.9)), SPEECH
    )
    assert first.finals == []  # nothing agreed yet and the deadline is far
    feed(rec, 0.3)
    window = rec.plan()
    second = rec.apply(
        window,
        words(("hello", 0.2, 0.6), ("there", 0.7, 1.2), ("my", 1.4, 1.9), ("friend", 2.0, 2.25)),
        SPEECH,
    )
    assert [w.text.strip() for w in second.finals] == ["hello", "there", "my"]
    assert [w.text.strip() for w in second.partial] == ["friend"]


def first_step(*said: tuple[str, float, float]) -> tuple[StreamingRecognizer, Update]:
    """A recogniser at ``max_delay`` 1 whose first 3 s window was heard as ``said``."""
    rec = StreamingRecognizer(max_delay=1.0, step_cost=0.6)
    feed(rec, 3.0)
    return rec, rec.apply(rec.plan(), words(*said), SPEECH)


def test_deadline_forces_a_followed_word_out() -> None:
    _, update = first_step(("alpha", 0.5, 1.0), ("beta", 1.2, 2.9))
    assert [w.text.strip() for w in update.finals] == ["alpha"]  # 1.0 + 1.0 < 3.0 + 0.6
    assert [w.text.strip() for w in update.partial] == ["beta"]


def test_a_number_is_never_forced_out_by_the_deadline() -> None:
    """ "twenty twenty" heard, "five" still to come: "2020." waits for agreement (and so does
    what follows it); the next hypothesis has the whole number, and that is what is said."""
    rec, first = first_step(("is", 0.2, 0.5), ("2020.", 0.6, 1.0), ("at", 1.2, 2.9))
    assert [w.text.strip() for w in first.finals] == ["is"]
    heard = (("2025", 0.6, 1.3), ("at", 1.4, 1.6), ("three", 1.7, 3.55))
    feed(rec, 0.3)
    window = rec.plan()  # the whole number, two words after it: heard whole, forced out
    finals = [w.text.strip() for w in rec.apply(window, at(window, *heard), SPEECH).finals]
    assert finals == ["2025", "at"]


def test_a_number_two_steps_agree_on_is_not_final_while_nothing_follows_it() -> None:
    """The shared recordings in real time: two steps ended on "2020." while "five" was still
    to come, so it went final by agreement, and the next step's "2025" followed it: "January
    15th, 2020 2025"."""
    rec = StreamingRecognizer(max_delay=1.0, step_cost=0.6)
    said: list[str] = []
    for heard in (
        (("is", 0.2, 0.5), ("2020.", 0.6, 1.0)),
        (("is", 0.2, 0.5), ("2020.", 0.6, 1.0)),
        (("is", 0.2, 0.5), ("2025", 0.6, 1.3), ("at", 1.4, 1.6), ("three", 1.7, 2.0)),
        (("is", 0.2, 0.5), ("2025", 0.6, 1.3), ("at", 1.4, 1.6), ("three", 1.7, 2.0)),
    ):
        feed(rec, 0.6)
        window = rec.plan()
        said += [w.text.strip() for w in rec.apply(window, at(window, *heard), SPEECH).finals]
    assert said[:3] == ["is", "2025", "at"]


def test_a_number_written_two_ways_does_not_hold_back_the_words_after_it() -> None:
    """Whisper base writes "30" one step and "thirty" the next: they never agree, so the
    deadline must move the number out once words follow it, or every word after it waits
    (11 s on base before this rule)."""
    rec = StreamingRecognizer(max_delay=1.0, step_cost=0.6)
    feed(rec, 3.0)
    said: list[str] = []
    for step, number in enumerate(["30", "thirty", "30", "thirty"]):
        window = rec.plan()
        heard = at(
            window,
            ("for", 0.2, 0.5),
            (number, 0.6, 1.0),
            ("years", 1.1, 1.5),
            ("and", 1.6, 1.9),
            ("set", 2.0, 2.4 + step * 0.3),
        )
        said += [w.text.strip() for w in rec.apply(window, heard, SPEECH).finals]
        feed(rec, 0.3)
    assert said[:4] == ["for", "30", "years", "and"]


def test_last_word_is_never_forced_without_silence() -> None:
    _, update = first_step(("alpha", 0.5, 1.0))
    assert update.finals == []


def test_silence_after_speech_finalises_everything() -> None:
    rec = StreamingRecognizer(max_delay=4.0)
    feed(rec, 3.0)
    update = rec.apply(rec.plan(), words(("alpha", 0.5, 1.0), ("beta", 1.1, 1.8)), [(0.4, 1.9)])
    assert len(update.finals) == 2 and update.partial == []


def test_a_last_word_stretched_into_the_silence_is_final_when_the_speech_stops() -> None:
    """Whisper ended "that." 0.32 s after the speech stopped: it waited as a partial through
    5.5 s of silence, until the next speech (the shared recordings joined, 15 s encoder)."""
    rec = StreamingRecognizer(max_delay=1.0)
    feed(rec, 6.5)
    said = words(("with", 4.8, 5.0), ("that.", 5.0, 5.6))
    update = rec.apply(rec.plan(), said, [(3.62, 5.28)])
    assert [w.text.strip() for w in update.finals] == ["with", "that."]
    assert update.partial == []


def test_flush_finalises_everything() -> None:
    rec = StreamingRecognizer(max_delay=4.0)
    feed(rec, 1.0)
    update = rec.apply(rec.plan(flush=True), words(("alpha", 0.5, 0.95)), SPEECH)
    assert [w.text.strip() for w in update.finals] == ["alpha"]


def test_finals_never_overlap_and_repeats_across_the_cut_are_dropped() -> None:
    rec = StreamingRecognizer(max_delay=4.0)
    feed(rec, 9.0)
    rec.apply(rec.plan(flush=True), words(("one", 6.2, 6.8), ("two", 7.0, 8.0)), SPEECH)
    feed(rec, 2.0)
    window = rec.plan(flush=True)
    assert window.start == rec.final_end - CONTEXT_S  # context audio kept before the cut
    hypothesis = at(window, ("one", 6.2, 6.8), ("two", 7.0, 7.9), ("three", 7.95, 8.6))
    update = rec.apply(window, [*hypothesis, *at(window, ("four", 9.0, 9.5))], SPEECH)
    assert [w.text.strip() for w in update.finals] == ["three", "four"]
    assert update.finals[0].start >= 8.0


def test_silence_keeps_the_window_bounded() -> None:
    rec = StreamingRecognizer(max_delay=1.0)
    for _ in range(100):
        feed(rec, 0.5)
        rec.apply(rec.plan(), [], [])
    assert rec.held_seconds < 1.0
    assert rec.audio_end == 50.0


def test_end_of_utterance_once_after_trigger() -> None:
    rec = StreamingRecognizer(max_delay=1.0, eou_trigger=0.5)
    feed(rec, 2.0)
    first = rec.apply(rec.plan(), words(("hi", 0.2, 0.6), ("you", 0.7, 1.0)), [(0.1, 1.05)])
    assert len(first.finals) == 2
    assert first.end_of_utterance == 1.0
    feed(rec, 1.0)
    again = rec.apply(rec.plan(), [], [])
    assert again.end_of_utterance is None


def test_no_end_of_utterance_without_trigger() -> None:
    rec = StreamingRecognizer(max_delay=1.0, eou_trigger=0.0)
    feed(rec, 2.0)
    assert rec.apply(rec.plan(), words(("hi", 0.2, 0.6)), [(0.1, 0.7)]).end_of_utterance is None


def test_memory_of_finals_stays_bounded_in_a_long_session() -> None:
    rec = StreamingRecognizer(max_delay=4.0)
    for step in range(500):
        feed(rec, 1.0)
        window = rec.plan(flush=True)
        length = window.end - window.start
        rec.apply(window, words((f"w{step}", length - 0.6, length - 0.2)), [(0.0, length)])
    assert len(rec._finals) <= 200
    assert rec.final_end == 499.8
    last = rec.plan().prompt.split()[-1]
    # the prompt still ends with the newest words out of the window
    assert int(last[1:]) >= 499 - CONTEXT_S - 1


def test_a_final_never_ends_mid_word() -> None:
    """'3' is final only together with '.30pm', the token that continues it."""
    rec = StreamingRecognizer(max_delay=0.7, step_cost=0.3)
    rec.add_audio(np.zeros(16000 * 4, dtype=np.float32))
    window = rec.plan()
    # the deadline (4.0 + 0.3 - 0.7 = 3.6) would finalise " 3" but not ".30", which ends later
    hypothesis = [
        Word(" meet", 0.2, 0.5),
        Word(" at", 0.6, 0.8),
        Word(" 3", 3.3, 3.5),
        Word(".30", 3.5, 3.7),
        Word(" today", 3.75, 3.9),
    ]
    update = rec.apply(window, hypothesis, [(0.1, 3.95)])
    assert [w.text for w in update.finals] == [" meet", " at"]
    assert [w.text for w in update.partial] == [" 3", ".30", " today"]


def test_the_last_final_word_is_not_heard_twice_at_the_cut() -> None:
    """Context audio holds the last final "and"; Whisper hears it, then hears the next word
    ("I'd") as "and" again: neither is a new word."""
    finals = across_the_cut(
        [("support", 0.2, 0.8), ("and", 1.0, 1.4)],
        [("and", 1.3, 1.6), ("and", 1.6, 1.8), ("be", 1.9, 2.2), ("happy", 2.3, 2.8)],
    )
    assert finals == ["be", "happy"]


def test_a_loop_in_one_hypothesis_is_kept_once() -> None:
    """ "It was the season of the day." thirteen times, as a busy machine's Whisper wrote it."""
    loop = [
        ("It", 0.0, 0.1),
        ("was", 0.1, 0.2),
        ("the", 0.2, 0.3),
        ("season", 0.3, 0.4),
        ("of", 0.4, 0.5),
        ("the", 0.5, 0.6),
        ("day.", 0.6, 0.7),
    ]
    spoken = words(*[(t, s + n, e + n) for n in range(13) for t, s, e in loop])
    assert [w.text.strip() for w in collapse_loops(spoken)] == [t for t, _, _ in loop]
    ordinary = words(("no", 0, 1), ("no", 1, 2), ("that", 2, 3), ("is", 3, 4), ("fine", 4, 5))
    assert collapse_loops(ordinary) == ordinary  # a word twice is speech, not a loop


def said(text: str, start: float = 0.0, each: float = 0.4) -> list[Word]:
    """The words of ``text``, one after another, ``each`` seconds long."""
    return [
        Word(f" {w}", start + i * each, start + (i + 1) * each) for i, w in enumerate(text.split())
    ]


def test_a_copy_of_recent_finals_is_dropped() -> None:
    """Whisper writing its prompt again: the run squeezed into less than half the audio the
    finals took."""
    recent = said("we were all going direct to heaven and")
    fresh = [*said("We were all going direct to", 10.0, each=0.1), *said("the other", 10.6)]
    assert [w.text.strip() for w in drop_copies(fresh, recent)] == ["the", "other"]
    short = said("we were all", 10.0, each=0.1)  # three words may be speech
    assert drop_copies(short, recent) == short


def test_a_phrase_asked_again_is_speech() -> None:
    """The Voice SDK's 8 kHz call asks "Can you tell me the route from Notting Hill Gate?"
    twice, 12 s apart: the second saying, over as much audio, is kept (before, the copy rule
    dropped it once the vocabulary made both sayings the same)."""
    recent = said("Yeah can you tell me the route from Notting Hill Gate to Buckingham Palace?")
    fresh = said("Can you tell me the route from Notting Hill Gate?", 12.0, each=0.35)
    assert drop_copies(fresh, recent) == fresh


def test_a_copy_of_the_age_of_dickens_is_speech() -> None:
    """Five words said again with a new ending are speech: "it was the age of wisdom, it was
    the age of foolishness" (a five-word rule dropped the second "it was the age of")."""
    recent = said("it was the age of wisdom")
    fresh = said("it was the age of foolishness.", 3.0, each=0.1)
    assert drop_copies(fresh, recent) == fresh


def test_a_phrase_that_repeats_the_last_finals_is_a_loop() -> None:
    """ "…Welcome to speech" is final; Whisper then hears "medics. Welcome to speech medics."
    (a loop at the window's end): the second saying goes."""
    fresh = words(
        ("medics.", 4.5, 5.0),
        ("Welcome", 5.0, 5.1),
        ("to", 5.1, 5.2),
        ("speech", 5.2, 5.3),
        ("medics.", 5.3, 5.4),
    )
    kept = collapse_loops(fresh, ["welcome", "to", "speech"])
    assert [w.text.strip() for w in kept] == ["medics."]
    # two words said twice are speech ("thank you, thank you"); three times they loop
    twice = words(("thank", 0, 1), ("you", 1, 2), ("thank", 2, 3), ("you", 3, 4))
    assert collapse_loops(twice) == twice
    assert repetitive("welcome to speech medics. welcome to speech medics.")


def test_words_aligned_to_no_audio_are_invented() -> None:
    """A phrase Whisper invents has nothing to align to: its words all sit at one instant. Two
    or more such words in a row go; a lone short word (squeezed at a cut) stays."""
    hypothesis = [
        Word(" the", 1.62, 2.10),
        Word(" sample", 2.10, 2.10),
        Word(" audio", 2.10, 2.46),
        Word(" transcription.", 2.46, 3.02),
        Word(" Welcome", 3.30, 3.30),
        Word(" to", 3.30, 3.30),
        Word(" the", 3.30, 3.30),
        Word(" sample", 3.30, 3.32),
        Word(" Welcome", 3.80, 3.98),
        Word(" to", 3.98, 4.26),
        Word(" speech.", 4.26, 4.46),
    ]
    kept = [w.text.strip() for w in unheard(hypothesis)]
    assert kept == ["the", "sample", "audio", "transcription.", "Welcome", "to", "speech."]


def test_an_invented_phrase_never_becomes_final() -> None:
    """The same, through the recogniser: a flushed window's invented run is not said."""
    rec = StreamingRecognizer(max_delay=4.0)
    feed(rec, 5.0)
    update = rec.apply(
        rec.plan(flush=True),
        [
            Word(" Welcome", 0.5, 0.9),
            Word(" to", 0.9, 1.1),
            Word(" speech.", 1.1, 1.6),
            Word(" Thanks", 1.6, 1.6),
            Word(" for", 1.6, 1.6),
            Word(" watching.", 1.6, 1.6),
        ],
        SPEECH,
    )
    assert [w.text.strip() for w in update.finals] == ["Welcome", "to", "speech."]


def test_a_looping_prompt_is_dropped() -> None:
    rec = StreamingRecognizer(max_delay=4.0)
    feed(rec, 20.0)
    looped = [
        ("the", i * 0.6, i * 0.6 + 0.2) if i % 2 == 0 else ("day.", i * 0.6, i * 0.6 + 0.5)
        for i in range(8)
    ]
    rec.apply(rec.plan(flush=True), words(*looped), SPEECH)
    assert repetitive("the day. the day. the day. the day.")
    assert not repetitive("the day is long and the night is short")
    assert rec.plan().prompt == ""


def test_words_in_the_silence_after_speech_are_dropped() -> None:
    """An invented ending ("Thank you.") in the quiet after the last word never shows."""
    rec = StreamingRecognizer(max_delay=4.0)
    feed(rec, 5.0)
    update = rec.apply(
        rec.plan(flush=True),
        words(("alpha", 0.5, 1.0), ("beta", 1.1, 1.8), ("Thank", 3.5, 3.8), ("you.", 3.8, 4.1)),
        [(0.4, 1.9)],
    )
    assert [w.text.strip() for w in update.finals] == ["alpha", "beta"]


def test_whisper_failure_signs() -> None:
    assert trusted(avg_logprob=-0.3, compression_ratio=1.4, no_speech_prob=0.1)
    assert not trusted(avg_logprob=-0.3, compression_ratio=3.1, no_speech_prob=0.1)  # a loop
    assert not trusted(avg_logprob=-1.4, compression_ratio=1.2, no_speech_prob=0.8)  # invented
    assert trusted(avg_logprob=-0.4, compression_ratio=1.2, no_speech_prob=0.8)  # sure of it


def test_a_fragment_final_is_not_followed_by_its_whole_word() -> None:
    finals = across_the_cut(
        [("to", 0.2, 0.5), ("speech", 0.6, 1.0)],
        [("Speechmatics.", 0.9, 1.5), ("Thank", 1.9, 2.2), ("you", 2.3, 2.6)],
    )
    assert finals == ["Thank", "you"]
    # a longer word that merely begins like the last one, after it, is speech ("the theatre")
    finals = across_the_cut(
        [("over", 0.2, 0.5), ("here", 0.6, 1.0)], [("hereafter", 1.1, 1.6), ("then", 1.9, 2.2)]
    )
    assert finals == ["hereafter", "then"]


def test_a_split_final_is_not_followed_by_the_word_it_split() -> None:
    """Seen with tiny.en: "Speech Maddox." final, then the same audio heard as
    "speechmatics." ran on after it ("Welcome to Speech Maddox. speechmatics.")."""
    finals = across_the_cut(
        [("to", 0.2, 0.5), ("Speech", 0.6, 0.9), ("Maddox.", 0.9, 1.3)],
        [("speechmatics.", 1.1, 1.6), ("Good", 1.9, 2.2), ("morning", 2.3, 2.6)],
    )
    assert finals == ["Good", "morning"]
    # a word said after the last final that merely begins like the one before it is speech
    finals = across_the_cut(
        [("the", 0.2, 0.5), ("house", 0.6, 0.9), ("boat", 0.9, 1.3)],
        [("households", 1.4, 1.9), ("then", 1.9, 2.2)],
    )
    assert finals == ["households", "then"]


def test_a_window_whisper_keeps_failing_on_drops_its_context_and_prompt() -> None:
    """Whisper answers nothing (or "the next video.") for a window that starts with the end of
    the last sentence, while new speech waits: after two such late steps the window leaves out that
    context and the prompt, and the waiting words come."""
    rec = StreamingRecognizer(max_delay=1.0, step_cost=0.6)
    feed(rec, 3.0)
    rec.apply(rec.plan(flush=True), words(("API", 0.5, 1.2), ("demo.", 1.3, 2.0)), [(0.4, 2.0)])
    assert rec.plan().skip_s == 0.0
    for _ in range(3):  # the first is within max_delay + 1 s of the last final: not yet stuck
        feed(rec, 1.0)
        window = rec.plan()
        speech = [(0.0, 2.0 - window.start), (2.5 - window.start, window.end - window.start)]
        assert rec.apply(window, [], speech).finals == []
    feed(rec, 0.5)
    window = rec.plan()
    assert window.prompt == "" and window.start + window.skip_s == rec.final_end == 2.0
    hypothesis = at(window, ("This", 2.5, 2.8), ("example", 2.9, 3.4), ("shows", 3.5, 3.9))
    update = rec.apply(window, hypothesis, [(2.4 - window.start, 4.4 - window.start)])
    assert [w.text.strip() for w in update.finals][:2] == ["This", "example"]
    assert rec.plan().skip_s == 0.0  # back to normal once words are final


def test_a_token_continuing_a_final_word_becomes_a_word_of_its_own() -> None:
    """customer.wav: "12345" said with a pause; "1-2-3" went final in the pause, then Whisper
    hears the rest as "-4-5." (no leading space): it must not hang off the final word."""
    rec = StreamingRecognizer(max_delay=4.0)
    feed(rec, 3.0)
    rec.apply(rec.plan(flush=True), words(("is", 0.2, 0.5), ("1-2-3", 0.6, 1.4)), SPEECH)
    feed(rec, 2.0)
    window = rec.plan(flush=True)
    after = [
        Word(" 1-2-3", 0.6 - window.start, 1.4 - window.start),
        Word("-4", 3.2 - window.start, 3.5 - window.start),
        Word("-5.", 3.6 - window.start, 4.0 - window.start),
    ]
    finals = rec.apply(window, after, SPEECH).finals
    assert [w.text for w in finals] == [" 4", "-5."]
    # punctuation alone, continuing the final word, is not a word
    rec = StreamingRecognizer(max_delay=4.0)
    feed(rec, 3.0)
    rec.apply(rec.plan(flush=True), words(("yes", 0.2, 0.5)), SPEECH)
    feed(rec, 2.0)
    window = rec.plan(flush=True)
    after = [
        Word(".", 0.5 - window.start, 0.6 - window.start),
        Word(" fine", 3.2 - window.start, 3.5 - window.start),
    ]
    assert [w.text for w in rec.apply(window, after, SPEECH).finals] == [" fine"]


def test_silence_after_the_finals_is_said_as_an_empty_final_once_a_second() -> None:
    """agent.wav's channel: a sentence, then the other speaker's turn (silence here). The
    engine says so with empty finals, so a client does not think it is behind; never while
    words wait, and a later word never starts before what was said to be silent."""
    from tui.engine.realtime.writer import TranscriptWriter

    sent: list[dict[str, object]] = []
    writer = TranscriptWriter(sent.append, lambda: None, lambda: {"enable_partials": True})
    rec = StreamingRecognizer(max_delay=1.0)
    feed(rec, 2.0)
    update = rec.apply(
        rec.plan(flush=True), words(("hello", 0.2, 0.6), ("there.", 0.7, 1.2)), [(0.1, 1.3)]
    )
    writer.finals(update.finals, forced=False)
    writer.partial(update.partial, force=True)
    silent = []
    for _ in range(8):  # 0.3 s steps of silence after the finals
        feed(rec, 0.3)
        window = rec.plan()
        update = rec.apply(window, [], [(0.1 - window.start, 1.3 - window.start)])
        assert update.finals == [] and update.partial == []
        if update.silent_to is not None:
            writer.silence(update.silent_to)
            silent.append(update.silent_to)
    assert silent and silent[0] >= 1.2 + 0.4  # not before the words' end and the silence rule
    empties = [m for m in sent if m["message"] == "AddTranscript" and not m["results"]]
    ends = [m["metadata"]["end_time"] for m in empties]  # type: ignore[index]
    assert len(empties) == 2 and all(b - a >= 1.0 for a, b in zip([1.2, *ends], ends, strict=False))
    writer.partial(words(("so", 4.1, 4.3)), force=False)  # a word waits: no silence said
    writer.silence(ends[-1] + 2.0)
    assert sent[-1]["message"] == "AddPartialTranscript"
    writer.finals(words(("so", ends[-1] - 0.2, ends[-1] + 0.3)), forced=False)
    final = sent[-1]
    assert final["results"][0]["start_time"] >= ends[-1]  # type: ignore[index]


def test_no_silence_is_said_over_speech_whisper_did_not_transcribe() -> None:
    """The stall (Whisper answers nothing for a window while speech waits): that speech may
    still become words, so no time after it is said to be silent."""
    rec = StreamingRecognizer(max_delay=1.0)
    feed(rec, 2.0)
    rec.apply(rec.plan(flush=True), words(("hello", 0.2, 0.6)), [(0.1, 0.7)])
    for _ in range(6):
        feed(rec, 0.5)
        window = rec.plan()
        update = rec.apply(window, [], [(1.0 - window.start, window.end - 1.0 - window.start)])
        assert update.silent_to is None


def said_text(updates: list[list[Word]]) -> str:
    """What a client reads from the finals: a mark sent alone joins the word before it."""
    text = ""
    for finals in updates:
        for w in finals:
            text += w.text if w.text[:1].isspace() else w.text.strip()
    return text.strip()


def forced_then(after: list[tuple[str, float, float]], flush: bool = False) -> str:
    """ "cardiac." forced out by the deadline, then the next window heard as ``after``."""
    rec, first = first_step(("normal", 0.2, 0.6), ("cardiac.", 0.7, 1.1), ("Function", 1.3, 2.9))
    assert [w.text for w in first.finals] == [" normal", " cardiac"]  # the mark held
    feed(rec, 1.0)
    window = rec.plan(flush=flush)
    second = rec.apply(window, at(window, *after), SPEECH)
    return said_text([first.finals, second.finals])


def test_a_full_stop_the_deadline_forced_goes_when_the_next_step_hears_no_sentence_end() -> None:
    """Whisper ends each window with a full stop; the next step, hearing the word again with
    what follows it, decides: no mark there, none said ("cardiac function", not "cardiac.
    function.")."""
    text = forced_then(
        [("cardiac", 0.7, 1.1), ("function", 1.3, 1.9), ("is", 2.0, 2.3), ("fine.", 2.4, 2.9)],
        flush=True,
    )
    assert text == "normal cardiac function is fine."


def test_a_full_stop_the_next_step_hears_again_stands() -> None:
    text = forced_then(
        [("cardiac.", 0.7, 1.1), ("Function", 1.3, 1.9), ("is", 2.0, 2.3), ("fine.", 2.4, 2.9)],
        flush=True,
    )
    assert text == "normal cardiac. Function is fine."


def test_a_held_mark_stands_when_the_speech_stops_or_the_stream_ends() -> None:
    assert forced_then([], flush=True) == "normal cardiac."
    rec = StreamingRecognizer(max_delay=1.0, step_cost=0.6)
    feed(rec, 3.0)
    ended = rec.apply(rec.plan(), words(("the", 0.2, 0.6), ("end.", 0.7, 1.1)), [(0.0, 1.2)])
    assert said_text([ended.finals]) == "the end."  # silence after it: nothing to hold


def test_a_mark_with_a_short_pause_after_it_waits_for_what_follows() -> None:
    """The Voice SDK ends a turn soon after a final sentence end: "Welcome to GeoRouter." went
    final in the 0.6 s pause before "How can I help?", and the turn was cut in two. A mark
    after which nothing is said yet waits until the pause is ``SENTENCE_PAUSE_S`` long, or
    until the words said after it decide it."""
    rec = StreamingRecognizer(max_delay=2.0, step_cost=0.8)
    feed(rec, 2.7)
    said = words(("Welcome", 0.2, 0.6), ("to", 0.7, 0.9), ("GeoRouter.", 1.0, 2.2))
    first = rec.apply(rec.plan(), said, [(0.0, 2.2)])  # 0.5 s quiet: the words are final
    assert said_text([first.finals]) == "Welcome to GeoRouter" and rec.holding
    feed(rec, 0.7)
    window = rec.plan()
    heard = at(window, ("GeoRouter.", 1.0, 2.2), ("How", 2.8, 3.0), ("can", 3.0, 3.2))
    second = rec.apply(window, heard, [(0.0, 2.2), (2.8, 3.3)])
    assert said_text([first.finals, second.finals]) == "Welcome to GeoRouter."
    assert [w.text for w in second.partial] == [" How", " can"]  # sent with the stop

    rec = StreamingRecognizer(max_delay=2.0, step_cost=0.8)
    feed(rec, 2.7)
    first = rec.apply(rec.plan(), said, [(0.0, 2.2)])
    feed(rec, 0.4)  # 0.9 s quiet, nothing said: the sentence ended
    second = rec.apply(rec.plan(), [], [(0.0, 2.2)])
    assert said_text([first.finals, second.finals]) == "Welcome to GeoRouter." and not rec.holding


def test_a_mark_waits_no_longer_than_the_end_of_utterance() -> None:
    """An EndOfUtterance never comes before the mark of the sentence it ends."""
    rec = StreamingRecognizer(max_delay=2.0, step_cost=0.8, eou_trigger=0.5)
    feed(rec, 2.8)
    said = words(("That", 0.2, 0.6), ("is", 0.7, 0.9), ("all.", 1.0, 2.2))
    update = rec.apply(rec.plan(), said, [(0.0, 2.2)])
    assert said_text([update.finals]) == "That is all." and update.end_of_utterance == 2.2


def test_a_partial_ends_without_the_stop_whisper_writes_at_every_window_end() -> None:
    """A partial ending in a full stop says the sentence ended; while the speech goes on,
    Whisper's stop at the window's end says nothing, and the partial leaves it off."""
    rec = StreamingRecognizer(max_delay=2.0, step_cost=0.8)
    feed(rec, 3.0)
    update = rec.apply(rec.plan(), words(("Can", 2.0, 2.3), ("you.", 2.4, 2.9)), SPEECH)
    assert update.partial[-1].text == " you"
    rec = StreamingRecognizer(max_delay=2.0, step_cost=0.8)
    feed(rec, 3.0)
    update = rec.apply(
        rec.plan(), words(("Can", 1.0, 1.3), ("you", 1.4, 1.8), (".", 1.8, 1.8)), SPEECH
    )
    assert update.partial[-1].text == " you"  # a stop alone goes too


def test_no_word_is_lost_or_doubled_by_holding_marks() -> None:
    """Every word said is final once, in order, whatever the hold decides."""
    text = forced_then(
        [("cardiac", 0.7, 1.1), ("function.", 1.3, 1.9), ("Is", 2.0, 2.3), ("fine.", 2.4, 2.9)],
        flush=True,
    )
    assert normalise_words(text) == ["normal", "cardiac", "function", "is", "fine"]


def normalise_words(text: str) -> list[str]:
    return [w.strip(".,?!").lower() for w in text.split()]


def test_a_held_mark_joins_the_transcripts_a_client_reads() -> None:
    """Clients join each AddTranscript's ``metadata.transcript``: after a message whose last
    mark is held, the next starts with the mark (or the space, where the mark went)."""
    from tui.engine.realtime.writer import TranscriptWriter

    for after, read in (
        ("cardiac.", "normal cardiac. Function is fine. "),
        ("cardiac", "normal cardiac function is fine. "),
    ):
        sent: list[dict[str, object]] = []
        writer = TranscriptWriter(sent.append, lambda: None, lambda: {"language": "en"})
        rec = StreamingRecognizer(max_delay=1.0, step_cost=0.6)
        feed(rec, 3.0)
        first = rec.apply(
            rec.plan(),
            words(("normal", 0.2, 0.6), ("cardiac.", 0.7, 1.1), ("Function", 1.3, 2.9)),
            SPEECH,
        )
        writer.finals(first.finals, forced=False, open_end=rec.holding)
        feed(rec, 1.0)
        window = rec.plan(flush=True)
        next_word = "Function" if after.endswith(".") else "function"
        second = rec.apply(
            window,
            at(
                window,
                (after, 0.7, 1.1),
                (next_word, 1.3, 1.9),
                ("is", 2.0, 2.3),
                ("fine.", 2.4, 2.9),
            ),
            SPEECH,
        )
        writer.finals(second.finals, forced=False, open_end=rec.holding)
        finals = [m for m in sent if m["message"] == "AddTranscript"]
        assert "".join(m["metadata"]["transcript"] for m in finals) == read  # type: ignore[index]


def test_a_held_mark_waits_while_speech_goes_on_that_whisper_has_not_written() -> None:
    """ "hundred." forced out; the next step hears "hundred." again with nothing after it,
    though the speech goes on: the mark waits, and goes when "for the project" is heard after
    it (base wrote "approximately 500. for the project")."""
    rec, first = first_step(("five", 0.2, 0.9), ("hundred.", 1.0, 1.5), ("For", 1.7, 2.9))
    assert said_text([first.finals]) == "five hundred"  # the mark held
    feed(rec, 0.4)
    window = rec.plan()
    waiting = rec.apply(window, at(window, ("hundred.", 1.0, 1.5)), SPEECH)
    assert waiting.finals == [] and rec.holding  # speech goes on: nothing decided yet
    feed(rec, 1.0)
    window = rec.plan(flush=True)
    heard = at(
        window, ("hundred", 1.0, 1.5), ("for", 1.7, 1.9), ("the", 2.0, 2.2), ("project.", 2.3, 2.9)
    )
    last = rec.apply(window, heard, SPEECH)
    assert said_text([first.finals, last.finals]) == "five hundred for the project."


def held_then(
    first: list[tuple[str, float, float]], after: list[tuple[str, float, float]], held: str
) -> str:
    """``first`` heard in a 3 s window, its last final's mark held (``held`` is what was
    said), then the stream's last window heard as ``after``: what a client reads."""
    rec, update = first_step(*first)
    assert said_text([update.finals]) == held and rec.holding
    feed(rec, 1.0)
    window = rec.plan(flush=True)
    return said_text([update.finals, rec.apply(window, at(window, *after), SPEECH).finals])


def test_a_held_full_stop_goes_when_a_number_follows_straight_on() -> None:
    """ "15th." forced out; the next step hears it again, still with its stop, and "2025"
    straight after: Whisper had ended a window inside the date ("January 15th. 2025")."""
    first = [("on", 0.2, 0.6), ("15th.", 0.7, 1.1), ("So", 1.3, 2.65), ("we", 2.7, 2.9)]
    after = [("15th.", 0.7, 1.1), ("2025", 1.2, 1.9), ("at", 2.0, 2.3), ("noon.", 2.4, 2.9)]
    assert held_then(first, after, held="on 15th") == "on 15th 2025 at noon."


def paused_number_then(*after: tuple[str, float, float]) -> str:
    """ "is 1-235." final where the speaker paused inside the number (the speech stopped),
    then the next window heard as ``after``."""
    rec = StreamingRecognizer(max_delay=1.0, step_cost=0.6)
    feed(rec, 3.0)
    first = rec.apply(rec.plan(), words(("is", 0.2, 0.5), ("1-235.", 0.6, 1.4)), [(0.0, 1.5)])
    assert said_text([first.finals]) == "is 1-235" and rec.holding  # the stop waits
    feed(rec, 1.5)
    window = rec.plan(flush=True)
    second = rec.apply(window, at(window, *after), [(3.1 - window.start, 4.3 - window.start)])
    return said_text([first.finals, second.finals])


def test_a_number_s_full_stop_waits_through_a_pause_for_the_word_after_it() -> None:
    """customer.wav reads "12345" with a pause after "3": Whisper wrote "1-235." and the
    pause made it final ("1-235. 4-5"). A number's stop waits for the next word, whatever
    the pause: another number, or a lower-case word, and it goes; a capital, and it stands."""
    assert paused_number_then(("4-5.", 3.2, 4.2)) == "is 1-235 4-5."
    assert paused_number_then(("for", 3.2, 3.5), ("you.", 3.6, 4.2)) == "is 1-235 for you."
    assert paused_number_then(("Hello.", 3.2, 4.2)) == "is 1-235. Hello."


def test_a_held_full_stop_before_a_lower_case_word_goes_after_a_pause_too() -> None:
    """ "Great." forced out; the next step hears it again with its stop, a pause, then "my
    account" in lower case: Whisper capitalises what follows a sentence's end, so that stop
    ended none ("Great. my account number is")."""
    first = [("Great.", 0.2, 0.6), ("My", 1.3, 2.9), ("account", 2.9, 2.95)]
    after = [("Great.", 0.2, 0.6), ("my", 1.3, 1.6), ("account.", 1.7, 2.4)]
    assert held_then(first, after, held="Great") == "Great my account."


def test_a_held_mark_waits_a_few_steps_at_most() -> None:
    rec, first = first_step(("It", 0.2, 0.5), ("ends.", 0.6, 1.1), ("A", 1.3, 2.9))
    sent = [first.finals]
    for _ in range(5):
        feed(rec, 0.4)
        window = rec.plan()
        sent.append(rec.apply(window, at(window, ("ends.", 0.6, 1.1)), SPEECH).finals)
    assert said_text(sent) == "It ends." and not rec.holding


def test_a_hypothesis_that_lost_the_context_is_never_final() -> None:
    """Base wrote "of the" for "API demo. This example shows", twice in a row: the two agreed,
    became final, and the words said were lost behind them. A hypothesis with none of the
    final words the window's context holds stays partial until a step hears them again."""
    rec = StreamingRecognizer(max_delay=3.0, step_cost=1.0)
    feed(rec, 3.2)  # 0.9 s quiet after "demo.": its stop stands at once
    first = rec.apply(
        rec.plan(), words(("the", 0.3, 0.6), ("API", 1.0, 1.5), ("demo.", 1.6, 2.2)), [(0.0, 2.3)]
    )
    assert said_text([first.finals]) == "the API demo."
    sent = [first.finals]
    for _ in range(2):
        feed(rec, 1.0)
        window = rec.plan()
        lost = rec.apply(window, at(window, ("of", 2.6, 2.9), ("the", 3.0, 3.3)), SPEECH)
        assert lost.finals == [] and [w.text for w in lost.partial] == [" of", " the"]
    feed(rec, 1.0)
    window = rec.plan(flush=True)
    assert window.skip_s > 0 and not window.prompt  # two such steps: a stall, retried without
    heard = at(
        window, ("API", 1.0, 1.5), ("demo.", 1.6, 2.2), ("This", 2.5, 2.8), ("example", 2.9, 3.4),
        ("shows", 3.5, 4.0), ("it.", 4.1, 4.6),
    )  # fmt: skip
    sent.append(rec.apply(window, heard, SPEECH).finals)
    assert said_text(sent) == "the API demo. This example shows it."


def test_the_word_after_a_full_stop_that_stood_begins_a_sentence() -> None:
    """meeting.wav in the dashboard: one step heard "everyone. Let's", so the stop stood, but
    "Let's" was not final yet; the next step wrote "everyone, let's begin", and "let's" went
    final in lower case: "everyone. let's begin"."""
    rec, first = first_step(("Good", 0.2, 0.6), ("everyone.", 0.7, 1.1), ("Let", 1.3, 2.9))
    feed(rec, 1.0)
    window = rec.plan()
    second = rec.apply(window, at(window, ("everyone.", 0.7, 1.1), ("Let's", 3.5, 3.8)), SPEECH)
    assert [w.text for w in second.finals] == ["."] and not rec.holding  # the stop stood
    feed(rec, 1.0)
    window = rec.plan()
    heard = at(
        window, ("everyone,", 0.7, 1.1), ("let's", 3.5, 3.8), ("begin", 3.9, 4.2),
        ("today", 4.3, 4.9),
    )  # fmt: skip
    third = rec.apply(window, heard, SPEECH)
    assert said_text([first.finals, second.finals, third.finals]) == "Good everyone. Let's begin"
    assert third.finals[0].text == " Let's"


def test_a_held_question_mark_heard_again_as_a_comma_is_a_comma() -> None:
    """The shared recordings in real time: "Hello?" was held, and the next step wrote
    "Hello, this is" with the word placed 0.5 s later and a pause after it; the "?" stood:
    "Hello? This is". A mark heard again with what follows it, where it is not a sentence's
    end, is the mark."""
    rec, first = first_step(("Good", 0.2, 0.6), ("Hello?", 0.7, 1.4), ("Ah", 1.6, 2.9))
    assert [w.text for w in first.finals] == [" Good", " Hello"]  # the mark held
    feed(rec, 1.0)
    window = rec.plan()
    heard = at(window, ("Hello,", 1.2, 2.3), ("this", 2.7, 2.9), ("is", 2.9, 3.1))
    second = rec.apply(window, heard, SPEECH)
    feed(rec, 1.0)
    window = rec.plan(flush=True)
    heard = at(window, ("this", 2.7, 2.9), ("is", 2.9, 3.1), ("fine.", 3.2, 3.6))
    third = rec.apply(window, heard, SPEECH)
    assert said_text([first.finals, second.finals, third.finals]) == "Good Hello, this is fine."


def test_the_word_after_a_stop_that_went_keeps_the_case_the_deciding_step_gave_it() -> None:
    """The shared recordings in real time: one step heard "2025 at", so the stop went, but
    "at" was not final yet; the next wrote "2025. At 3.30pm", and "At" went final with its
    capital: "January 15th, 2025 At 3.30pm"."""
    rec, first = first_step(("Good", 0.2, 0.6), ("morning.", 0.7, 1.1), ("Ah", 1.3, 2.9))
    assert [w.text for w in first.finals] == [" Good", " morning"]  # the mark held
    feed(rec, 1.0)
    window = rec.plan()
    second = rec.apply(window, at(window, ("morning", 0.7, 1.1), ("at", 3.5, 3.8)), SPEECH)
    assert second.finals == [] and not rec.holding  # the stop went
    feed(rec, 1.0)
    window = rec.plan()
    heard = at(
        window, ("morning.", 0.7, 1.1), ("At", 3.5, 3.8), ("three", 3.9, 4.2), ("today", 4.3, 4.9)
    )
    third = rec.apply(window, heard, SPEECH)
    assert said_text([first.finals, second.finals, third.finals]) == "Good morning at three"


def test_only_a_sentence_s_end_capitalises_the_word_after_it() -> None:
    rec = StreamingRecognizer()
    said = [
        Word(f" {t}", i, i + 1)
        for i, t in enumerate(["Dr.", "smith", "said.", "then", "at", "3.30.", "we"])
    ]
    out = [w.text.strip() for w in rec._sentence_start(said)]
    assert out == ["Dr.", "smith", "said.", "Then", "at", "3.30.", "we"]


def test_a_word_begun_in_the_silence_before_it_starts_where_the_speech_does() -> None:
    """Whisper began the agent's "I'd" at 5.88 s, straight after the customer's "account."
    (said at 7.0 s, after 1.5 s of silence), so the pause before it, where a turn changes,
    was not seen. Words begun inside speech keep their times."""
    window = Window(np.zeros(0, dtype=np.float32), 4.0, 9.0, "", False)
    speech = [(0.0, 1.8), (3.0, 4.5)]  # 4.0-5.8 s and 7.0-8.5 s
    said = words(("account.", 5.3, 5.8), ("I'd", 5.88, 7.2), ("be", 7.3, 7.5), ("x", 8.6, 8.7))
    assert [(w.text, w.start) for w in voiced(said, window, speech)] == [
        (" account.", 5.3),
        (" I'd", 7.0),
        (" be", 7.3),
        (" x", 8.6),  # begun in silence with no speech inside it: left as Whisper wrote it
    ]
