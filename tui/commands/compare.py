"""``sm-tui compare``: batch and real-time on the same audio, measured side by side."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.settings import Settings

if TYPE_CHECKING:
    from tui.core.comparison import ComparisonSummary, TextKind

AUDIO_SUFFIXES = {".wav", ".mp3", ".flac", ".ogg", ".m4a", ".aac", ".mp4", ".opus"}


def add_parser(sub: Any) -> None:
    """Register the subcommand."""
    parser = sub.add_parser("compare", help="measure batch against real-time on the same audio")
    parser.add_argument("path", type=Path, help="an audio file, or a folder of them (a benchmark)")
    parser.add_argument("--reference", help="the reference transcript, or a file holding it")
    parser.add_argument(
        "--references", type=Path, help="TSV of file names and transcripts (for a folder)"
    )
    parser.add_argument(
        "--json", type=Path, dest="json_out", help="write every figure and word timing here"
    )
    parser.add_argument(
        "--max-delay",
        default=None,
        help="real-time max_delay (0.7–4 s); several (0.7,2) make a matrix",
    )
    parser.add_argument(
        "--model", help="operating points to compare: standard, enhanced or standard,enhanced"
    )
    parser.add_argument(
        "--target",
        help="engines to compare: local, speechmatics, a URL, or several (local,speechmatics)",
    )
    parser.add_argument(
        "--repeat", type=int, default=None, help="run each configuration N times (medians)"
    )
    parser.add_argument(
        "--within",
        type=float,
        default=2.0,
        help="the verdict's fastest configuration is within this many WER points of the best",
    )


def is_matrix(args: argparse.Namespace) -> bool:
    """More than the two default sides: any of --model, --target, --repeat, or several
    --max-delay values."""
    delays = [d for d in str(args.max_delay or "").split(",") if d.strip()]
    return bool(args.model or args.target or args.repeat or len(delays) > 1)


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
    return [path]


def _check_inputs(files: list[Path], references: Path | None) -> str | None:
    """What is wrong with the inputs, checked before any engine starts; None if nothing."""
    from tui.core.batch import JobInputError, inspect

    if references is not None:
        if not references.is_file():
            return f"--references {references} does not exist"
        try:
            references.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return f"--references {references} cannot be read: {exc}"
    for path in files:
        try:
            inspect(path)
        except JobInputError as exc:
            return f"{exc} (give an audio file: wav, mp3, flac, ogg, m4a…)"
    return None


def run_compare(args: argparse.Namespace, settings: Settings) -> int:
    """Compare one file (a detailed report) or a folder (one row per file and a summary)."""
    from rich.console import Console

    from tui.core.references import load_references, reference_text

    console = Console(stderr=False)
    if not args.path.exists():
        print(f"sm-tui compare: {args.path} does not exist", file=sys.stderr)
        return 2
    files = _files(args.path)
    if not files:
        print(f"sm-tui compare: no audio files in {args.path}", file=sys.stderr)
        return 2
    problem = _check_inputs(files, args.references)
    if problem:
        print(f"sm-tui compare: {problem}", file=sys.stderr)
        return 2
    refs = load_references(args.references) if args.references else {}
    single = reference_text(args.reference)
    if is_matrix(args):
        from tui.commands.matrix import run_matrix_command

        return run_matrix_command(args, settings, files, refs, single, console)
    try:
        max_delay = float(args.max_delay) if args.max_delay else settings.max_delay
    except ValueError:
        max_delay = -1.0
    if not 0.7 <= max_delay <= 4.0:
        print("sm-tui compare: --max-delay must be between 0.7 and 4", file=sys.stderr)
        return 2
    try:
        summaries = asyncio.run(
            _run(settings, files, refs, single, max_delay, console, args.path.is_dir())
        )
    except RuntimeError as exc:
        print(f"sm-tui compare: {exc}", file=sys.stderr)
        return 1
    if args.json_out:
        jsons = [summary.to_json() for summary in summaries]
        body: Any = jsons[0] if len(jsons) == 1 and not args.path.is_dir() else {"files": jsons}
        args.json_out.write_text(
            json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        console.print(f"wrote {args.json_out}")
    return 0


async def _run(
    settings: Settings,
    files: list[Path],
    refs: dict[str, str],
    single: str | None,
    max_delay: float,
    console: Any,
    benchmark: bool,
) -> list[ComparisonSummary]:
    from tui.core.compare import compare
    from tui.core.engine_process import EngineStartError
    from tui.core.history import keep
    from tui.core.report import benchmark_table, report
    from tui.core.target import open_target
    from tui.paths import DataPaths

    if settings.uses_local_engine:
        console.print("[dim]starting the local engine…[/dim]")
    try:
        opened = await asyncio.to_thread(open_target, settings)
    except EngineStartError as exc:
        raise RuntimeError(str(exc)) from exc
    summaries = []
    try:
        for path in files:
            reference = single if single is not None else refs.get(path.name)

            def show(kind: TextKind, text: str, name: str = path.name) -> None:
                if kind != "partial" and not benchmark:
                    console.print(f"[dim]{name} {kind}:[/dim] {text}")

            console.print(f"[bold]{path.name}[/bold]: batch and real-time (paced at 1x)…")
            result = await compare(
                opened.target, path, reference, max_delay, settings.language, show
            )
            summary = result.summary()
            summaries.append(summary)
            try:
                keep(summary, DataPaths(settings.data_dir).comparisons)
            except OSError as exc:
                console.print(f"[yellow]could not keep this comparison in the history: {exc}")
            if not benchmark:
                console.print(report(summary))
        if benchmark:
            console.print(benchmark_table(summaries))
    finally:
        opened.close()
    return summaries
