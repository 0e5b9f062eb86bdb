"""Events that cross the app's parts: past tense, posted by controllers and workers, handled by the app.

Controllers post these to the app; the app hands what they carry down to the screen. Messages
that arrive at a high rate say which queued ones they replace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from textual.message import Message

from tui.core.batch import BatchJob, JobState
from tui.core.errors import Severity
from tui.core.levels import Level

EngineState = Literal["starting", "ready", "unreachable", "refused", "stopped", "failed"]
"""What the status line says of the engine: ``ready`` only once it answered with the key."""


@dataclass
class EngineStatusChanged(Message):
    """The engine's status changed: what to show, and its state."""

    text: str
    state: EngineState = "starting"


@dataclass
class JobChanged(Message):
    """A batch job was added or changed; ``state`` is its state when this was posted."""

    job: BatchJob
    state: JobState


@dataclass
class JobRemoved(Message):
    """A batch job was deleted."""

    job_id: int


@dataclass
class LiveStarted(Message):
    """A live session began, from the named source."""

    source: str


@dataclass
class LevelMeasured(Message):
    """A captured block's level, and how far the session has got. Queued ones merge."""

    level: Level
    audio_s: float
    words_per_minute: float
    behind_s: float = 0.0
    """How far the engine's answers trail the audio sent, in seconds of audio."""
    backlog_s: float = 0.0
    """Audio sent that no final word covers yet."""
    compute_ratio: float | None = None
    """The engine's compute over the session's audio, where the engine says (local only)."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, LevelMeasured)


@dataclass
class PartialReceived(Message):
    """The live partial changed; only the newest matters."""

    text: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PartialReceived)


@dataclass
class FinalReceived(Message):
    """Live text became final."""

    text: str


@dataclass
class LiveNoticed(Message):
    """An error, warning or notice from a live session."""

    severity: Severity
    text: str


@dataclass
class LiveEnded(Message):
    """A live session ended (after EndOfTranscript, or with an error)."""

    clean: bool


@dataclass
class MicrophonesListed(Message):
    """Input devices were found: (index, name, rate) each; the user picks one."""

    devices: list[tuple[int, str, int]]
