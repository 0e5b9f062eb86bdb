"""``sm-tui compare`` with more than two sides: operating points × ``max_delay`` × engines on
the same audio, in one table, one plot and a verdict (``--model``, ``--max-delay 0.7,2``,
``--target``, ``--repeat``)."""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from tui.settings import Settings


def _fail(message: str, code: int = 2) -> int:
    print(f"sm-tui compare: {message}", file=sys.stderr)
    return code


def run_matrix_command(
    args: argparse.Namespace,
    settings: Settings,
    files: list[Path],
    refs: dict[str, str],
    single: str | None,
    console: Any,
) -> int:
    """Check every option, say how long it will take, run the matrix (ctrl+c keeps what
    finished), then print the table, the plot and the verdict, write ``--json`` and keep it
    in the history."""
    from tui.core.matrix import (
        MatrixInputError,
        estimate_s,
        expand,
        parse_delays,
        parse_models,
        parse_targets,
    )
    from tui.core.matrix_run import FileAudio, Matrix

    try:
        models = parse_models(args.model or settings.rt_operating_point)
        delays = parse_delays(str(args.max_delay or settings.max_delay))
        targets = parse_targets(
            args.target or ("local" if settings.uses_local_engine else "speechmatics")
        )
    except MatrixInputError as exc:
        return _fail(str(exc))
    repeat = args.repeat or 1
    if not 1 <= repeat <= 50:
        return _fail("--repeat must be between 1 and 50")
    configurations = expand(models, delays, targets)
    from tui.core.compare import load_pcm

    audio = [
        FileAudio(path, load_pcm(path), single if single is not None else refs.get(path.name))
        for path in files
    ]
    seconds = sum(a.audio_s for a in audio)
    minutes = estimate_s(configurations, seconds, repeat) / 60
    console.print(
        f"{len(configurations)} configurations × {len(audio)} file(s) × {repeat} "
        f"(real time paced at 1x, one run at a time): about {minutes:.0f} min"
    )
    matrix = Matrix(configurations, audio)
    finished = True
    try:
        asyncio.run(_run(matrix, targets, settings, repeat, console))
    except KeyboardInterrupt:
        finished = False
        console.print("[yellow]stopped: the rows finished so far follow[/yellow]")
    except MatrixInputError as exc:
        return _fail(f"{exc}; nothing was run")
    return _report(args, settings, matrix, finished, console)


async def _run(
    matrix: Any, targets: list[str], settings: Settings, repeat: int, console: Any
) -> None:
    from tui.core.matrix_run import open_targets, run_matrix

    def say(text: str) -> None:
        console.print(f"[dim]{text}[/dim]")

    opened = await open_targets(targets, settings, say)
    try:
        await run_matrix(matrix, opened, settings, repeat, say)
    finally:
        for target in opened.values():
            await asyncio.to_thread(target.close)


def _report(
    args: argparse.Namespace, settings: Settings, matrix: Any, finished: bool, console: Any
) -> int:
    from tui.core.history import keep_matrix
    from tui.core.matrix import verdict
    from tui.core.matrix_report import matrix_json, matrix_plot, matrix_table
    from tui.paths import DataPaths

    figures = matrix.figures(settings)
    if not figures:
        console.print("no configuration finished")
        return 1
    names = ", ".join(f.path.name for f in matrix.files)
    console.print(matrix_table(figures, f"{names} · ★ on the Pareto front"))
    width = max(40, min(100, console.width))
    console.print(matrix_plot(figures, width, 18, colour=console.is_terminal), markup=False)
    for line in verdict(figures, args.within):
        console.print(line)
    files = [
        {"file": f.path.name, "audio_s": round(f.audio_s, 3), "reference": f.reference}
        for f in matrix.files
    ]
    command = "sm-tui " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    body = matrix_json(figures, files, command, finished, args.within)
    if args.json_out:
        args.json_out.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", "utf-8")
        console.print(f"wrote {args.json_out}")
    try:
        keep_matrix(body, DataPaths(settings.data_dir).comparisons)
    except OSError as exc:
        console.print(f"[yellow]could not keep this matrix in the history: {exc}")
    return 0 if finished and all(not f.errors for f in figures) else 1
