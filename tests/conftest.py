"""Fixtures for all three tiers: isolation from the developer's machine, and the real engine."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ROOT, SHARED_AUDIO
from tui.settings import Settings

PRIVATE_VARS = ("SPEECHMATICS_API_KEY", "SPEECHMATICS_BATCH_URL", "SPEECHMATICS_RT_URL")


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test keeps its data in a temporary folder and never sees a real key or .env."""
    data = tmp_path / "data"
    monkeypatch.setenv("SM_TUI_DATA_DIR", str(data))
    for name in PRIVATE_VARS:
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith("SM_TUI_") and name != "SM_TUI_DATA_DIR":
            monkeypatch.delenv(name)
    # The dashboard's batch jobs (and engine's batch default) on the fast model: the client and
    # persistence tests are about keeping work, not accuracy. test_languages covers enhanced.
    monkeypatch.setenv("SM_TUI_BATCH_OPERATING_POINT", "standard")
    # Nor do the engines they start load the enhanced model in the background as they come
    # up (it would compete with each test's own work); the first request for it loads it.
    monkeypatch.setenv("SM_TUI_ENGINE_PRELOAD", "0")
    monkeypatch.chdir(tmp_path)  # a .env in the checkout is not read
    yield data


@pytest.fixture(scope="session")
def shared_audio() -> Path:
    """The shared recordings beside the checkout."""
    if not (SHARED_AUDIO / "references.tsv").is_file():
        pytest.fail(f"the shared recordings are missing: {SHARED_AUDIO}")
    return SHARED_AUDIO


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One real local engine (``sm-tui serve`` as a child process) for the whole session."""
    from tui.core.engine_process import start_engine

    data = tmp_path_factory.mktemp("engine-data")
    settings = Settings(data_dir=data)
    process = start_engine(settings)
    yield process
    process.stop()


@pytest.fixture(scope="session")
def small_uploads(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A real engine taking uploads of at most 1 MB, for the tests of its refusal."""
    from tests.helpers import quick_engine

    process = quick_engine(tmp_path_factory.mktemp("small-uploads"), "--max-upload-mb", "1")
    yield process
    process.stop()


@pytest.fixture(scope="session")
def standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The real engine with the stand-in recogniser, in this process: fast and deterministic."""
    from tests.standin import InProcessEngine

    engine = InProcessEngine(tmp_path_factory.mktemp("standin-data")).start()
    yield engine
    engine.stop()


@pytest.fixture(scope="session")
def root() -> Path:
    """The checkout."""
    return ROOT


@pytest.fixture(scope="session")
def legacy_cli() -> Path:
    """The legacy ``speechmatics`` CLI (speechmatics-python), which ``make`` installs."""
    path = ROOT / ".venv" / "legacy" / "bin" / "speechmatics"
    if not path.is_file():
        pytest.fail(f"the legacy CLI is missing: run `make .venv/legacy/.installed` ({path})")
    return path


@pytest.fixture
def pulse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A real microphone: a private PulseAudio server, its null sink's monitor the default
    source, seen by PortAudio as the ``pulse`` device (in this process and in children).

    Skipped, saying why, only where PulseAudio cannot run (a macOS developer); never in CI.
    """
    from tests.pulse import PulseError, PulseServer

    try:
        server = PulseServer(tmp_path / "pulse")
    except PulseError as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    for name in ("XDG_RUNTIME_DIR", "HOME"):
        monkeypatch.setenv(name, server.env[name])
    _reopen_portaudio()
    yield server
    server.stop()
    _reopen_portaudio()


def _reopen_portaudio() -> None:
    """PortAudio lists devices when it starts: start it again so it sees this server."""
    from tui.core.sources import load_sounddevice

    sd = load_sounddevice()
    sd._terminate()
    sd._initialize()
