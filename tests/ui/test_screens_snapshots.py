"""Snapshots of every screen at 80x24 (SSH) and 120x40, with content that does not depend on
timing: a queue of ten jobs in mixed states built in the store, a constructed comparison, a
constructed history. Look at them as PNGs: rsvg-convert on tests/ui/__snapshots__/*.svg."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.ui.pilot import wait_for
from tui.app import make_app
from tui.core.batch import BatchJob, JobState
from tui.core.comparison import BatchResult, Comparison, RealtimeResult, WordTiming
from tui.core.history import Run
from tui.core.store import JobStore
from tui.core.target import local_target
from tui.paths import DataPaths, sample_audio
from tui.screens.compare import CompareScreen
from tui.screens.history import HistoryScreen
from tui.settings import Settings

SIZES = [(80, 24), (120, 40)]
IDS = ["80x24", "120x40"]
T0 = 1_790_000_000.0  # a fixed clock for what the store holds
UNREACHABLE = local_target("http://127.0.0.1:1/v2", "ws://127.0.0.1:1/v2", "k" * 20, "tiny.en")
BATCH_TEXT = "Good morning, everyone. Let's begin today's meeting at 3:30pm."
RT_TEXT = "Good morning everyone. Let's begin to this meeting at 3:30pm."


def mixed_queue(data: Path) -> None:
    """Ten jobs: six done, two failed (one reason too long for any row), one cancelled, one
    queued (it waits: the engine never answers)."""
    store = JobStore(DataPaths(data).ensure().store)
    for n in range(6):
        store.add(
            BatchJob(
                Path(f"/audio/standup-2026-11-{n + 10:02d}-recording.wav"),
                size=1_200_000 + n,
                duration=37.5 + n,
                state=JobState.DONE,
                submitted_at=T0 + n,
                finished_at=T0 + n + 4.2 + n / 10,
                text=BATCH_TEXT,
                txt=BATCH_TEXT,
                engine="local engine · tiny.en",
                created_at=T0 + n,
            )
        )
    store.add(
        BatchJob(
            Path("/audio/empty.wav"),
            state=JobState.FAILED,
            error="empty.wav is empty",
            created_at=T0 + 7,
        )
    )
    store.add(
        BatchJob(
            Path("/audio/notes-from-the-long-planning-meeting.m4a"),
            state=JobState.FAILED,
            created_at=T0 + 8,
            error="the engine rejected the job: the audio runs past the engine's "
            "limit of 8 h; split the file (sox in.wav out.wav trim 0 8:00:00) or "
            "raise it with sm-tui serve --max-audio-hours",
        )
    )
    store.add(
        BatchJob(
            Path("/audio/interview.flac"),
            size=5_000_000,
            duration=612.0,
            state=JobState.CANCELLED,
            created_at=T0 + 9,
        )
    )
    sample = sample_audio()
    assert sample is not None
    store.add(BatchJob(sample, state=JobState.QUEUED, created_at=T0 + 10))
    store.close()


def dashboard(data: Path) -> Any:
    mixed_queue(data)
    return make_app(Settings(data_dir=data), target=UNREACHABLE)


async def settled(pilot: Pilot[Any]) -> None:
    from tui.widgets.job_table import JobTable

    app: Any = pilot.app
    await wait_for(pilot, lambda: app.supervisor.state == "unreachable")
    await wait_for(pilot, lambda: len(app.main.jobs) == 10)
    # every row drawn whole: the queued job's audio length is probed in a thread, and a busy
    # CI caught the snapshot before its row showed it
    table = app.main.query_one(JobTable)
    await wait_for(
        pilot,
        lambda: (
            table.row_count == 10
            and all(
                table.get_cell(str(job.id), "Time") != "–"
                for job in app.main.jobs.values()
                if job.state == JobState.DONE
            )
            and all(
                table.get_cell(str(job.id), "Audio") != "–"
                for job in app.main.jobs.values()
                if job.state == JobState.QUEUED
            )
        ),
    )
    await pilot.pause()
    await pilot.pause()


def comparison() -> Comparison:
    """A comparison as the screen gets it when both sides finished."""
    words = [
        WordTiming(w, i * 0.5, i * 0.5 + 0.4, i * 0.5 + 0.3, i * 0.5 + 1.1, 0.7 + i % 3 / 10)
        for i, w in enumerate(RT_TEXT.split())
    ]
    realtime = RealtimeResult(
        transcript=RT_TEXT,
        first_partial_s=0.62,
        partial_lags_s=[0.3, 0.4, 0.5],
        words=words,
        pacing=1.0,
        audio_s=6.0,
        session_s=7.4,
    )
    return Comparison(
        "standup.wav",
        6.0,
        "local engine · tiny.en",
        1.0,
        BatchResult(transcript=BATCH_TEXT, turnaround_s=1.3),
        realtime,
        reference="Good morning everyone. Let's begin today's meeting at 3:30pm.",
    )


def history() -> list[Run]:
    engines = ["local engine · tiny.en", "Speechmatics · key sk…9z9z"]
    return [
        Run(
            when=T0 + n * 86400,
            file="standup.wav",
            engine=engines[n % 2],
            audio_s=37.5,
            final_p50_s=0.6 + n % 3 / 10,
            final_p95_s=1.1 + n % 4 / 10,
            batch_ratio=0.1,
            wer_batch=0.05 + n % 2 / 50,
            wer_realtime=0.08 + n % 3 / 50,
            wer_between=0.04,
        )
        for n in range(8)
    ]


@pytest.mark.parametrize("size", [*SIZES, (160, 48)], ids=[*IDS, "160x48"])
def test_mixed_queue(snap_compare: Any, isolated: Path, size: tuple[int, int]) -> None:
    """Ten jobs: at 80x24 at least five rows; from 120 columns the panels share the width."""
    assert snap_compare(dashboard(isolated), terminal_size=size, run_before=settled)


def test_zoomed_queue(snap_compare: Any, isolated: Path) -> None:
    """z gives the queue the whole screen: all ten rows at 80x24."""

    async def zoom(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("z")

    assert snap_compare(dashboard(isolated), terminal_size=(80, 24), run_before=zoom)


def test_failure_reason_whole(snap_compare: Any, isolated: Path) -> None:
    """A failed job's whole reason is in the detail pane, wrapped."""

    async def select(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press(*["down"] * 7)

    assert snap_compare(dashboard(isolated), terminal_size=(80, 24), run_before=select)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_help(snap_compare: Any, isolated: Path, size: tuple[int, int]) -> None:
    async def help_(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("question_mark")

    assert snap_compare(dashboard(isolated), terminal_size=size, run_before=help_)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_options(snap_compare: Any, isolated: Path, size: tuple[int, int]) -> None:
    async def options(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("o")

    assert snap_compare(dashboard(isolated), terminal_size=size, run_before=options)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_delete_asks(snap_compare: Any, isolated: Path, size: tuple[int, int]) -> None:
    async def delete(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("d")

    assert snap_compare(dashboard(isolated), terminal_size=size, run_before=delete)


def test_five_answers_wrap(snap_compare: Any, isolated: Path) -> None:
    """The save formats' five answers all show at 80 columns (two rows)."""
    from tui.app import FORMAT_ANSWERS
    from tui.screens.ask import Ask

    async def ask(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.app.push_screen(Ask("Save the live transcript as:", FORMAT_ANSWERS))
        await pilot.pause()

    assert snap_compare(dashboard(isolated), terminal_size=(80, 24), run_before=ask)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_messages(snap_compare: Any, isolated: Path, size: tuple[int, int]) -> None:
    """n: every message, whole (here: the engine that does not answer, and a long one)."""

    async def messages(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        app: Any = pilot.app
        app.notice_log.clear()
        app.notice_log.append(
            (
                "09:30:00",
                "warning",
                "the engine at http://127.0.0.1:1/v2 "
                "does not answer: is the URL right, and the engine up?",
            )
        )
        app.notice_log.append(("09:30:05", "error", "notes.m4a failed: " + "a long reason " * 12))
        app.notice_log.append(("09:31:00", "information", "standup.wav done in 4.2s"))
        await pilot.press("n")

    assert snap_compare(dashboard(isolated), terminal_size=size, run_before=messages)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_comparison(snap_compare: Any, isolated: Path, size: tuple[int, int]) -> None:
    """The verdict, the figures, the legend and the diff of a constructed comparison."""

    async def show(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        screen = CompareScreen(
            Path("/audio/standup.wav"), UNREACHABLE, None, 1.0, result=comparison()
        )
        await pilot.app.push_screen(screen)
        await pilot.pause()

    assert snap_compare(dashboard(isolated), terminal_size=size, run_before=show)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_history(
    snap_compare: Any, isolated: Path, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Latency and WER over eight runs on two engines, and the runs, newest first."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()

    async def show(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.app.push_screen(HistoryScreen(history(), []))
        await pilot.pause()

    assert snap_compare(dashboard(isolated), terminal_size=size, run_before=show)
