"""Bridges a live session's callbacks to messages for the screen."""

from __future__ import annotations

from textual.message_pump import MessagePump

from tui.core.levels import Level
from tui.messages import FinalReceived, LevelMeasured, LiveNoticed, PartialReceived


class ScreenListener:
    """Posts a live session's events to a widget (the session runs on the app's loop)."""

    def __init__(self, target: MessagePump) -> None:
        self.target = target

    def partial(self, text: str) -> None:
        self.target.post_message(PartialReceived(text))

    def final(self, text: str) -> None:
        self.target.post_message(FinalReceived(text))

    def level(self, level: Level) -> None:
        self.target.post_message(LevelMeasured(level))

    def notice(self, severity: str, text: str) -> None:
        self.target.post_message(LiveNoticed(severity, text))
