"""The narrow interface controllers have to the app."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from textual.message import Message
from textual.timer import Timer
from textual.worker import Worker

from tui.core.errors import Severity


class Host(Protocol):
    """What a controller may ask of the app (``SmTuiApp`` provides it)."""

    def run_worker(
        self,
        work: Any,
        name: str | None = "",
        group: str = "default",
        description: str = "",
        exit_on_error: bool = True,
        start: bool = True,
        exclusive: bool = False,
        thread: bool = False,
    ) -> Worker[Any]:
        """Run one long activity as a worker."""

    def post_message(self, message: Message) -> bool:
        """Announce something that happened (safe from any thread)."""

    def tell(self, text: str, severity: Severity = "information") -> None:
        """Show the user a message."""

    def deliver(self, paths: Sequence[Path]) -> None:
        """Hand written files to the user (a browser downloads them; a terminal has them)."""

    def set_interval(
        self,
        interval: float,
        callback: Any = None,
        *,
        name: str | None = None,
        repeat: int = 0,
        pause: bool = False,
    ) -> Timer:
        """Call back on the UI thread at an interval."""
