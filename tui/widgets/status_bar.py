"""The lines that say which engine is in use, whether it is ready, and the latest notice."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

SAID = {
    "unreachable": "unreachable (retrying…)",
    "refused": "key refused",
    "stopped": "engine stopped",
}
NOTICE_STYLES = {"error": "bold red", "warning": "yellow", "information": "italic"}
NOTICE_LINES = 2  # a longer notice ends with a pointer to the messages screen
MORE = "… (n: the whole message)"


class StatusBar(Static):
    """Engine and readiness on one line; the latest notice below it, on up to two lines."""

    engine: reactive[str] = reactive("engine: starting…")
    """Which engine is in use, with the key masked."""
    state: reactive[str] = reactive("starting")
    """starting, ready, unreachable, refused, stopped or failed."""
    notice: reactive[str] = reactive("", layout=True)
    """The latest message for the user."""
    severity: reactive[str] = reactive("information")
    """The notice's severity: information, warning or error."""

    def render(self) -> Text:
        style = {"ready": "bold green", "starting": "bold yellow"}.get(self.state, "bold red")
        width = max(20, self.content_size.width)
        head = f"● {SAID.get(self.state, self.state)} "
        engine = self.engine  # one line; the whole text is in the messages (n)
        if len(head) + len(engine) > width:
            engine = engine[: max(0, width - len(head) - 1)] + "…"
        text = Text.assemble((head, style), (engine, ""))
        if self.notice:
            notice = self.notice
            if len(notice) > width * NOTICE_LINES:
                notice = notice[: width * NOTICE_LINES - len(MORE) - 2].rstrip() + MORE
            text.append("\n")
            text.append(notice, style=NOTICE_STYLES.get(self.severity, ""))
        return text
