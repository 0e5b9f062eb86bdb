"""The comparison matrix on constructed figures: expansion, input checks, medians and spread,
cost, the Pareto front and the verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.core.matrix import (
    Configuration,
    Figures,
    MatrixInputError,
    Run,
    expand,
    pareto_front,
    parse_delays,
    parse_models,
    parse_targets,
    summarise,
    verdict,
)
from tui.settings import Prices, Settings


def test_batch_once_per_model_and_target_real_time_per_delay_too() -> None:
    configurations = expand(["standard", "enhanced"], [0.7, 2.0], ["local"])
    assert [c.label for c in configurations] == [
        "batch standard local",
        "batch enhanced local",
        "realtime standard 0.7s local",
        "realtime standard 2s local",
        "realtime enhanced 0.7s local",
        "realtime enhanced 2s local",
    ]
    assert len(expand(["standard"], [1.0], ["local", "speechmatics"])) == 4


@pytest.mark.parametrize(
    ("parse", "text", "named"),
    [
        (parse_models, "standard,turbo", "unknown model turbo"),
        (parse_delays, "0.5", "outside 0.7–4"),
        (parse_delays, "fast", "not a number"),
        (parse_targets, "ftp://host", "not local, speechmatics or a URL"),
        (parse_targets, ",", "at least one"),
    ],
)
def test_bad_options_are_named_with_what_to_give(parse: object, text: str, named: str) -> None:
    with pytest.raises(MatrixInputError, match=named):
        parse(text)  # type: ignore[operator]


def test_options_parse_in_order_without_repeats() -> None:
    assert parse_models("enhanced, standard,enhanced") == ["enhanced", "standard"]
    assert parse_delays("0.7,1,0.7,4") == [0.7, 1.0, 4.0]
    assert parse_targets("local,http://10.0.0.5:8900/v2/") == ["local", "http://10.0.0.5:8900/v2"]


def test_repeats_give_medians_with_their_spread_and_cost_by_the_hour() -> None:
    config = Configuration("realtime", "enhanced", "speechmatics", 1.0)
    runs = [
        Run(latency_p50_s=0.9, latency_p95_s=1.4, audio_s=1800),
        Run(latency_p50_s=1.1, latency_p95_s=1.6, audio_s=1800),
        Run(latency_p50_s=1.0, latency_p95_s=2.0, audio_s=1800),
    ]
    figures = summarise(
        config, runs, [0.10, 0.12, 0.08], Prices(realtime_enhanced=1.2), "reference"
    )
    assert (figures.latency_p50_s, figures.latency_p95_s, figures.wer) == (1.0, 1.6, 0.1)
    assert figures.spread["latency_p50_s"] == [0.9, 1.1]
    assert figures.cost_usd == 0.6  # half an hour at $1.20
    assert figures.runs == 3
    body = figures.to_json()
    assert (
        body["mode"] == "realtime" and body["max_delay"] == 1.0 and body["target"] == "speechmatics"
    )
    assert summarise(config, runs, [0.1], Prices(), "reference").cost_usd is None
    local = Configuration("batch", "enhanced", "local")
    assert summarise(local, runs, [0.1], Prices(), "reference").cost_usd == 0.0


def figures(label: str, latency: float | None, wer: float | None, **more: object) -> Figures:
    mode, model, delay = label.split()
    config = Configuration(mode, model, "local", float(delay) if delay != "-" else None)  # type: ignore[arg-type]
    return Figures(config, latency_p50_s=latency, wer=wer, **more)  # type: ignore[arg-type]


def test_the_pareto_front_holds_only_what_nothing_beats_on_both() -> None:
    rows = [
        figures("realtime standard 0.7", 0.8, 0.20),
        figures("realtime standard 2", 1.5, 0.15),
        figures("realtime enhanced 2", 2.0, 0.16),  # slower and worse than standard 2
        figures("batch enhanced -", 6.0, 0.05),
        figures("realtime enhanced 0.7", 0.9, 0.20),  # slower than standard 0.7, same WER
        figures("realtime enhanced 1", 0.5, None, errors=["invalid_model"]),  # failed
    ]
    front = pareto_front(rows)
    assert [f.configuration.label for f in front] == [
        "realtime standard 0.7s local",
        "realtime standard 2s local",
        "batch enhanced local",
    ]


def test_the_verdict_names_the_fastest_near_the_best_and_the_cheapest() -> None:
    rows = [
        figures("realtime standard 0.7", 0.8, 0.09, cost_usd=0.0, compute_s=5.0),
        figures("realtime enhanced 2", 1.8, 0.07, cost_usd=0.0, compute_s=12.0),
        figures("batch enhanced -", 6.0, 0.06, cost_usd=0.0, compute_s=3.0),
    ]
    said = verdict(rows, within_points=2)
    assert said[0].startswith(
        "Fastest within 2 points of the best WER (6.0%): realtime enhanced 2s"
    )
    assert said[1].startswith("Cheapest: batch enhanced local")
    assert verdict(rows, within_points=5)[0].split(": ")[1].startswith("realtime standard 0.7s")
    assert "nothing to choose" in verdict([figures("batch enhanced -", None, None)])[0]


def test_prices_come_from_the_settings_and_have_no_default() -> None:
    assert Settings.from_mapping({}).prices == Prices()
    set_ = Settings.from_mapping({"SM_TUI_PRICE_BATCH_ENHANCED": "0.8"}).prices
    assert set_.of("batch", "enhanced") == 0.8 and set_.of("realtime", "standard") is None


def test_a_side_is_typed_as_mode_model_delay_target() -> None:
    from tui.core.matrix import parse_side

    assert parse_side("realtime enhanced 2 speechmatics", 1.0, "local") == Configuration(
        "realtime", "enhanced", "speechmatics", 2.0
    )
    assert parse_side("rt standard", 1.0, "local") == Configuration(
        "realtime", "standard", "local", 1.0
    )
    assert parse_side("batch standard", 1.0, "local").max_delay is None
    for bad, named in (
        ("fast", "a side is a mode"),
        ("rt turbo", "unknown model"),
        ("rt standard 9", "outside"),
        ("batch standard a b", "one target"),
    ):
        with pytest.raises(MatrixInputError, match=named):
            parse_side(bad, 1.0, "local")


async def test_a_configuration_that_fails_keeps_its_error_and_the_rest_still_run(
    tmp_path: object,
) -> None:
    """Every configuration runs even when the ones before it failed; each failure is said
    in its own row (here: an engine that is not there)."""
    import numpy as np

    from tui.core.matrix_run import FileAudio, Matrix, run_matrix
    from tui.core.target import EngineTarget, OpenedTarget

    gone = EngineTarget("http://127.0.0.1:9/v2", "ws://127.0.0.1:9/v2", "k", "gone")
    sides = expand(["standard"], [0.7, 2.0], ["local"])
    file = FileAudio(Path("nothing.wav"), np.zeros(1600, dtype=np.int16), "hello")
    matrix = Matrix(sides, [file])
    said: list[str] = []
    await run_matrix(matrix, {"local": OpenedTarget(gone)}, Settings(), 1, said.append)
    figures = matrix.figures(Settings())
    assert [f.configuration for f in figures] == sides
    assert all(f.errors and not f.ok for f in figures)
    assert len([s for s in said if s.startswith("  failed")]) == 3
    assert "nothing to choose" in verdict(figures)[0]


def test_a_configuration_whose_compute_is_unknown_is_not_the_cheapest() -> None:
    rows = [
        figures("realtime enhanced 2", 3.0, 0.0, cost_usd=0.0, compute_s=None),
        figures("realtime enhanced 0.7", 1.0, 0.0, cost_usd=0.0, compute_s=9.0),
    ]
    assert "Cheapest: realtime enhanced 0.7s" in verdict(rows)[1]
