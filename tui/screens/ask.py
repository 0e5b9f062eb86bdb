"""A question with a few answers, each on its own key; Escape answers None."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class Ask(ModalScreen[str | None]):
    """Asks ``question``; dismisses with the key of the answer chosen, or None.

    Args:
        question: What is asked, whole (it wraps).
        answers: (key, label) pairs, e.g. ``[("y", "Delete"), ("n", "Keep")]``.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, answers: list[tuple[str, str]]) -> None:
        super().__init__()
        self.question = question
        self.answers = answers

    def compose(self) -> ComposeResult:
        with Vertical(id="ask"):
            yield Label(self.question, id="ask-question")
            with Horizontal(id="ask-answers"):
                for key, label in self.answers:
                    yield Button(f"{key}  {label}", id=f"answer-{key}", compact=True)
            yield Label("Esc: cancel", classes="dim-hint")

    def on_key(self, event: Key) -> None:
        keys = {key for key, _ in self.answers}
        if event.character in keys:
            event.stop()
            self.dismiss(event.character)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss((event.button.id or "").removeprefix("answer-"))

    def action_cancel(self) -> None:
        self.dismiss(None)
