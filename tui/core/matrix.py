"""A comparison matrix: operating points × ``max_delay`` × engines on the same audio, each
configuration's latency, accuracy and cost, the Pareto front of latency against WER, and a
verdict. Headless: what runs the configurations is ``tui.core.matrix_run``.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal
from urllib.parse import urlparse

from tui.settings import Prices

MODELS = ("standard", "enhanced")
MIN_DELAY, MAX_DELAY = 0.7, 4.0
Mode = Literal["batch", "realtime"]


class MatrixInputError(ValueError):
    """A matrix option that cannot run, with what to give instead."""


@dataclass(frozen=True, order=True)
class Configuration:
    """One side of the matrix: a mode, an operating point, a target and (real time) a delay."""

    mode: Mode
    model: str
    target: str  # "local", "speechmatics" or a URL
    max_delay: float | None = None

    @property
    def label(self) -> str:
        """``realtime enhanced 1s local``."""
        delay = f" {self.max_delay:g}s" if self.max_delay is not None else ""
        return f"{self.mode} {self.model}{delay} {target_label(self.target)}"


def target_label(target: str) -> str:
    """A target as a table shows it: ``local``, ``speechmatics``, or a URL's host."""
    return target if target in ("local", "speechmatics") else (urlparse(target).netloc or target)


def parse_models(text: str) -> list[str]:
    """``standard,enhanced`` → the operating points, each known."""
    models = _items(text)
    unknown = [m for m in models if m not in MODELS]
    if unknown or not models:
        raise MatrixInputError(
            f"unknown model {', '.join(unknown) or '(none)'}: give standard, enhanced or both "
            "(--model standard,enhanced)"
        )
    return list(dict.fromkeys(models))


def parse_delays(text: str) -> list[float]:
    """``0.7,1,2`` → the ``max_delay`` values, each within 0.7–4 s."""
    delays = []
    for item in _items(text):
        try:
            value = float(item)
        except ValueError:
            raise MatrixInputError(f"--max-delay {item!r} is not a number of seconds") from None
        if not MIN_DELAY <= value <= MAX_DELAY:
            raise MatrixInputError(
                f"--max-delay {item} is outside {MIN_DELAY:g}–{MAX_DELAY:g} s, the range the "
                "real-time API accepts"
            )
        delays.append(value)
    if not delays:
        raise MatrixInputError("--max-delay needs at least one value (--max-delay 0.7,2)")
    return list(dict.fromkeys(delays))


def parse_targets(text: str) -> list[str]:
    """``local,speechmatics,https://host/v2`` → the targets, each a name or a URL."""
    targets = []
    for item in _items(text):
        if item in ("local", "speechmatics"):
            targets.append(item)
            continue
        url = urlparse(item)
        if url.scheme not in ("http", "https", "ws", "wss") or not url.netloc:
            raise MatrixInputError(
                f"--target {item!r} is not local, speechmatics or a URL "
                "(http://host:port/v2 or wss://host/v2)"
            )
        targets.append(item.rstrip("/"))
    if not targets:
        raise MatrixInputError("--target needs at least one of local, speechmatics or a URL")
    return list(dict.fromkeys(targets))


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def expand(
    models: Sequence[str], delays: Sequence[float], targets: Sequence[str]
) -> list[Configuration]:
    """Batch once per model and target; real time once per model, ``max_delay`` and target."""
    out = [Configuration("batch", model, target) for target in targets for model in models]
    out += [
        Configuration("realtime", model, target, delay)
        for target in targets
        for model in models
        for delay in delays
    ]
    return out


def estimate_s(configurations: Sequence[Configuration], audio_s: float, repeat: int) -> float:
    """How long the matrix will take, roughly: each real-time run streams the audio at 1x
    (plus its finals), each batch run a fraction of it, all one after another."""
    realtime = sum(1 for c in configurations if c.mode == "realtime")
    batch = len(configurations) - realtime
    return repeat * (realtime * (audio_s + 3.0) + batch * (0.5 * audio_s + 5.0))


def price_per_hour(prices: Prices, configuration: Configuration) -> float | None:
    """The price of an hour of audio in this configuration: nothing on the local engine (its
    cost is its compute), the settings' price elsewhere (None: not set)."""
    if configuration.target == "local":
        return 0.0
    return prices.of(configuration.mode, configuration.model)


@dataclass
class Run:
    """One run of one configuration on one file."""

    latency_p50_s: float | None = None
    latency_p95_s: float | None = None
    first_partial_s: float | None = None
    transcript: str = ""
    compute_s: float | None = None
    audio_s: float = 0.0
    errors: list[str] = field(default_factory=list)


@dataclass
class Figures:
    """A configuration's figures over its runs: medians, and the spread (least–most) where
    the run was repeated."""

    configuration: Configuration
    latency_p50_s: float | None = None
    latency_p95_s: float | None = None
    first_partial_s: float | None = None
    wer: float | None = None
    wer_against: str = ""  # "reference", or the configuration whose transcript stood in for it
    compute_s: float | None = None
    cost_usd: float | None = None
    errors: list[str] = field(default_factory=list)
    runs: int = 0
    spread: dict[str, list[float]] = field(default_factory=dict)  # figure → [least, most]

    def to_json(self) -> dict[str, Any]:
        """As ``--json`` writes it, under ``configurations``."""
        c = self.configuration
        body = asdict(self)
        del body["configuration"]
        return {
            "mode": c.mode,
            "model": c.model,
            "max_delay": c.max_delay,
            "target": c.target,
        } | body

    @property
    def ok(self) -> bool:
        """Measured without an error, with a latency and a WER to place it."""
        return not self.errors and self.latency_p50_s is not None and self.wer is not None


def summarise(
    configuration: Configuration,
    runs: Sequence[Run],
    wers: Sequence[float | None],
    prices: Prices,
    wer_against: str,
) -> Figures:
    """A configuration's figures from its runs (and each run's WER)."""
    figures = Figures(configuration, runs=len(runs), wer_against=wer_against)
    figures.errors = list(dict.fromkeys(e for run in runs for e in run.errors))
    measured: dict[str, list[float]] = {
        "latency_p50_s": [r.latency_p50_s for r in runs if r.latency_p50_s is not None],
        "latency_p95_s": [r.latency_p95_s for r in runs if r.latency_p95_s is not None],
        "first_partial_s": [r.first_partial_s for r in runs if r.first_partial_s is not None],
        "wer": [w for w in wers if w is not None],
        "compute_s": [r.compute_s for r in runs if r.compute_s is not None],
    }
    for name, values in measured.items():
        if values:
            setattr(figures, name, round(statistics.median(values), 3))
            if len(values) > 1:
                figures.spread[name] = [round(min(values), 3), round(max(values), 3)]
    price = price_per_hour(prices, configuration)
    audio_s = statistics.median([r.audio_s for r in runs]) if runs else 0.0
    if price is not None:
        figures.cost_usd = round(price * audio_s / 3600, 5)
    return figures


def pareto_front(figures: Sequence[Figures]) -> list[Figures]:
    """The configurations no other beats on both latency (p50) and WER, fastest first."""
    placed = [f for f in figures if f.ok]
    front = [
        f
        for f in placed
        if not any(
            _le(o.latency_p50_s, f.latency_p50_s)
            and _le(o.wer, f.wer)
            and (_lt(o.latency_p50_s, f.latency_p50_s) or _lt(o.wer, f.wer))
            for o in placed
        )
    ]
    return sorted(front, key=lambda f: (f.latency_p50_s or 0.0, f.wer or 0.0))


def _le(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and a <= b


def _lt(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and a < b


def verdict(figures: Sequence[Figures], within_points: float = 2.0) -> list[str]:
    """The fastest configuration within ``within_points`` of the best WER, and the cheapest
    (by price, then by compute)."""
    placed = [f for f in figures if f.ok]
    if not placed:
        return ["No configuration was measured without an error: nothing to choose from."]
    best = min(f.wer or 0.0 for f in placed)
    close = [f for f in placed if (f.wer or 0.0) <= best + within_points / 100]
    fastest = min(close, key=lambda f: (f.latency_p50_s or 0.0, f.wer or 0.0))
    lines = [
        f"Fastest within {within_points:g} points of the best WER ({best:.1%}): "
        f"{fastest.configuration.label} (latency p50 {fastest.latency_p50_s:.2f} s, "
        f"WER {fastest.wer:.1%})."
    ]
    priced = [f for f in placed if f.cost_usd is not None]
    if priced:
        cheapest = min(
            priced,
            key=lambda f: (
                f.cost_usd or 0.0,
                f.compute_s if f.compute_s is not None else float("inf"),  # unknown: not cheap
                f.latency_p50_s or 0.0,
            ),
        )
        lines.append(
            f"Cheapest: {cheapest.configuration.label} (${cheapest.cost_usd:.4f}"
            + (f", {cheapest.compute_s:.2f} s of compute" if cheapest.compute_s else "")
            + f", WER {cheapest.wer:.1%})."
        )
    remote = {target_label(f.configuration.target) for f in placed} - {"local"}
    unpriced = sorted(remote - {target_label(f.configuration.target) for f in priced})
    if unpriced:
        lines.append(
            f"No price is set for {', '.join(unpriced)}: set SM_TUI_PRICE_* to compare costs."
        )
    return lines


MODES = {"batch": "batch", "realtime": "realtime", "rt": "realtime", "live": "realtime"}


def parse_side(text: str, default_delay: float, default_target: str) -> Configuration:
    """A side as typed: ``realtime enhanced 2 speechmatics``, ``batch standard``, ``rt
    standard 0.7`` (mode, model, then for real time a ``max_delay``, then a target)."""
    words = text.split()
    if len(words) < 2 or words[0].lower() not in MODES:
        raise MatrixInputError(
            "a side is a mode and a model, then for real time a max_delay, then a target: "
            "realtime enhanced 2 local · batch standard speechmatics"
        )
    mode = MODES[words[0].lower()]
    model = parse_models(words[1].lower())[0]
    rest = words[2:]
    delay: float | None = None
    if mode == "realtime":
        if rest and rest[0].replace(".", "", 1).isdigit():
            delay = parse_delays(rest.pop(0))[0]
        else:
            delay = default_delay
    if len(rest) > 1:
        raise MatrixInputError(
            f"{' '.join(rest)!r}: one target at most (local, speechmatics, a URL)"
        )
    target = parse_targets(rest[0])[0] if rest else default_target
    return Configuration(mode, model, target, delay)  # type: ignore[arg-type]
