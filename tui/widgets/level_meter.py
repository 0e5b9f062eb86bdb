"""The audio level meter: an RMS bar with the held peak, labelled in dBFS over a scale."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tui.core.levels import FLOOR_DB

RANGE_DB = 60.0  # the bar shows -60 dBFS to 0
TICKS = (-60, -40, -20, -10, 0)


class LevelMeter(Widget):
    """Shows one level; the screen sets it at 20–30 Hz.

    The bar is the block's RMS level, ``▏`` the held peak; the label gives both in dBFS
    (decibels below digital full scale: 0 is the loudest a sample can be).
    """

    DEFAULT_CSS = """
    LevelMeter {
        height: 2;
        width: 1fr;
    }
    """

    rms_db: reactive[float] = reactive(FLOOR_DB)
    """RMS of the latest block in dBFS."""
    peak_db: reactive[float] = reactive(FLOOR_DB)
    """Peak of the latest block in dBFS."""
    hold_db: reactive[float] = reactive(FLOOR_DB)
    """The held peak in dBFS."""
    clipped: reactive[bool] = reactive(False)
    """Whether a recent block clipped."""
    active: reactive[bool] = reactive(False)
    """Whether a source is running."""

    def label(self) -> str:
        """``RMS -26.1 peak -16.9 dBFS``, or why there is no level."""
        if not self.active:
            return " no audio"
        return f" RMS {self.rms_db:5.1f} peak {self.peak_db:5.1f} dBFS"

    def render(self) -> Text:
        label = self.label()
        clip = " CLIP" if self.clipped else "     "
        width = max(4, self.size.width - len(label) - len(clip))
        filled = self._cells(self.rms_db, width)
        hold = self._cells(self.hold_db, width)
        bar = Text()
        for cell in range(width):
            colour = "green" if cell < width * 0.7 else "yellow" if cell < width * 0.9 else "red"
            if cell < filled:
                bar.append("█", style=colour)
            elif cell == max(hold - 1, 0) and self.active and self.hold_db > FLOOR_DB:
                bar.append("▏", style=f"bold {colour}")
            else:
                bar.append("·", style="dim")
        bar.append(label)
        bar.append(clip, style="bold white on red" if self.clipped else "")
        bar.append("\n")
        bar.append(self.scale(width), style="dim")
        return bar

    def scale(self, width: int) -> str:
        """Tick labels under the bar: -60 at the left, 0 at the right."""
        cells = [" "] * width
        for tick in TICKS:
            text = str(tick)
            at = min(width - len(text), max(0, self._cells(tick, width) - len(text) // 2))
            if all(c == " " for c in cells[max(0, at - 1) : at + len(text) + 1]):
                cells[at : at + len(text)] = text
        return "".join(cells)

    @staticmethod
    def _cells(db: float, width: int) -> int:
        return round(max(0.0, min(1.0, (db + RANGE_DB) / RANGE_DB)) * width)
