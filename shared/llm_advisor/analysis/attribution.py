"""Does the analyst help? Three replays of the same sessions, side by side.

1. **neutral**: multipliers 1.0 (no analyst) - the strategy alone;
2. **analyst**: the analyst's advice at its decision times;
3. **shuffled**: the *same* advices, permuted in time (seeded), re-stamped to each decision
   time. If the analyst's edge is real, it comes from *when* it says what; shuffling keeps
   the distribution of multipliers (so "generally more selective" survives) and destroys the
   timing. An analyst that beats neutral but not shuffled is only a constant tilt.

4. **analyst+validator** (when a validator is given): the analyst's recorded advices again,
   with every signal that passed the risk guards reviewed by the validator. Same advices,
   so the column differs from *analyst* by the validator's vetoes alone.

The shuffled and validated runs reuse the advices recorded by the second run, so a paid
model is called once per decision time, not two or three times.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

import pandas as pd

from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import Advice, MarketView, Trade
from llm_advisor.core.money import quantize_cents
from llm_advisor.core.ports import AnalystPort, TradeValidatorPort


@dataclass(frozen=True)
class RunStats:
    label: str
    pnl: Decimal
    trades: int
    win_rate: float | None
    max_drawdown: Decimal
    advices: int
    vetoes: int | None = None  # signals the validator rejected (None: no validator)

    @classmethod
    def from_result(cls, label: str, result: Any, starting_equity: float) -> RunStats:
        trades: list[Trade] = list(result.trades)
        pnl = sum((t.pnl for t in trades), Decimal(0))
        wins = sum(1 for t in trades if t.pnl > 0)
        curve: list[tuple[datetime, Decimal]] = list(result.equity_curve)
        return cls(
            label=label,
            pnl=pnl,
            trades=len(trades),
            win_rate=(wins / len(trades)) if trades else None,
            max_drawdown=max_drawdown([e for _, e in curve], Decimal(str(starting_equity))),
            advices=len(result.advices),
            vetoes=sum(1 for s in result.signals if s.reject_reason == "llm_rejected")
            if getattr(result, "validator", "")
            else None,
        )


def max_drawdown(equity: Sequence[Decimal], start: Decimal) -> Decimal:
    """Largest peak-to-trough fall of the equity curve, in dollars (>= 0)."""
    peak = start
    worst = Decimal(0)
    for e in equity:
        peak = max(peak, e)
        worst = max(worst, peak - e)
    return worst


@dataclass
class CompareReport:
    start: date
    end: date
    analyst: str
    seed: int
    runs: list[RunStats]
    sessions: list[date] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def by_label(self, label: str) -> RunStats:
        return next(r for r in self.runs if r.label == label)

    def render(self) -> str:
        cols = [r.label for r in self.runs]
        rows: list[tuple[str, list[str]]] = [
            ("P/L ($)", [f"{quantize_cents(r.pnl):,.2f}" for r in self.runs]),
            ("trades", [str(r.trades) for r in self.runs]),
            (
                "win rate",
                [f"{r.win_rate * 100:.1f}%" if r.win_rate is not None else "-" for r in self.runs],
            ),
            ("max drawdown ($)", [f"{quantize_cents(r.max_drawdown):,.2f}" for r in self.runs]),
            ("advices", [str(r.advices) for r in self.runs]),
        ]
        if any(r.vetoes is not None for r in self.runs):
            vetoes = ["-" if r.vetoes is None else str(r.vetoes) for r in self.runs]
            rows.append(("validator vetoes", vetoes))
        w0 = max(len(name) for name, _ in rows)
        widths = [max(len(c), *(len(v[i]) for _, v in rows)) for i, c in enumerate(cols)]
        title = (
            f"Attribution {self.start.isoformat()}..{self.end.isoformat()} "
            f"({len(self.sessions)} sessions), analyst={self.analyst}, shuffle seed={self.seed}"
        )
        lines = [
            title,
            " " * w0 + "  " + "  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True)),
        ]
        for name, vals in rows:
            lines.append(
                name.ljust(w0)
                + "  "
                + "  ".join(v.rjust(w) for v, w in zip(vals, widths, strict=True))
            )
        lines.extend(self.notes)
        return "\n".join(lines)


class ShuffledAdvice:
    """Replays a fixed list of advices in a seeded random order, re-stamped to ``as_of``.

    Decision times are the schedule's, so the n-th call of the shuffled run is the n-th
    decision time of the analyst's run; beyond the list it answers neutral.
    """

    def __init__(self, advices: Sequence[Advice], seed: int, interval_minutes: int = 15) -> None:
        order = list(advices)
        random.Random(seed).shuffle(order)
        self._queue = order
        self._i = 0
        self._interval = interval_minutes

    def analyze(self, view: MarketView) -> Advice:
        if self._i >= len(self._queue):
            return Advice(as_of=view.as_of, interval_minutes=self._interval, source="shuffled")
        adv = self._queue[self._i]
        self._i += 1
        return adv.model_copy(update={"as_of": view.as_of, "source": f"shuffled:{adv.source}"})


class RecordedAdvice:
    """The same advices again, in their order (decision times are the schedule's)."""

    def __init__(self, advices: Sequence[Advice], interval_minutes: int = 15) -> None:
        self._queue = list(advices)
        self._i = 0
        self._interval = interval_minutes

    def analyze(self, view: MarketView) -> Advice:
        if self._i >= len(self._queue):
            return Advice(as_of=view.as_of, interval_minutes=self._interval, source="recorded")
        adv = self._queue[self._i]
        self._i += 1
        return adv.model_copy(update={"as_of": view.as_of})


RunReplay = Callable[..., Any]


def _default_run_replay() -> RunReplay:
    # Imported by name: the replay runner depends on the engine, not the other way round.
    module = importlib.import_module("llm_advisor.replay.runner")
    return cast(RunReplay, module.run_replay)


def compare(
    config: StrategyConfig,
    bars: Mapping[str, pd.DataFrame],
    start: date,
    end: date,
    analyst: AnalystPort,
    daily: Mapping[str, pd.DataFrame] | None = None,
    seed: int = 0,
    *,
    analyst_name: str | None = None,
    run_replay: RunReplay | None = None,
    validator: TradeValidatorPort | None = None,
    validator_name: str | None = None,
) -> CompareReport:
    """Run neutral, analyst and shuffled replays over [start, end] and tabulate them; with a
    validator, also the analyst's advices with validation on (``analyst+validator``)."""
    run = run_replay or _default_run_replay()
    base = run(config, bars, start, end, analyst=None, daily=daily)
    with_analyst = run(config, bars, start, end, analyst=analyst, daily=daily)
    shuffled_port = ShuffledAdvice(
        with_analyst.advices, seed, interval_minutes=config.analysis_interval_minutes
    )
    shuffled = run(config, bars, start, end, analyst=shuffled_port, daily=daily)
    eq = config.starting_equity
    runs = [
        RunStats.from_result("neutral", base, eq),
        RunStats.from_result("analyst", with_analyst, eq),
        RunStats.from_result("shuffled", shuffled, eq),
    ]
    if validator is not None:
        recorded = RecordedAdvice(
            with_analyst.advices, interval_minutes=config.analysis_interval_minutes
        )
        vname = validator_name or type(validator).__name__
        validated = run(
            config,
            bars,
            start,
            end,
            analyst=recorded,
            validator=validator,
            validator_name=vname,
            daily=daily,
        )
        runs.append(RunStats.from_result("analyst+validator", validated, eq))
    changed = sum(
        1 for a in with_analyst.advices if a.multipliers.as_tuple() != (1.0, 1.0, 1.0, 1.0)
    )
    notes = [
        f"{changed} of {len(with_analyst.advices)} advices moved a market-wide multiplier "
        "away from 1.0."
    ]
    name = analyst_name or str(getattr(analyst, "provider", type(analyst).__name__))
    return CompareReport(
        start=start,
        end=end,
        analyst=name,
        seed=seed,
        runs=runs,
        sessions=list(getattr(with_analyst, "sessions", [])),
        notes=notes,
    )
