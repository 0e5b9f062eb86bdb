"""Every path sm-tui writes to comes from here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

APP_NAME = "sm-tui"


def default_data_dir() -> Path:
    """The platform's user data folder for sm-tui."""
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def package_dir() -> Path:
    """The folder of the ``tui`` package."""
    return Path(__file__).resolve().parent


def sample_audio() -> Path | None:
    """The bundled ``assets/sample.wav`` when running from a checkout, else None."""
    candidate = package_dir().parent / "assets" / "sample.wav"
    return candidate if candidate.is_file() else None


@dataclass(frozen=True)
class DataPaths:
    """The folders and files below the data directory."""

    root: Path

    @property
    def store(self) -> Path:
        """The SQLite job store."""
        return self.root / "jobs.sqlite3"

    @property
    def exports(self) -> Path:
        """Where transcripts are exported."""
        return self.root / "exports"

    @property
    def engine(self) -> Path:
        """Where the local engine keeps uploaded audio while jobs run."""
        return self.root / "engine"

    @property
    def comparisons(self) -> Path:
        """Every comparison's figures, one JSON file each (the history view reads them)."""
        return self.root / "comparisons"

    @property
    def models(self) -> Path:
        """Models put together from their packages (the multilingual Whisper base)."""
        return self.root / "models"

    @property
    def recordings(self) -> Path:
        """Live sessions' audio, as FLAC."""
        return self.root / "recordings"

    @property
    def logs(self) -> Path:
        """Log files (the local engine's output)."""
        return self.root / "logs"

    def ensure(self) -> DataPaths:
        """Create the folders; return self."""
        for folder in (self.root, self.exports, self.engine, self.logs, self.comparisons):
            folder.mkdir(parents=True, exist_ok=True)
        return self
