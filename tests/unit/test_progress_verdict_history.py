"""Progress estimates, the comparison's verdict, the kept history and `sm-tui batch`'s lines,
on constructed jobs and comparisons."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tui.commands.progress_lines import ProgressLines, job_line
from tui.core.batch import BatchJob, JobState
from tui.core.comparison import BatchResult, Comparison, RealtimeResult, WordTiming
from tui.core.exports import export_live
from tui.core.history import keep, runs
from tui.core.progress import ASSUMED_RTF, clock, estimate, observed_rtf
from tui.core.report import verdict
from tui.core.stitched import StitchedTranscript

ENGINE = "local engine · tiny.en"


def running(duration: float = 600.0, started: float = 1000.0) -> BatchJob:
    return BatchJob(
        Path("talk.wav"),
        duration=duration,
        state=JobState.RUNNING,
        submitted_at=started,
        engine=ENGINE,
    )


def done(duration: float, took: float, finished: float) -> BatchJob:
    return BatchJob(
        Path("old.wav"),
        duration=duration,
        state=JobState.DONE,
        engine=ENGINE,
        submitted_at=finished - took,
        finished_at=finished,
    )


class TestProgress:
    def test_assumed_speed_until_a_job_finished(self) -> None:
        progress = estimate(running(), None, now=1000.0 + 60)
        assert progress is not None and progress.basis == "assumed"
        assert progress.fraction == pytest.approx(60 / (600 * ASSUMED_RTF))
        assert progress.remaining_s == pytest.approx(600 * ASSUMED_RTF - 60)

    def test_observed_speed_is_the_median_of_this_engines_newest_jobs(self) -> None:
        history = [done(100, 10, 1), done(100, 20, 2), done(100, 90, 3)]
        other = BatchJob(
            Path("x.wav"),
            duration=100,
            state=JobState.DONE,
            engine="Speechmatics",
            submitted_at=0,
            finished_at=1,
        )
        assert observed_rtf([*history, other], ENGINE) == pytest.approx(0.2)
        progress = estimate(running(), 0.2, now=1030.0)
        assert progress is not None and progress.basis == "observed"
        assert progress.fraction == pytest.approx(0.25) and progress.remaining_s == 90

    def test_the_engines_own_progress_wins(self) -> None:
        job = running()
        job.engine_progress = 0.4
        progress = estimate(job, 0.2, now=1000.0 + 40)
        assert progress is not None and progress.basis == "engine"
        assert progress.fraction == pytest.approx(0.4)
        assert progress.remaining_s == pytest.approx(60)  # 40 s for 40%: 60 s for the rest
        assert progress.describe() == "40% ~1m00s left"

    def test_never_done_before_the_job_is(self) -> None:
        progress = estimate(running(duration=10), 0.1, now=1000.0 + 500)
        assert progress is not None and progress.overdue and progress.fraction == 0.99
        assert progress.describe() == "99% any moment"

    def test_no_estimate_for_jobs_not_running(self) -> None:
        assert estimate(done(10, 1, 5), 0.1) is None
        assert estimate(BatchJob(Path("q.wav"), state=JobState.RUNNING), 0.1) is None

    @pytest.mark.parametrize(("seconds", "said"), [(4.4, "4s"), (185, "3m05s"), (3720, "1h02m")])
    def test_clock(self, seconds: float, said: str) -> None:
        assert clock(seconds) == said


class TestBatchLines:
    def test_plain_lines_on_change_and_every_15_s(self) -> None:
        job = running(duration=600, started=1000.0)
        queued = BatchJob(Path("next.wav"), state=JobState.QUEUED)
        out = io.StringIO()  # not a terminal: plain lines
        lines = ProgressLines([job, queued], lambda: [done(100, 20, 1)], out)
        lines.tick(now=1001.0)
        lines.tick(now=1005.0)  # nothing changed, too soon to repeat
        lines.tick(now=1017.0)
        said = out.getvalue().splitlines()
        assert len(said) == 3
        assert said[0].startswith("talk.wav  running") and "estimated from this engine" in said[0]
        assert said[1] == "next.wav  queued"
        assert "17s so far" in said[2]
        job.state = JobState.DONE
        lines.tick(now=1030.0)
        assert len(out.getvalue().splitlines()) == 3  # finished jobs are printed by the queue

    def test_terminal_block_is_redrawn(self) -> None:
        class Terminal(io.StringIO):
            def isatty(self) -> bool:
                return True

        out = Terminal()
        lines = ProgressLines([running()], lambda: [], out)
        lines.tick(now=1010.0)
        lines.tick(now=1011.0)
        assert out.getvalue().count("\x1b[1A\x1b[2K") == 1
        assert job_line(running(), None, now=1010.0) in out.getvalue()


def comparison(
    batch_text: str, rt_text: str, reference: str | None, batch_error: str | None = None
) -> Comparison:
    words = [WordTiming(w, i, i + 0.5, None, i + 1.2, 0.7) for i, w in enumerate(rt_text.split())]
    return Comparison(
        "talk.wav",
        20.0,
        ENGINE,
        1.0,
        BatchResult(transcript=batch_text, turnaround_s=2.0, error=batch_error),
        RealtimeResult(transcript=rt_text, words=words, pacing=1.0),
        reference,
    )


class TestVerdict:
    def test_real_time_as_accurate(self) -> None:
        said = verdict(comparison("one two three", "one two three", "one two three").summary())
        assert said.startswith("Real-time finals arrived 0.7 s after speech")
        assert "with the same WER as batch (0.0%" in said
        assert "batch returned the whole file in 2.0 s, 0.10× its length" in said
        assert "real-time costs little accuracy" in said

    def test_batch_clearly_better(self) -> None:
        text = "a b c d e f g h i j"
        said = verdict(comparison(text, "a b x d e y g h z j", text).summary())
        assert "at 30.0 points more WER than batch (30.0% vs 0.0%" in said
        assert "batch is clearly more accurate" in said

    def test_without_a_reference_the_sides_are_compared(self) -> None:
        said = verdict(comparison("a b c d", "a b c e", None).summary())
        assert "25.0% of words differ from batch (no reference" in said

    def test_an_engine_that_could_not_keep_up_is_said(self) -> None:
        made = comparison("a b", "a b", "a b")
        made.realtime.behind_max_s = 6.2
        said = verdict(made.summary())
        assert "the real-time engine fell 6.2 s behind the audio (it could not keep up)" in said

    def test_how_far_behind_is_measured_from_arrivals(self) -> None:
        from tui.core.comparison import RealtimeTimeline, SendClock

        clock = SendClock()
        for tenth in range(1, 101):  # 10 s of audio, sent at 1x from t=0
            clock.record(tenth / 10, tenth / 10)
        timeline = RealtimeTimeline(clock)
        timeline.started = 0.0

        def said(end: float) -> dict[str, object]:
            return {
                "metadata": {"transcript": "", "start_time": 0.0, "end_time": end},
                "results": [],
            }

        timeline.partials = [(2.0, said(1.5)), (6.0, said(2.0)), (9.0, said(8.5))]
        timeline.finals = [(6.5, said(2.0))]
        assert timeline.result(10.0, 1.0, 10.0).behind_max_s == 4.5  # at 6.5 s, answered 2.0

    def test_a_failed_side_is_said(self) -> None:
        said = verdict(comparison("", "a b", None, batch_error="HTTP 500").summary())
        assert said == "Only real-time produced a transcript: batch failed (HTTP 500)."


class TestHistory:
    def test_kept_and_read_back_in_order(self, tmp_path: Path) -> None:
        first = comparison("a b", "a b", "a b").summary()
        second = comparison("a b", "a c", "a b").summary()
        newer = keep(second, tmp_path, when=2000.0)
        older = keep(first, tmp_path, when=1000.0)
        again = keep(first, tmp_path, when=1000.0)  # same second, same file: a new name
        assert len({newer, older, again}) == 3
        (tmp_path / "broken.json").write_text("{not json")
        found, problems = runs(tmp_path)
        assert [run.when for run in found] == [1000.0, 1000.0, 2000.0]
        assert found[-1].wer_realtime == pytest.approx(0.5) and found[-1].engine == ENGINE
        assert len(problems) == 1 and problems[0].startswith("broken.json")
        body = json.loads(newer.read_text())
        assert body["summary"]["realtime"]["words"]  # every word timing is kept

    def test_rewriting_keeps_one_file(self, tmp_path: Path) -> None:
        path = keep(comparison("a b", "a b", None).summary(), tmp_path)
        assert keep(comparison("a b", "a b", "a c").summary(), tmp_path, path=path) == path
        assert [r.wer_batch for r in runs(tmp_path)[0]] == [pytest.approx(0.5)]


def test_live_transcript_saves_every_format(tmp_path: Path) -> None:
    """Finals from two API sessions (the second began at 10 s) come out on one timeline."""
    stitched = StitchedTranscript()

    def message(text: str, start: float, end: float) -> dict[str, object]:
        word = {
            "type": "word",
            "start_time": start,
            "end_time": end,
            "alternatives": [{"content": text, "confidence": 1.0}],
        }
        return {
            "metadata": {"transcript": f"{text} ", "start_time": start, "end_time": end},
            "results": [word],
        }

    stitched.add(10.0, message("later", 0.5, 0.9))
    stitched.add(0.0, message("first", 1.0, 1.4))
    document = stitched.json_v2("en")
    assert [r["start_time"] for r in document["results"]] == [1.0, 10.5]
    written = export_live(
        stitched.text, document, tmp_path, "live-x", ("txt", "srt", "vtt", "json")
    )
    bodies = {p.suffix: p.read_text() for p in written}
    assert bodies[".txt"] == "first later\n"
    assert "00:00:01,000 --> 00:00:10,900\nfirst later" in bodies[".srt"]
    assert bodies[".vtt"].startswith("WEBVTT") and "00:00:01.000 --> 00:00:10.900" in bodies[".vtt"]
    assert json.loads(bodies[".json"])["results"][1]["alternatives"][0]["content"] == "later"
