"""One audio channel of a real-time session: its decoder, its recognition pump, its writer.

A plain session has one channel (label ``None``: audio comes as binary AddAudio frames). A
multichannel session (``diarization: "channel"`` with ``channel_diarization_labels``) has one
per label, fed by AddChannelAudio and ended by EndOfChannel; each is recognised on its own and
its results carry its label.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from tui.engine.protocol.config import labels_channels
from tui.engine.realtime.online_speakers import OnlineSpeakers
from tui.engine.realtime.pump import RecognitionPump
from tui.engine.realtime.translate import Translator
from tui.engine.realtime.writer import TranscriptWriter
from tui.shared.audio import RawDecoder, StreamDecoder

MAX_CHANNELS = 8


@dataclass
class Channel:
    """A channel's state within its session."""

    label: str | None
    decoder: RawDecoder | StreamDecoder
    pump: RecognitionPump
    writer: TranscriptWriter
    seq_no: int = 0
    ended: bool = False  # EndOfChannel (or EndOfStream) came: no more audio is taken
    decoder_drained: bool = False  # a file's decoder reached its end
    translator: Translator | None = None  # when the session asked for English
    speakers: OnlineSpeakers | None = None  # when the session diarizes speakers


def channel_labels(config: dict[str, Any]) -> list[str] | None:
    """The labels of a multichannel session, or None for a plain one.

    Raises:
        ValueError: The labels repeat or are too many; the message says which.
    """
    if not labels_channels(config):
        return None
    labels = config.get("channel_diarization_labels")
    if not labels:
        return None
    if len(set(labels)) != len(labels):
        raise ValueError("channel_diarization_labels must not repeat a label")
    if len(labels) > MAX_CHANNELS:
        raise ValueError(f"The local engine takes at most {MAX_CHANNELS} channels")
    return [str(label) for label in labels]


def channel_audio(message: dict[str, Any]) -> tuple[str, bytes]:
    """The channel and audio bytes of an AddChannelAudio message.

    Raises:
        ValueError: The channel is not a string or the data is not base64.
    """
    channel, data = message.get("channel"), message.get("data")
    if not isinstance(channel, str) or not isinstance(data, str):
        raise ValueError("AddChannelAudio needs a channel and base64 data")
    try:
        return channel, base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("AddChannelAudio data must be base64") from None
