"""Pick the microphone: a list of input devices."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option


class DevicePicker(ModalScreen[int | None]):
    """Returns the chosen device's index, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, devices: list[tuple[int, str, int]]) -> None:
        super().__init__()
        self.devices = devices

    def compose(self) -> ComposeResult:
        with Vertical(id="device-picker"):
            yield Label("Microphone (enter chooses, esc cancels)", classes="panel-title")
            yield OptionList(
                *(
                    Option(f"{name}  ·  {rate} Hz", id=str(index))
                    for index, name, rate in self.devices
                ),
                id="device-list",
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id) if event.option.id is not None else None)
