"""``sm-tui live``: a live session without the dashboard (a terminal, a pipe, a remote machine).

Audio from the microphone, a file played at real speed, or stdin goes through the real-time
SDK to the local engine or Speechmatics, as the dashboard's live panel sends it. Partials are
redrawn in place on a terminal and left out when the output is piped; each final is printed
with how far it trailed the audio. The audio heard is kept as FLAC in ``<data
dir>/recordings/`` (and at ``--save-audio``), and ``--compare`` runs batch on it afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from tui.settings import Settings

if TYPE_CHECKING:
    from tui.core.levels import Level
    from tui.core.live import LiveSession
    from tui.core.sources import AudioSource

PROG = "sm-tui live"


class LiveError(Exception):
    """What is wrong and what to do, said on stderr before exiting 1."""


def add_parser(sub: Any) -> None:
    """Register the subcommand."""
    live = sub.add_parser(
        "live",
        help="transcribe live audio without the dashboard: the microphone, a file, or stdin",
        description="Stream audio through the real-time API and print the transcript as it "
        "comes: partials redrawn on a terminal, finals with how far they trailed the audio. "
        "Stops at the end of the source, after --seconds, or on ctrl+c.",
    )
    live.add_argument(
        "source",
        nargs="?",
        default="mic",
        help="'mic' (the default), an audio file (played at real speed), or '-' for stdin",
    )
    live.add_argument(
        "--device", metavar="NAME", help="the microphone: a name, part of one, or index"
    )
    live.add_argument(
        "--seconds", type=_positive, metavar="N", help="stop after N seconds of audio"
    )
    live.add_argument(
        "--raw",
        metavar="ENC:RATE",
        help="stdin is raw PCM, e.g. s16le:16000 (default: a container)",
    )
    live.add_argument(
        "--save-audio", type=Path, metavar="PATH", help="also keep the audio here (.flac or .wav)"
    )
    live.add_argument(
        "--compare", action="store_true", help="afterwards, run batch on the same audio and compare"
    )
    live.add_argument(
        "--reference", metavar="TEXT_OR_FILE", help="with --compare: what was said, for WER"
    )
    live.add_argument("--json", type=Path, metavar="PATH", help="write the session's figures here")
    live.add_argument("--max-delay", type=_positive, metavar="S", help="real-time max_delay")
    live.add_argument(
        "--language", metavar="CODE", help="transcription language (default: settings)"
    )


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be more than 0")
    return value


@dataclass
class Console:
    """What ``sm-tui live`` prints: partials redrawn on a terminal, finals a line each (the
    listener a ``LiveSession`` reports to)."""

    out: IO[str]
    tty: bool
    session: LiveSession | None = None
    finals: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    label: str = "the source"
    _partial_shown: bool = False
    _listening: bool = False

    def partial(self, text: str) -> None:
        if not self.tty or not text.strip():
            return
        width = _columns() - 1
        shown = text.strip()
        shown = shown if len(shown) <= width else "…" + shown[-(width - 1) :]
        self.out.write(f"\r\x1b[2K\x1b[2m{shown}\x1b[0m")
        self.out.flush()
        self._partial_shown = True

    def final(self, text: str) -> None:
        lag = self.session.backlog_seconds if self.session is not None else 0.0
        at = self.session.audio_seconds if self.session is not None else 0.0
        self.finals.append({"text": text.strip(), "audio_s": round(at, 2), "lag_s": round(lag, 2)})
        self._clear()
        self.out.write(f"[{lag:4.1f}s] {text.strip()}\n")
        self.out.flush()

    def level(self, level: Level) -> None:
        if not self._listening:  # the first block sent: the session is under way
            self._listening = True
            print(f"{PROG}: listening to {self.label} (ctrl+c stops)", file=sys.stderr, flush=True)

    def notice(self, severity: str, text: str) -> None:
        self._clear()
        if severity == "error":
            self.errors.append(text)
        print(f"{PROG}: {severity}: {text}", file=sys.stderr, flush=True)

    def _clear(self) -> None:
        if self._partial_shown:
            self.out.write("\r\x1b[2K")
            self._partial_shown = False


def _columns() -> int:
    import shutil

    return shutil.get_terminal_size((80, 24)).columns


def run_live(args: argparse.Namespace, settings: Settings) -> int:
    """Run one live session; 0 when it ended cleanly, 1 on an error (said on stderr)."""
    try:
        source, label = _source(args)
        recorders = _recorders(args, settings, label)
    except LiveError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    console = Console(sys.stdout, sys.stdout.isatty(), label=label)
    try:
        return asyncio.run(_live(args, settings, source, recorders, console))
    except LiveError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    finally:
        for recorder in recorders:
            recorder.close()


def _source(args: argparse.Namespace) -> tuple[AudioSource, str]:
    """The source the arguments name, checked before anything heavy loads."""
    from tui.core.sources import FileSource, MicrophoneSource, PipeSource, SourceError, parse_raw

    try:
        if args.source == "-":
            if sys.stdin.isatty():
                raise LiveError(
                    "stdin is a terminal: pipe audio into it, e.g. arecord … | sm-tui live -"
                )
            if args.raw:
                parse_raw(args.raw)
            return PipeSource(sys.stdin.buffer, args.raw), "stdin"
        if args.raw:
            raise LiveError("--raw is for stdin ('-'); files and microphones say their own format")
        if args.source == "mic":
            index, name = _device(args.device)
            return MicrophoneSource(index), name
        path = Path(args.source)
        _check_audio(path)
        return FileSource(path), path.stem
    except SourceError as exc:
        raise LiveError(str(exc)) from None


def _check_audio(path: Path) -> None:
    from tui.shared.audio import AudioDecodeError, probe

    if not path.is_file():
        raise LiveError(f"{path} does not exist (give 'mic', an audio file, or '-' for stdin)")
    try:
        probe(path)
    except AudioDecodeError as exc:
        raise LiveError(f"{path} is not audio PyAV can read ({exc})") from None


def _device(wanted: str | None) -> tuple[int | None, str]:
    """The input device ``--device`` names (an index, a name, or part of one), or the default."""
    from tui.core.sources import input_devices

    devices = input_devices()
    if not devices:
        raise LiveError(
            "no input device: plug in a microphone, or give an audio file or '-' for stdin"
        )
    if wanted is None:
        return None, "microphone"
    for index, name, _ in devices:
        if wanted == str(index) or wanted == name:
            return index, name
    found = [(i, n) for i, n, _ in devices if wanted.lower() in n.lower()]
    if len(found) == 1:
        return found[0]
    listed = "; ".join(f"{i}: {n}" for i, n, _ in devices)
    if found:
        raise LiveError(f"--device {wanted!r} matches several input devices ({listed})")
    raise LiveError(f"no input device called {wanted!r}; there are {listed}")


def _recorders(args: argparse.Namespace, settings: Settings, label: str) -> list[Any]:
    """Where the audio heard is kept: ``<data dir>/recordings/``, and ``--save-audio``."""
    from tui.core.recording import Recorder, RecordingError, recording_name
    from tui.paths import DataPaths

    paths = []
    if args.save_audio is not None:  # first: a wrong name is said before anything is written
        paths.append(args.save_audio)
    if settings.keep_recordings or (args.compare and not paths):  # batch needs the audio
        paths.append(DataPaths(settings.data_dir).recordings / recording_name(label))
    recorders = []
    try:
        for path in paths:
            recorders.append(Recorder(path))
    except RecordingError as exc:
        for recorder in recorders:
            recorder.close()
        raise LiveError(str(exc)) from None
    return recorders


async def _live(
    args: argparse.Namespace,
    settings: Settings,
    source: AudioSource,
    recorders: list[Any],
    console: Console,
) -> int:
    from tui.core.engine_process import EngineStartError
    from tui.core.live import LiveSession, live_language
    from tui.core.target import open_target

    for recorder in recorders:
        recorder.on_error = lambda text: console.notice("warning", text)
        source.taps.append(recorder.write_block)
    source.limit_s = args.seconds
    if settings.uses_local_engine:
        print(f"{PROG}: starting the local engine…", file=sys.stderr, flush=True)
    try:
        opened = await asyncio.to_thread(open_target, settings)
    except EngineStartError as exc:
        raise LiveError(str(exc)) from None
    try:
        session = LiveSession(
            opened.target,
            source,
            console,
            max_delay=args.max_delay or settings.max_delay,
            language=live_language(args.language or settings.language),
            max_session_s=settings.max_session_s,
            reconnect_for_s=15.0,
        )
        console.session = session
        started = time.monotonic()
        await _run_until_stopped(session)
        for recorder in recorders:
            recorder.close()
        figures = _figures(session, console, recorders, time.monotonic() - started)
        whole = [r for r in recorders if r.error is None]
        if args.compare and not console.errors and whole:
            figures["compare"] = await _compare(
                opened.target, whole[0].path, session, settings, args.reference
            )
        elif args.compare:
            console.notice("warning", "no comparison: the session's audio was not kept whole")
    finally:
        opened.close()
    _summary(figures)
    if args.json is not None:
        try:
            args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise LiveError(f"cannot write {args.json}: {exc.strerror}") from None
    return 1 if console.errors else 0


async def _run_until_stopped(session: LiveSession) -> None:
    """Run the session; ctrl+c, SIGTERM or a hang-up stop it cleanly (the last words still
    come). A second ctrl+c gives up waiting."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(session.run())
    asked: list[int] = []

    def stop(signum: int) -> None:
        asked.append(signum)
        if len(asked) > 1:
            task.cancel()
        session.stop()

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, stop, signum)
    try:
        await task
    except asyncio.CancelledError:
        print(f"{PROG}: stopped without waiting for the last words", file=sys.stderr)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.remove_signal_handler(signum)


def _figures(
    session: LiveSession, console: Console, recorders: list[Any], wall_s: float
) -> dict[str, Any]:
    from tui.core.comparison import percentile

    lags = [f["lag_s"] for f in console.finals]
    p50, p95 = percentile(lags, 50), percentile(lags, 95)
    return {
        "audio_s": round(session.audio_seconds, 2),
        "wall_s": round(wall_s, 2),
        "transcript": session.transcript.text.strip(),
        "words": session.transcript.word_count,
        "finals": console.finals,
        "final_lag_p50_s": round(p50, 2) if p50 is not None else None,
        "final_lag_p95_s": round(p95, 2) if p95 is not None else None,
        "recordings": [str(r.path) for r in recorders if r.error is None],
        "errors": console.errors,
        "results": session.transcript.results,
    }


async def _compare(
    target: Any, recording: Path, session: LiveSession, settings: Settings, reference: str | None
) -> dict[str, Any]:
    """Batch on the recorded audio beside what the session measured: the comparison
    ``sm-tui compare`` shows, kept in the history like any other."""
    from rich.console import Console as Rich

    from tui.core.compare import compare_live
    from tui.core.history import keep
    from tui.core.live import live_language
    from tui.core.references import reference_text
    from tui.core.report import report
    from tui.paths import DataPaths

    print(f"{PROG}: running batch on the same audio…", file=sys.stderr, flush=True)
    result = await compare_live(
        target, session, recording, reference_text(reference), live_language(settings.language)
    )
    summary = result.summary()
    Rich(file=sys.stderr).print(report(summary))
    figures: dict[str, Any] = {
        "batch_transcript": summary.batch.transcript,
        "batch_turnaround_s": summary.batch.turnaround_s,
        "batch_error": summary.batch.error,
        "live_vs_batch_wer": summary.wer.between,
        "wer_batch": summary.wer.batch,
        "wer_live": summary.wer.realtime,
    }
    try:
        figures["kept"] = str(keep(summary, DataPaths(settings.data_dir).comparisons))
    except OSError as exc:
        print(f"{PROG}: could not keep this comparison in the history: {exc}", file=sys.stderr)
    return figures


def _summary(figures: dict[str, Any]) -> None:
    p50, p95 = figures["final_lag_p50_s"], figures["final_lag_p95_s"]
    lags = f"; finals trailed the audio by {p50:.1f} s (p50), {p95:.1f} s (p95)" if p50 else ""
    print(
        f"{PROG}: {figures['words']} words in {figures['audio_s']:.1f} s of audio{lags}"
        + (f"; audio kept in {', '.join(figures['recordings'])}" if figures["recordings"] else ""),
        file=sys.stderr,
    )
    compared = figures.get("compare")
    if compared and compared.get("kept"):
        print(
            f"{PROG}: the comparison is kept in {compared['kept']} (h in the dashboard)",
            file=sys.stderr,
        )
