"""Events that cross widgets: past-tense, posted by workers and handled by the screen."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from tui.core.levels import Level


@dataclass
class EngineStatusChanged(Message):
    """The engine's status line changed (starting, ready, failed)."""

    text: str
    ready: bool = False
    failed: bool = False


@dataclass
class JobChanged(Message):
    """A batch job changed state."""

    job_id: int


@dataclass
class LevelMeasured(Message):
    """A captured block's level. Arrives at the capture rate, so queued ones merge."""

    level: Level

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

    severity: str
    text: str


@dataclass
class LiveEnded(Message):
    """A live session ended (after EndOfTranscript, or with an error)."""

    clean: bool
