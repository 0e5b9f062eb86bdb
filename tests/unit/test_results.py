"""Whisper words to Speechmatics results, and the txt / srt / vtt renderings."""

from __future__ import annotations

from tui.engine.protocol.results import to_results
from tui.engine.recognition.asr import Word
from tui.shared.transcripts import render, render_srt, render_txt, render_vtt


def sample() -> list[dict[str, object]]:
    return to_results(
        [Word(" Hello", 0.5, 0.9, 0.9), Word(" world.", 1.0, 1.6, 0.8), Word(" Bye!", 2.0, 2.4)],
        speaker="UU",
    )


def test_punctuation_is_split_and_attached() -> None:
    results = sample()
    assert [r["type"] for r in results] == ["word", "word", "punctuation", "word", "punctuation"]
    stop = results[2]
    assert stop["attaches_to"] == "previous" and stop["is_eos"] is True
    assert stop["start_time"] == stop["end_time"] == 1.6
    assert all(r["alternatives"][0]["language"] == "en" for r in results)  # type: ignore[index]
    assert render(results) == "Hello world. Bye!"


def test_txt_speaker_turns() -> None:
    results = to_results([Word(" Hi.", 0, 1)], speaker="S1") + to_results(
        [Word(" Yes.", 1, 2)], speaker="S2"
    )
    assert render_txt(results) == "SPEAKER: S1\nHi.\nSPEAKER: S2\nYes.\n"
    assert render_txt(sample()) == "Hello world. Bye!\n"


def test_srt_cues_break_at_sentences_and_lines() -> None:
    srt = render_srt(sample())
    assert (
        srt
        == "1\n00:00:00,500 --> 00:00:01,600\nHello world.\n\n2\n00:00:02,000 --> 00:00:02,400\nBye!\n\n"
    )
    words = to_results([Word(f" word{i}", i, i + 0.5) for i in range(20)])
    cues = render_srt(words, max_line_length=20, max_lines=2).strip().split("\n\n")
    assert all(len(line) <= 20 for cue in cues for line in cue.splitlines()[2:])
    assert all(len(cue.splitlines()) <= 4 for cue in cues)


def test_vtt() -> None:
    vtt = render_vtt(sample())
    assert vtt.startswith("WEBVTT\n\n00:00:00.500 --> 00:00:01.600\nHello world.\n")


def test_tokens_without_a_space_join_the_word_before() -> None:
    tokens = [
        Word(" at", 0.0, 0.2),
        Word(" 3", 0.3, 0.4),
        Word(".30pm.", 0.4, 0.9),
        Word(" call", 1.0, 1.2),
        Word(" 1", 1.3, 1.4),
        Word("-2", 1.4, 1.5),
        Word("-3", 1.5, 1.6),
    ]
    results = to_results(tokens)
    words = [r["alternatives"][0]["content"] for r in results if r["type"] == "word"]  # type: ignore[index]
    assert words == ["at", "3.30pm", "call", "1-2-3"]
    joined_word = next(r for r in results if r["alternatives"][0]["content"] == "3.30pm")  # type: ignore[index]
    assert (joined_word["start_time"], joined_word["end_time"]) == (0.3, 0.9)
    assert render(results) == "at 3.30pm. call 1-2-3"
    assert render_srt(results).splitlines()[2] == "at 3.30pm."


def test_no_word_lasts_zero_seconds() -> None:
    results = to_results([Word(" a", 1.0, 1.0), Word(" b", 2.0, 1.5), Word(" c", 3.0, 3.4)])
    assert all(r["end_time"] > r["start_time"] for r in results if r["type"] == "word")


def test_mandarin_words_are_written_in_simplified_characters() -> None:
    from tui.engine.protocol.results import to_results
    from tui.engine.recognition.asr import Word

    words = [Word(" 圖書館", 0.0, 0.5), Word(" 發展。", 0.5, 1.0)]
    contents = [r["alternatives"][0]["content"] for r in to_results(words, language="cmn")]
    assert contents == ["图书馆", "发展。"]
    cantonese = to_results([Word(" 图书馆", 0.0, 0.5)], language="yue")
    assert cantonese[0]["alternatives"][0]["content"] == "圖書館"  # Traditional, as HK writes
    assert (
        to_results([Word(" 圖書館", 0.0, 0.5)], language="ja")[0]["alternatives"][0]["content"]
        == "圖書館"
    )  # other languages as Whisper wrote them
