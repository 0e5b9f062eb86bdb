"""The line that says which engine is in use and whether it is ready."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

SAID = {
    "unreachable": "unreachable (retrying…)",
    "refused": "key refused",
    "stopped": "engine stopped",
}


class StatusBar(Static):
    """Engine, readiness, and the latest notice."""

    engine: reactive[str] = reactive("engine: starting…")
    """Which engine is in use, with the key masked."""
    state: reactive[str] = reactive("starting")
    """starting, ready, unreachable, refused, stopped or failed."""
    notice: reactive[str] = reactive("")
    """The latest message for the user."""

    def render(self) -> Text:
        style = {"ready": "bold green", "starting": "bold yellow"}.get(self.state, "bold red")
        words = SAID.get(self.state, self.state)
        text = Text.assemble((f"● {words} ", style), (self.engine, ""))
        if self.notice:
            text.append(f"  │ {self.notice}", style="italic")
        return text
