"""The audio level meter: RMS bar, peak, peak hold, clipping mark."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tui.core.levels import FLOOR_DB

RANGE_DB = 60.0  # the bar shows -60 dBFS to 0


class LevelMeter(Widget):
    """Shows one level; the screen sets it at 20–30 Hz."""

    DEFAULT_CSS = """
    LevelMeter {
        height: 1;
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

    def render(self) -> Text:
        label = f" {self.rms_db:5.1f} dB pk {self.peak_db:5.1f}" if self.active else "  no audio"
        clip = " CLIP" if self.clipped else "     "
        width = max(4, self.size.width - len(label) - len(clip) - 1)
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
        return bar

    @staticmethod
    def _cells(db: float, width: int) -> int:
        return round(max(0.0, min(1.0, (db + RANGE_DB) / RANGE_DB)) * width)
