"""What new jobs and live sessions ask for: language, operating points, labels (``o``)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select

from tui.core.target import Choices

LANGUAGES = [
    ("en", "English"),
    ("auto", "find it (batch; live: English)"),
    ("de", "German"),
    ("es", "Spanish"),
    ("fr", "French"),
    ("it", "Italian"),
    ("pt", "Portuguese"),
    ("nl", "Dutch"),
    ("pl", "Polish"),
    ("sv", "Swedish"),
    ("ru", "Russian"),
    ("uk", "Ukrainian"),
    ("tr", "Turkish"),
    ("ar", "Arabic"),
    ("hi", "Hindi"),
    ("ja", "Japanese"),
    ("cmn", "Mandarin"),
    ("ko", "Korean"),
]
POINTS = [("standard", "standard: fastest"), ("enhanced", "enhanced: most accurate")]
LABELS = [
    ("none", "none"),
    ("speaker", "who speaks"),
    ("channel", "each channel (batch)"),
    ("channel_and_speaker", "channels and speakers (batch)"),
]


class OptionsScreen(ModalScreen[Choices | None]):
    """The choices as four lists; Enter or Use keeps them, Escape leaves them as they were."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "use", "Use", show=False),
    ]

    def __init__(self, choices: Choices) -> None:
        super().__init__()
        self.choices = choices

    def compose(self) -> ComposeResult:
        languages = list(LANGUAGES)
        if self.choices.language not in {code for code, _ in languages}:
            languages.append((self.choices.language, self.choices.language))
        with Vertical(id="options"):
            yield Label("New jobs and live sessions ask for:", id="options-title")
            with Grid(id="options-grid"):
                yield Label("Language")
                yield self._select("language", languages, self.choices.language)
                yield Label("Batch model")
                yield self._select("batch_model", POINTS, self.choices.batch_model)
                yield Label("Live model")
                yield self._select("rt_model", POINTS, self.choices.rt_model)
                yield Label("Labels")
                yield self._select("diarization", LABELS, self.choices.diarization)
            yield Button("Use these", id="options-use", variant="primary", compact=True)
            yield Label(
                "Tab: next · Enter: open a list · ctrl+s: use · Esc: cancel", classes="dim-hint"
            )

    @staticmethod
    def _select(name: str, options: list[tuple[str, str]], value: str) -> Select[str]:
        return Select(
            [(label, code) for code, label in options],
            value=value,
            allow_blank=False,
            id=f"option-{name}",
            compact=True,
        )

    def _value(self, name: str) -> str:
        return str(self.query_one(f"#option-{name}", Select).value)

    @on(Button.Pressed, "#options-use")
    def action_use(self) -> None:
        self.dismiss(
            Choices(
                self._value("language"),
                self._value("batch_model"),
                self._value("rt_model"),
                self._value("diarization"),
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
