"""One batch job's transcription: its model, its language, each channel, piece by piece.

Audio is decoded as a stream and transcribed in blocks of minutes (``chunks``), so memory stays
at one block whatever the length. A block's segments are drawn one call at a time on the
inference scheduler's batch lane (a call is one 30 s window's work at most), so progress is
heard as the job goes, a cancelled job stops within a window, and real-time steps go in
between. Loops Whisper still makes are kept once (``guards.batch_loops``).

With ``language: "auto"`` the language is found first (on the first 30 s). With channel
diarization each channel is transcribed on its own and labelled. With a translation to English
the model's translate task runs on each block too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tui.engine.batch.chunks import Chunker
from tui.engine.protocol import config as cfg
from tui.engine.protocol.entities import with_entities
from tui.engine.protocol.results import channel_labels, interleaved, joined, to_results
from tui.engine.recognition.asr import Decoding, SpeechModel, Word
from tui.engine.recognition.guards import batch_loops
from tui.engine.recognition.models import ModelSet
from tui.engine.recognition.scheduler import BATCH, InferenceScheduler
from tui.engine.recognition.speakers import (
    HOP_S,
    MAX_WINDOWS,
    SpeakerEncoder,
    SpeakerSettings,
    Stretch,
    diarize,
    identifier,
    stretches,
)
from tui.engine.recognition.vocab import Vocabulary
from tui.engine.recognition.vocab import heard as inside
from tui.shared.audio import RATE, AudioDecodeError, iter_decoded, probe

DETECT_S = 30.0  # audio the language is found on


class AudioTooLong(ValueError):
    """The audio runs past the engine's limit."""


@dataclass
class Transcribed:
    """What a job's transcription gives."""

    results: list[dict[str, Any]]
    language: str  # the language used (found, for auto), as Speechmatics writes it
    model: str
    translations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    speakers: list[dict[str, Any]] = field(default_factory=list)  # label and identifiers


@dataclass
class Heard:
    """One stream's words, their English (when translating) and its voices (diarization)."""

    label: str | None  # the channel's, or None for the mix
    words: list[Word] = field(default_factory=list)
    english: list[Word] = field(default_factory=list)
    voices: list[Stretch] = field(default_factory=list)


@dataclass
class BatchTranscriber:
    """Transcribes batch jobs on the engine's models and scheduler."""

    scheduler: InferenceScheduler
    models: ModelSet
    max_audio_s: float = float("inf")
    default_point: str = "enhanced"  # for a job that names no operating point

    async def run(
        self,
        path: Path,
        job: dict[str, Any],
        duration: float,
        progress: Callable[[float], None],
        chosen: Callable[[str], None] | None = None,
    ) -> Transcribed:
        """Transcribe the file at ``path`` as the ``job`` config asks; ``progress`` hears the
        audio seconds done (over all channels, scaled to the file's length), ``chosen`` the
        model's name once it is loaded.

        Raises:
            AudioDecodeError: The file holds no audio, or not the channels asked for.
            AudioTooLong: The audio runs past the engine's limit.
        """
        config: dict[str, Any] = job.get("transcription_config") or {}
        model = await self.models.get(self.models.point_for(config, self.default_point))
        if chosen is not None:
            chosen(model.name)
        language = str(config.get("language", "en"))
        if language == "auto":
            language = cfg.from_whisper(await self._detect(model, path))
        vocab = Vocabulary.from_config(config)
        decoding = Decoding(
            language=cfg.to_whisper(language), hotwords=vocab.hotwords if vocab else None
        )
        labels: list[str | None] = [None]
        if cfg.labels_channels(config):
            info = await asyncio.to_thread(probe, path)
            labels = [*channel_labels(config, info.channels)]
        translate = "en" in translation_targets(job) and language != "en"
        speaking = cfg.labels_speakers(config)
        encoder = await self.models.encoder() if speaking else None
        hop = max(HOP_S, duration / MAX_WINDOWS)
        streams: list[Heard] = []
        for index, label in enumerate(labels):

            def seen(done_s: float, index: int = index) -> None:
                progress((index * duration + done_s) / len(labels))

            heard = Heard(label)
            channel = None if label is None else index
            await self._stream(
                model, path, channel, decoding, vocab, translate, encoder, hop, heard, seen
            )
            streams.append(heard)
        settings = SpeakerSettings.from_config(config)
        entities = bool(config.get("enable_entities"))
        results, voices = _results(streams, language, settings if speaking else None, entities)
        done = Transcribed(results, language, model.name)
        if translate:
            done.translations["en"] = sorted(
                (
                    item
                    for heard in streams
                    for item in _sentences(joined(heard.english), heard.label, "UU")
                ),
                key=lambda item: float(item["start_time"]),
            )
        if speaking and (config.get("speaker_diarization_config") or {}).get("get_speakers"):
            done.speakers = [
                {"label": name, "speaker_identifiers": [identifier(centroid)]}
                for name, centroid in voices.items()
            ]
        return done

    async def _detect(self, model: SpeechModel, path: Path) -> str:
        audio = await asyncio.to_thread(_first_seconds, path, DETECT_S)
        return await self.scheduler.run(BATCH, model.detect_language, audio)

    async def _decode(
        self,
        model: SpeechModel,
        audio: np.ndarray,
        decoding: Decoding,
        progress: Callable[[float], None],
    ) -> list[Word]:
        """A block's words, drawn a segment a call (``progress`` hears where each ends), with
        Whisper's loops kept once."""
        segments = await self.scheduler.run(BATCH, model.transcribe_batch, audio, decoding)
        found: list[Word] = []
        while (segment := await self.scheduler.run(BATCH, next, segments, None)) is not None:
            found.extend(segment)
            if segment:
                progress(segment[-1].end)
        return batch_loops(found)

    async def _stream(
        self,
        model: SpeechModel,
        path: Path,
        channel: int | None,
        decoding: Decoding,
        vocab: Vocabulary | None,
        translate: bool,
        encoder: SpeakerEncoder | None,
        hop: float,
        heard: Heard,
        progress: Callable[[float], None],
    ) -> None:
        """One stream's words (and their English, and its voices), piece by piece."""
        chunker = Chunker(iter_decoded(path, channel=channel))
        words, english = heard.words, heard.english
        to_english = Decoding(language=decoding.language, task="translate")
        heard_any = False
        while (piece := await asyncio.to_thread(chunker.next)) is not None:
            start, audio = piece
            heard_any = True
            if start + len(audio) / RATE > self.max_audio_s + 1.0:
                raise AudioTooLong(
                    f"The audio runs past the engine's limit of {self.max_audio_s / 3600:g} h"
                )

            def decoded(seconds: float, start: float = start) -> None:
                progress(start + seconds)

            found = await self._decode(model, audio, decoding, decoded)
            speech = None
            if vocab is not None or encoder is not None:
                speech = await self.scheduler.run(BATCH, model.speech_regions, audio)
            if vocab is not None and speech is not None:  # hints make Whisper say them in the
                found = vocab.correct(inside(found, speech))  # silence after speech: only speech
            if encoder is not None and speech is not None:
                voices = await self.scheduler.run(BATCH, stretches, encoder, audio, speech, hop)
                heard.voices.extend(
                    Stretch(v.start + start, v.end + start, v.vector) for v in voices
                )
            words.extend(w.shifted(start) for w in found)
            if translate:
                said = await self._decode(model, audio, to_english, _unheard)
                english.extend(w.shifted(start) for w in said)
            progress(start + len(audio) / RATE)
        if not heard_any:
            raise AudioDecodeError("the file holds no audio samples")


def _unheard(seconds: float) -> None:
    """Progress nobody hears (the translation follows the transcript's own)."""


def translation_targets(config: dict[str, Any]) -> list[str]:
    """The languages a job's translation_config asks for (the job's whole config)."""
    translation = config.get("translation_config") or {}
    return [str(t) for t in translation.get("target_languages") or []]


def _first_seconds(path: Path, seconds: float) -> np.ndarray:
    parts, held = [], 0
    for block in iter_decoded(path):
        parts.append(block)
        held += len(block)
        if held >= seconds * RATE:
            break
    return np.concatenate(parts)[: int(seconds * RATE)] if parts else np.zeros(0, np.float32)


def _results(
    streams: list[Heard], language: str, speaking: SpeakerSettings | None, entities: bool
) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """The json-v2 results (channels interleaved), with each word's speaker when diarizing and
    each stream's entities when asked for; and each voice's centroid."""
    per_stream = []
    voices: dict[str, np.ndarray] = {}
    for heard in streams:
        words = joined(heard.words)
        speakers = None
        if speaking is not None:
            spans = [(w.start, w.end) for w in words]
            speakers, centroids = diarize(spans, heard.voices, speaking)
            for name, centroid in centroids.items():
                voices.setdefault(name, centroid)
        results = to_results(words, speaker="UU", language=language, speakers=speakers)
        per_stream.append((heard.label, with_entities(results, language) if entities else results))
    if per_stream and per_stream[0][0] is None:  # one stream: the mix of the file's channels
        return per_stream[0][1], voices
    return interleaved((str(label), results) for label, results in per_stream), voices


def _sentences(words: list[Word], channel: str | None, speaker: str) -> list[dict[str, Any]]:
    """Translated words as Speechmatics gives translations: a sentence an item."""
    out: list[dict[str, Any]] = []
    sentence: list[Word] = []
    for index, word in enumerate(words):
        sentence.append(word)
        if word.text.rstrip().endswith((".", "?", "!")) or index == len(words) - 1:
            item: dict[str, Any] = {
                "content": "".join(w.text for w in sentence).strip(),
                "start_time": round(sentence[0].start, 3),
                "end_time": round(max(sentence[-1].end, sentence[0].start + 0.01), 3),
                "speaker": speaker,
            }
            if channel is not None:
                item["channel"] = channel
            out.append(item)
            sentence = []
    return out
