"""Every message the dashboard showed this run, newest last (``n``)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tui.widgets.status_bar import NOTICE_STYLES

Notice = tuple[str, str, str]
"""(clock time, severity, text)."""


class MessagesScreen(ModalScreen[None]):
    """The messages, whole and wrapped; Escape or n closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,n", "close", "Close")]

    def __init__(self, notices: list[Notice]) -> None:
        super().__init__()
        self.notices = notices

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="messages"):
            yield Label("Messages  ·  Esc closes", id="messages-title")
            if not self.notices:
                yield Static(Text("nothing yet", style="dim italic"))
            for when, severity, text in self.notices:
                yield Static(
                    Text.assemble((f"{when}  ", "dim"), (text, NOTICE_STYLES.get(severity, "")))
                )

    def on_mount(self) -> None:
        self.query_one("#messages", VerticalScroll).scroll_end(animate=False)

    def action_close(self) -> None:
        self.dismiss()
