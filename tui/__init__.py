"""sm-tui: a terminal dashboard for Speechmatics batch and real-time transcription."""

from __future__ import annotations

__version__ = "0.1.0"
