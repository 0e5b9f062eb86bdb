"""The real-time recogniser's state: which words are final, which are partial, when to cut.

Each step transcribes the audio after the last final word (a bounded window) and applies
these rules to the hypothesis, in order, to a prefix of its words:

* a word that two consecutive hypotheses agree on, ending clear of the window's edge, is final
  (LocalAgreement, as whisper_streaming does);
* a word that would miss its ``max_delay`` deadline by waiting for the next step is final
  anyway, unless it touches the window's edge (it may be cut mid-word);
* when voice activity detection hears the speech stop, every word is final;
* at the end of the stream (or on ForceEndOfUtterance) every word is final.

The rest of the hypothesis is the partial. Finals are never revised, come in time order and
do not overlap; the window then starts where the last final word ended, so its length stays
bounded. This module holds no model: ``plan`` says what to transcribe and ``apply`` takes the
result, so its rules are tested on constructed hypotheses.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from tui.engine.realtime.held_audio import HeldAudio
from tui.engine.recognition.asr import Decoding, Word
from tui.engine.recognition.capacity import EDGE_GUARD_S
from tui.engine.recognition.guards import (
    LOOP_TAIL,
    RECENT_WORDS,
    between_numbers,
    collapse_loops,
    drop_copies,
    ends_no_sentence,
    ends_sentence,
    normal,
    numeric,
    repetitive,
    standalone,
    stray_stops,
    unheard,
)
from tui.shared.audio import RATE

log = logging.getLogger("sm_tui.engine.streaming")

AGREED_GUARD_S = 0.1
SILENCE_FINAL_S = 0.4  # this much silence after speech finalises the utterance
SHORT_SILENCE_S = 0.25  # …or this much, when max_delay is under a second
CONTEXT_S = 5.0  # audio kept before the last final word: Whisper hears each word in context
MAX_WINDOW_S = 15.0
PROMPT_CHARS = 200
KEPT_FINALS = 200  # final words remembered: enough for the prompt and the repeat check
# Whisper can fail on a window again and again (nothing, or "the next video.") while speech
# waits: the window's start and prompt stay the same until a word is final. After this many
# such steps the next window leaves out the context audio and the prompt.
STUCK_STEPS = 2
CONTEXT_WORDS = 2  # final words in a window's context that Whisper should write again…
RECENT_CONTEXT_S = 1.5  # …of those in its last seconds (a common word further back matches too)
STUCK_SPEECH_S = 0.8


def _same_word(heard: Word, held: Word) -> bool:
    """Whether a word of a step's hypothesis is the held word heard again: the same word
    over the same time (Whisper may place it half a second apart in two windows)."""
    if normal(heard.text) != normal(held.text):
        return False
    near = abs((heard.start + heard.end) / 2 - (held.start + held.end) / 2) < HELD_NEAR_S
    return near or (heard.start < held.end and held.start < heard.end)


def _speech_end(window: Window, speech: list[tuple[float, float]]) -> float:
    """Stream time at which the window's last speech ends (its start if it has none)."""
    return window.start + speech[-1][1] if speech else window.start


def voiced(words: list[Word], window: Window, speech: list[tuple[float, float]]) -> list[Word]:
    """The words, each that Whisper began in a silence starting where voice activity detection
    heard speech begin inside it instead: Whisper stretches a turn's first word back over the
    pause before it ("I'd" from 5.88 s, straight after the other voice's "account.", though
    said at 7.0 s)."""
    heard = [(window.start + begin, window.start + end) for begin, end in speech]
    out = []
    for word in words:
        onset = next((b for b, _ in heard if word.start < b < word.end), None)
        if onset is not None and not any(b <= word.start <= e for b, e in heard):
            word = Word(word.text, onset, word.end, word.probability)
        out.append(word)
    return out


MIN_WORD_S = 0.01
SENTENCE_ENDS = ".?!"
HELD_MARKS = ".,?!;:"  # a final's trailing marks, held until the next step (``_hold``)
HELD_NEAR_S = 0.3  # the held word heard again starts within this of where it was
HELD_PAUSE_S = 0.3  # a pause this long after the held word: the sentence did end there
HELD_STEPS = 3  # steps a held mark waits for Whisper to write the words said after it
# A mark after which nothing is said waits this long before it stands (less, where an end of
# utterance comes sooner): a pause between two sentences of one turn is often shorter, and a
# stop sent final in it tells a client the turn ended (the Voice SDK then cut "Welcome to
# GeoRouter." from "How can I help?"). Speechmatics sends such a stop 0.4-1 s after the word.
SENTENCE_PAUSE_S = 0.8
NOT_SPEECH_S = 0.3  # words starting this long after the last speech are invented


NUMBER_FOLLOWERS = 2  # words after a number that show it was heard whole


def _heard_whole(hypothesis: list[Word], index: int) -> bool:
    """Whether the number at ``index`` has ``NUMBER_FOLLOWERS`` words after it, none of them
    a number: its digits are all said. (Without this, a number Whisper writes one step in
    digits and the next in words, "30" then "thirty", never agrees, and every word after it
    waits: 11 s late on Whisper base.)"""
    after = hypothesis[index + 1 : index + 1 + NUMBER_FOLLOWERS]
    return len(after) == NUMBER_FOLLOWERS and not any(numeric(w) for w in after)


def _open_ended(partial: list[Word], stopped: bool) -> list[Word]:
    """The partial, its last word's trailing mark left off while the speech goes on: Whisper
    ends every window's text with a full stop, and a partial ending in one says the sentence
    ended. The Voice SDK ends a turn sooner after one (``ENDS_WITH_EOS``), so each step's
    stop cut a speaker's turn in pieces. The mark comes back when a step decides it."""
    if stopped or not partial:
        return partial
    last = partial[-1]
    bare = last.text.rstrip(HELD_MARKS)
    if bare == last.text:
        return partial
    if not bare.strip():  # a mark alone
        return partial[:-1]
    return [*partial[:-1], Word(bare, last.start, last.end, last.probability)]


def _number_stop(word: Word) -> bool:
    """Whether a final is a number with a full stop: the stop waits for the word after it,
    pause or not (``StreamingRecognizer._settle``)."""
    return numeric(word) and word.text.rstrip().endswith(".")


def in_order(words: list[Word], boundary: float) -> list[Word]:
    """Words moved to start no earlier than ``boundary`` and than the word before them, each
    lasting at least ``MIN_WORD_S``: finals never overlap and no word has zero length."""
    out = []
    for word in words:
        start = max(word.start, boundary)
        end = max(word.end, start + MIN_WORD_S)
        out.append(
            word
            if (start, end) == (word.start, word.end)
            else Word(word.text, start, end, word.probability)
        )
        boundary = end
    return out


@dataclass
class Window:
    """What one step transcribes."""

    audio: np.ndarray
    start: float  # stream time of the first sample
    end: float  # stream time just after the last sample
    prompt: str
    flush: bool
    skip_s: float = 0.0  # seconds at the start to leave out (the context, when it misleads)
    decoding: Decoding = field(default_factory=Decoding)  # language and hints (additional_vocab)


@dataclass
class Update:
    """What one step decided: words to send as final, the partial, an end of utterance."""

    finals: list[Word] = field(default_factory=list)
    partial: list[Word] = field(default_factory=list)
    end_of_utterance: float | None = None
    silent_to: float | None = None  # nothing but silence after the finals, up to this time


@dataclass
class StreamingRecognizer:
    """Real-time decoding state of one session.

    Args:
        max_delay: Seconds after a word's end by which it must be final.
        eou_trigger: Seconds of silence after speech that make an EndOfUtterance; 0 for none.
        step_cost: Expected seconds from one step's audio end to the next step's result.
    """

    max_delay: float = 4.0
    eou_trigger: float = 0.0
    step_cost: float = 0.8
    decoding: Decoding = field(default_factory=Decoding)
    _audio: HeldAudio = field(default_factory=HeldAudio)  # from the context before the finals
    _total: int = 0  # samples received in the whole stream
    _previous: list[Word] = field(default_factory=list)
    _finals: list[Word] = field(default_factory=list)
    _final_end: float = 0.0
    _eou_pending: bool = False
    _stuck: int = 0  # steps in a row that finalised nothing though speech was waiting
    _held: Word | None = None  # the last final word, said without its trailing mark…
    _mark: str = ""  # …which the next step decides (``_settle``)
    _held_steps: int = 0  # steps the mark has waited for a word after it
    _last_said: str = ""  # the last word sent, with a mark sent after it (``_sentence_start``)
    _next_as: str = ""  # the word after a decided mark, as the deciding step wrote it

    @property
    def silence_s(self) -> float:
        """Silence after speech that makes every word before it final."""
        return SHORT_SILENCE_S if self.max_delay < 1.0 else SILENCE_FINAL_S

    @property
    def audio_end(self) -> float:
        """Stream time up to which audio has been received."""
        return self._total / RATE

    @property
    def holding(self) -> bool:
        """Whether the last final word's trailing mark waits for the next step."""
        return self._held is not None

    @property
    def final_end(self) -> float:
        """Stream time at which the last final word ends."""
        return self._final_end

    @property
    def held_seconds(self) -> float:
        """Seconds of audio not yet behind a final word."""
        return self._audio.samples / RATE

    def add_audio(self, samples: np.ndarray) -> None:
        """Append 16 kHz float32 samples."""
        self._audio.add(samples)
        self._total += len(samples)

    def audio_after(self, time: float) -> np.ndarray:
        """The held audio from stream time ``time`` (not before what is held) to its end."""
        return self._audio.between(max(time, self._audio.offset), self._audio.end)

    def plan(self, flush: bool = False) -> Window:
        """The window to transcribe next: held audio, at most ``MAX_WINDOW_S`` of it."""
        audio = self._audio.whole()
        limit = int(MAX_WINDOW_S * RATE)
        window = audio[:limit]
        whole = len(window) == len(audio)
        stuck = self._stuck >= STUCK_STEPS
        return Window(
            audio=window,
            start=self._audio.offset,
            end=self._audio.offset + len(window) / RATE,
            prompt="" if stuck else self._prompt(self._audio.offset),
            flush=flush and whole,
            skip_s=max(0.0, self._final_end - self._audio.offset) if stuck else 0.0,
            decoding=self.decoding,
        )

    def apply(self, window: Window, words: list[Word], speech: list[tuple[float, float]]) -> Update:
        """Take a window's hypothesis and decide what becomes final.

        Args:
            window: The window from ``plan``.
            words: The hypothesis, times relative to the window's start.
            speech: Speech regions that voice activity detection found, relative likewise.
        """
        heard = [w.shifted(window.start) for w in words]
        settled = self._settle(heard, window, speech)
        hypothesis = self._guarded(window, heard, speech)
        lost = self._lost_context(window, heard)
        count = 0 if lost else self._final_count(window, hypothesis, speech)
        # A token without a leading space continues the word before it ("3" ".30pm"): the
        # two are final together or not at all, so a final never ends mid-word.
        while 0 < count < len(hypothesis) and not hypothesis[count].text[:1].isspace():
            count -= 1
        finals, partial = hypothesis[:count], hypothesis[count:]
        stopped = self._speech_stopped(window, speech)
        ended = window.flush or (bool(finals) and not partial and stopped)
        finals = self._hold(finals, ended and self._paused(window, speech, finals), window.flush)
        update = Update(
            finals=self._sentence_start([*settled, *finals]),
            partial=_open_ended(partial, ended or stopped),
        )
        self._stuck = 0 if finals else self._stuck + int(lost or self._waiting(window, speech))
        if finals:
            self._commit(finals, window, partial)
        elif not hypothesis and not speech and window.end - window.start > 2 * SILENCE_FINAL_S:
            self._audio.drop_until(window.end - SILENCE_FINAL_S)  # silence: keep the window small
        self._previous = partial
        update.end_of_utterance = self._end_of_utterance(window, speech, partial)
        if not hypothesis and _speech_end(window, speech) <= self._final_end + 0.3:
            quiet = window.end - SILENCE_FINAL_S
            update.silent_to = quiet if quiet > self._final_end + SILENCE_FINAL_S else None
        return update

    def _sentence_start(self, finals: list[Word]) -> list[Word]:
        """The finals, the word after a held mark cased as the step that decided the mark
        wrote it, and the first word after a full stop that stood capitalised. A later step
        may write that word otherwise: the deciding step heard "2025 at", so the stop went, and
        the next wrote "2025. At 3.30pm" ("2025 At 3.30pm"); the step that let a stop stand
        heard "everyone. Let's", and the next wrote "everyone, let's begin" (meeting.wav:
        "everyone. let's begin")."""
        out = []
        for word in finals:
            text = word.text.lstrip()
            first = text[:1]
            if text and word.text[:1].isspace() and self._next_as:
                decided, self._next_as = self._next_as, ""
                first = decided[:1] if normal(decided) == normal(text) else first
            if ends_sentence(self._last_said):
                first = first.upper()
            if first != text[:1]:
                cased = word.text[: len(word.text) - len(text)] + first + text[1:]
                word = Word(cased, word.start, word.end, word.probability)
            if text:  # a word without a leading space (a mark sent alone) joins the one before
                joined = self._last_said + text if not word.text[:1].isspace() else text
                self._last_said = joined.strip()[-40:]
            out.append(word)
        return out

    def _lost_context(self, window: Window, heard: list[Word]) -> bool:
        """Whether Whisper wrote none of the final words of the context audio's last seconds.
        It then did not hear the window as it is: base wrote "of the" for "API demo. This
        example shows", twice, so the two agreed and the words said after them were lost. Such a
        hypothesis stays partial until a step hears the context again; each such step counts
        towards the stall rule, which then leaves the context and the prompt out (``skip_s``)."""
        if window.flush or window.skip_s > 0:
            return False
        since = max(window.start + 0.1, self._final_end - RECENT_CONTEXT_S)
        inside = {normal(w.text) for w in self._finals if w.start >= since}
        inside.discard("")
        if len(inside) < CONTEXT_WORDS:
            return False
        return inside.isdisjoint(normal(w.text) for w in heard)

    def _speech_stopped(self, window: Window, speech: list[tuple[float, float]]) -> bool:
        """Whether the window ends in silence long enough to end an utterance."""
        return window.end - _speech_end(window, speech) >= self.silence_s

    def _paused(
        self, window: Window, speech: list[tuple[float, float]], finals: list[Word]
    ) -> bool:
        """Whether the silence after the last of ``finals`` is long enough for its mark to
        stand with nothing said after it (``SENTENCE_PAUSE_S``, or the end of utterance's
        trigger where that is shorter)."""
        if not finals:
            return True
        pause = min(SENTENCE_PAUSE_S, self.eou_trigger or SENTENCE_PAUSE_S)
        return window.end - max(_speech_end(window, speech), finals[-1].end) >= pause

    def _hold(self, finals: list[Word], ended: bool, flush: bool) -> list[Word]:
        """The finals, the last one's trailing mark held back for the next step to decide:
        Whisper ends every window's text with a full stop, and a deadline makes it final
        ("cardiac. function."). Where the speech has ended and a pause followed
        (``_paused``), the mark stands, except a number's full stop, which waits for the word
        after it; at the stream's end (``flush``) every mark stands."""
        if not finals or flush or (ended and not _number_stop(finals[-1])):
            return finals
        last = finals[-1]
        bare = last.text.rstrip(HELD_MARKS)
        if bare == last.text or not any(c.isalnum() for c in bare):
            return finals
        self._held = Word(bare, last.start, last.end, last.probability)
        self._mark = last.text[len(bare) :]
        return [*finals[:-1], self._held]

    def _settle(
        self, heard: list[Word], window: Window, speech: list[tuple[float, float]]
    ) -> list[Word]:
        """The held mark, decided by this step's hypothesis, which hears the held word again
        in its context audio with what follows it: the mark stands where Whisper writes it
        after that word now (or where nothing follows: the speech stopped, or the stream
        ended); otherwise it goes. Where speech goes on after the held word but Whisper has
        written nothing after it yet, the mark waits for the next step (``HELD_STEPS`` at
        most): "approximately 500." stood though "for the project" followed. Returns the mark
        as a word to send, or nothing."""
        held, mark = self._held, self._mark
        if held is None:
            return []
        again = next((w for w in heard if _same_word(w, held)), None)
        end = held.end if again is None else again.end  # the word's end as heard now
        after = [w for w in heard if w.start >= end - 0.05 and w is not again]
        goes_on = _speech_end(window, speech) > held.end + HELD_PAUSE_S
        number = numeric(held) and mark.startswith(".")
        if not after and not window.flush:
            if number or (goes_on and self._held_steps < HELD_STEPS):
                self._held_steps += 1
                return []
            if not goes_on and not self._paused(window, speech, [held]):
                return []  # a short pause: the sentence may go on
        self._held_steps = 0
        paused = bool(after) and after[0].start - end >= HELD_PAUSE_S
        if number and after:
            # Whisper puts a stop where a number's speaker pauses ("1-235. 4-5") and where a
            # window ends inside one ("January 15th. 2025"): only the word after it decides.
            first = after[0].text.strip()[:1]
            mark = "" if between_numbers(held, after[0]) or first.islower() else mark
        elif again is not None and after:
            said = again.text[len(again.text.rstrip(HELD_MARKS)) :]
            if said and said[0] not in SENTENCE_ENDS:
                mark = said  # heard with what follows it: "Hello?" was "Hello, this is"
            elif not said and not paused:
                mark = ""  # where a mark stands (or a pause follows), as first written
        elif after and not paused:
            mark = mark if after[0].text.strip()[:1].isupper() else ""
        if after and ends_no_sentence(Word(held.text + mark, held.start, held.end), after[0]):
            mark = ""  # "Great. my account": a stop before a lower-case word, pause or not
        self._held, self._mark = None, ""
        self._next_as = after[0].text.strip() if after else ""
        if not mark:
            return []
        stood = Word(held.text + mark, held.start, held.end, held.probability)
        self._finals = [stood if w is held else w for w in self._finals]
        return [Word(mark, held.end, held.end + MIN_WORD_S, held.probability)]

    def _final_count(
        self, window: Window, hypothesis: list[Word], speech: list[tuple[float, float]]
    ) -> int:
        """How many leading words of the hypothesis are final."""
        if window.flush:
            return len(hypothesis)
        speech_end = _speech_end(window, speech)
        if window.end - speech_end >= self.silence_s:
            # A word that began before the speech stopped was said, however far Whisper
            # stretches its end into the silence: "that." ended 0.32 s after the speech, and
            # waited as a partial through 5.5 s of silence for the next speech.
            return sum(1 for w in hypothesis if w.end <= speech_end + 0.3 or w.start < speech_end)
        deadline = min(window.end + self.step_cost - self.max_delay, window.end - EDGE_GUARD_S)
        count = 0
        for index, word in enumerate(hypothesis):
            previous = self._previous[index].text if index < len(self._previous) else None
            agreed = previous is not None and normal(previous) == normal(word.text)
            # A word is only forced out when another follows it: the last word of a window
            # is often the first half of a longer one.
            followed = index + 1 < len(hypothesis)
            # A number is forced out only once words follow it: then it was heard whole.
            # Nor does one that ends the hypothesis go final by agreement: two steps both
            # heard "2020." while "five" was still to come ("January 15th, 2020 2025").
            number = numeric(word)
            whole = not number or _heard_whole(hypothesis, index)
            if (
                agreed and (followed or not number) and word.end <= window.end - AGREED_GUARD_S
            ) or (followed and word.end <= deadline and whole):
                count += 1
            else:
                break
        return count

    def _waiting(self, window: Window, speech: list[tuple[float, float]]) -> bool:
        """Speech after the last final word has waited longer than ``max_delay`` allows."""
        after = self._final_end - window.start
        heard = sum(max(0.0, end - max(start, after)) for start, end in speech)
        return heard >= STUCK_SPEECH_S and window.end - self._final_end > self.max_delay + 1.0

    def _prompt(self, before: float) -> str:
        """Final text that has left the window, as Whisper's prompt for continuity; none when
        it loops (a looping prompt makes Whisper loop on)."""
        text = "".join(w.text for w in self._finals if w.end <= before + 0.05)
        prompt = text.strip()[-PROMPT_CHARS:]
        return "" if repetitive(prompt) else prompt

    def _guarded(
        self, window: Window, hypothesis: list[Word], speech: list[tuple[float, float]]
    ) -> list[Word]:
        """The hypothesis without what is not speech: phrases with no audio under them, repeats
        of the finals, loops, and words in the silence after the window's last speech."""
        fresh = collapse_loops(
            self._dedupe(unheard(hypothesis)), [normal(w.text) for w in self._finals[-LOOP_TAIL:]]
        )
        kept = drop_copies(fresh, self._finals[-RECENT_WORDS:])
        if len(kept) < len(fresh):
            log.debug("a copy of the finals dropped: %.80r", "".join(w.text for w in fresh))
        fresh = kept
        if speech:  # (no speech found at all is left to the silence rule)
            last_speech = window.start + speech[-1][1]
            fresh = [w for w in fresh if w.start < last_speech + NOT_SPEECH_S]
        return stray_stops(standalone(fresh))

    def _dedupe(self, hypothesis: list[Word]) -> list[Word]:
        """Drop the words that the context audio repeats of what is already final."""
        boundary = self._final_end
        fresh = [w for w in hypothesis if (w.start + w.end) / 2 > boundary - 0.05]
        tail = [normal(w.text) for w in self._finals[-3:]]
        for size in range(min(3, len(tail), len(fresh)), 0, -1):
            head = fresh[:size]
            if [normal(w.text) for w in head] == tail[-size:] and head[0].start < boundary + 0.5:
                fresh = fresh[size:]
                break
        # Whisper can hear the last final word in the context audio and then a similar-sounding
        # fresh word as that word again ("and" for "I'd"): the same word twice at the cut is
        # the repetition, never the speech.
        # Likewise a fragment final ("speech") followed by its whole word ("Speechmatics")
        # starting inside it: a final is never revised, so the whole word is not said after it.
        # The fragment may be the last final but one: "Speech Maddox." went final, and the
        # next step heard that audio as "speechmatics.", which ran on after it.
        while (
            fresh
            and tail
            and (
                (normal(fresh[0].text) == tail[-1] and fresh[0].start < boundary + 0.5)
                or (
                    any(
                        len(part) >= 4 and normal(fresh[0].text).startswith(part)
                        for part in tail[-2:]
                    )
                    and fresh[0].start < boundary - 0.05
                )
            )
        ):
            fresh = fresh[1:]
        return in_order(fresh, boundary)

    def _commit(self, finals: list[Word], window: Window, partial: list[Word]) -> None:
        # Only the latest words are ever read (prompt, repeat check): the list stays bounded
        # however long the session, and so does the work per step.
        self._finals = [*self._finals, *finals][-KEPT_FINALS:]
        self._final_end = max(finals[-1].end, self._final_end)
        self._eou_pending = True
        self._audio.drop_until(min(self._final_end - CONTEXT_S, window.end))

    def _end_of_utterance(
        self, window: Window, speech: list[tuple[float, float]], partial: list[Word]
    ) -> float | None:
        if self.eou_trigger <= 0 or not self._eou_pending or partial:
            return None
        if window.end - max(_speech_end(window, speech), self._final_end) >= self.eou_trigger:
            self._eou_pending = False
            return self._final_end
        return None

    def force_end_of_utterance(self) -> None:
        """Mark the utterance ended (ForceEndOfUtterance): nothing more is pending."""
        self._eou_pending = False
