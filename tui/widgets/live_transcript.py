"""The live transcript: finals in normal text, the current partial dim after them."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

PARAGRAPH_CHARS = 600  # a finished paragraph is never re-rendered


class LiveTranscript(VerticalScroll):
    """Appends finals in paragraphs and shows the partial after the last one."""

    def __init__(
        self, placeholder: str = "Press space to start live transcription.", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        yield Static(id="live-current")

    def on_mount(self) -> None:
        self._current = ""
        self._partial = ""
        self._paragraphs: list[str] = []
        self._show_placeholder()

    def _show_placeholder(self) -> None:
        hint = Text(self.placeholder, style="dim italic")
        self.query_one("#live-current", Static).update(hint)

    def add_final(self, text: str) -> None:
        """Append final text (and drop the partial it settles)."""
        self._current += text
        self._partial = ""
        if len(self._current) > PARAGRAPH_CHARS and self._current.rstrip().endswith(
            (".", "?", "!")
        ):
            self._paragraphs.append(self._current)
            self.mount(
                Static(self._current.strip(), classes="live-paragraph"), before="#live-current"
            )
            self._current = ""
        self._render_current()

    def set_partial(self, text: str) -> None:
        """Replace the partial."""
        self._partial = text
        self._render_current()

    def clear(self) -> None:
        """Forget everything shown."""
        for paragraph in self.query(".live-paragraph"):
            paragraph.remove()
        self._paragraphs, self._current, self._partial = [], "", ""
        self._render_current()

    @property
    def text(self) -> str:
        """All final text."""
        return ("".join(self._paragraphs) + self._current).strip()

    def _render_current(self) -> None:
        line = Text(self._current)
        if self._partial:
            line.append(self._partial, style="dim italic")
        self.query_one("#live-current", Static).update(line)
        self.scroll_end(animate=False)
