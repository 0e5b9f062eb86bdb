"""The diarization pieces on constructed inputs: features, clustering, labels, online voices."""

from __future__ import annotations

import asyncio

import numpy as np

from tui.engine.realtime.online_speakers import OnlineSpeakers
from tui.engine.recognition.asr import Word
from tui.engine.recognition.speakers import (
    SpeakerSettings,
    Stretch,
    diarize,
    from_identifier,
    identifier,
    mel_filterbank,
    word_speakers,
)


def test_the_mel_filterbank_is_librosas() -> None:
    """The encoder was trained on librosa's features: the filters must be the same."""
    import librosa

    ours = mel_filterbank(16000, 512, 40)
    theirs = librosa.filters.mel(sr=16000, n_fft=512, n_mels=40)
    assert ours.shape == theirs.shape == (40, 257)
    assert np.allclose(ours, theirs, atol=1e-6)


def unit(*values: float) -> np.ndarray:
    vector = np.zeros(256, dtype=np.float32)
    vector[: len(values)] = values
    return vector / np.linalg.norm(vector)


A, B, C = unit(1, 0.1), unit(0.1, 1), unit(0, 0, 1)


def test_identifiers_round_trip_and_refuse_garbage() -> None:
    back = from_identifier(identifier(A))
    assert back is not None and float(back @ A) > 0.999
    assert from_identifier("not base64!") is None
    assert from_identifier(identifier(A)[:20]) is None  # not 256 values


def test_clusters_become_speakers_in_order_and_known_voices_keep_their_names() -> None:
    found = [Stretch(i, i + 1, v) for i, v in enumerate([A, A, B, B, A])]
    words = [(i + 0.3, i + 0.6) for i in range(5)]
    speakers, centroids = diarize(words, found, SpeakerSettings())
    assert speakers == ["S1", "S1", "S2", "S2", "S1"] and set(centroids) == {"S1", "S2"}
    named = SpeakerSettings(known=[("Customer", B)])
    speakers, _ = diarize(words, found, named)
    assert speakers == ["S1", "S1", "Customer", "Customer", "S1"]
    capped, _ = diarize(
        [*words, (8.2, 8.6), (9.2, 9.6)],
        [*found, Stretch(8, 9, C), Stretch(9, 10, C)],
        SpeakerSettings(max_speakers=2),
    )
    assert len(set(capped)) == 2


def test_a_word_or_two_between_one_speakers_words_is_that_speaker() -> None:
    found = [Stretch(i, i + 1, v) for i, v in enumerate([A, A, B, A, A, B, B, A])]
    words = [(i + 0.3, i + 0.6) for i in range(8)]
    labels = ["S1", "S1", "S2", "S1", "S1", "S2", "S2", "S1"]
    assert word_speakers(words, found, labels, prefer_current=False) == [
        "S1",
        "S1",
        "S1",
        "S1",
        "S1",
        "S2",
        "S2",
        "S1",
    ]
    assert word_speakers(words, found, labels, prefer_current=True) == ["S1"] * 8


def test_online_voices_come_and_return() -> None:
    said = iter([A, B, A, C])

    async def embed(audio: np.ndarray) -> np.ndarray:
        return next(said)

    online = OnlineSpeakers(embed, SpeakerSettings(max_speakers=2))
    audio = np.zeros(16000 * 20, dtype=np.float32)

    def label(start: float) -> list[str]:
        words = [Word(" a", start, start + 0.4), Word(" b", start + 0.5, start + 0.9)]
        return asyncio.run(online.label(words, audio, 0.0))

    assert label(1.0) == ["S1", "S1"]
    assert label(4.0) == ["S2", "S2"]
    assert label(7.0) == ["S1", "S1"]
    assert label(10.0) in (["S1", "S1"], ["S2", "S2"])  # a third voice, but max_speakers is 2
    assert {s["label"] for s in online.speakers()} == {"S1", "S2"}
