"""Every key, grouped by where it works, with what it does (``?`` or F1)."""

from __future__ import annotations

from itertools import groupby
from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

HelpRow = tuple[str, str, str]
"""(group, keys, what it does)."""


class HelpScreen(ModalScreen[None]):
    """The keys, a table per group; Escape, q, ? or F1 closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close"),
    ]

    def __init__(self, rows: list[HelpRow]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Label("Keys  ·  Esc closes this and every other screen", id="help-title")
            for group, rows in groupby(self.rows, key=lambda row: row[0]):
                table = Table(
                    title=group,
                    title_justify="left",
                    show_header=False,
                    box=None,
                    padding=(0, 1),
                    expand=True,
                )
                table.add_column("keys", style="bold", no_wrap=True, width=12)
                table.add_column("what it does", ratio=1)
                for _, keys, text in rows:
                    table.add_row(keys, text)
                yield Static(table, classes="help-group")

    def action_close(self) -> None:
        self.dismiss()
