"""The replay driver: every session in a date range through the one engine.

It only wires data around ``Engine``: the sessions come from a ``replay.source`` (a minute
grid, the premarket snapshots and the seed closes per session, from frames in memory or
streamed from the columnar store), the analyst runs on the session clock, and the events
are collected. Live ticks call the very same ``Engine.step`` with the same inputs,
which is what makes live/replay parity testable. A validator, when given, is asked between
``step`` and ``resume`` exactly as the tick asks it (``live.validation.step_minute``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from llm_advisor.core.calendar import sessions_between
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import UserError
from llm_advisor.core.gc_pause import gc_paused
from llm_advisor.core.models import Advice, Fill, Trade, TradePlan
from llm_advisor.core.ports import AnalystPort, TradeValidatorPort
from llm_advisor.core.progress import progress
from llm_advisor.engine import Engine, MinuteBars, SignalRecord, StepResult, TransitionRow
from llm_advisor.live.schedule import analysis_times
from llm_advisor.live.validation import ValidationRecord, step_minute
from llm_advisor.replay.source import Series, SessionInputs, session_grid, source_for
from llm_advisor.replay.summary import summarize

__all__ = ["ReplayResult", "Series", "run_id_for", "run_replay", "session_grid"]


@dataclass
class ReplayResult:
    trades: list[Trade] = field(default_factory=list)
    signals: list[SignalRecord] = field(default_factory=list)
    transitions: list[TransitionRow] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    plans: list[TradePlan] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    advices: list[Advice] = field(default_factory=list)
    equity_curve: list[tuple[datetime, Decimal]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    run_id: str = ""
    config: StrategyConfig = field(default_factory=StrategyConfig)
    sessions: list[date] = field(default_factory=list)
    symbols: list[str] = field(default_factory=list)
    analyst: str = "neutral"
    validator: str = ""  # "" = no validation (the spec's behaviour)
    validations: list[ValidationRecord] = field(default_factory=list)
    start: date | None = None
    end: date | None = None
    symbol_bars: int = 0

    def add(self, r: StepResult) -> None:
        self.transitions.extend(r.transitions)
        self.signals.extend(r.signals)
        self.plans.extend(r.plans)
        self.fills.extend(r.fills)
        self.trades.extend(r.trades)
        self.cancelled.extend(r.cancelled)


def run_id_for(
    cfg: StrategyConfig, symbols: Sequence[str], start: date, end: date, analyst: str, data: str
) -> str:
    blob = json.dumps(
        [cfg.config_hash(), list(symbols), start.isoformat(), end.isoformat(), analyst, data]
    ).encode()
    return "replay-" + hashlib.sha256(blob).hexdigest()[:16]


def run_replay(
    config: StrategyConfig,
    bars: Mapping[str, pd.DataFrame],
    start: date | None = None,
    end: date | None = None,
    analyst: AnalystPort | None = None,
    validator: TradeValidatorPort | None = None,
    daily: Mapping[str, pd.DataFrame] | None = None,
    *,
    analyst_name: str | None = None,
    validator_name: str | None = None,
    premarket: Callable[[date], Any] | None = None,
    show_progress: bool | None = None,
    on_session: Callable[[date, Engine], None] | None = None,
) -> ReplayResult:
    """Replay every XNYS session in [start, end] for the symbols in ``bars``; an omitted
    ``start``/``end`` is the first/last New York date the bars hold.

    ``bars``: one frame per symbol (its whole history), or the ``StoreBars`` that
    ``inputs.from_columnar`` returns, which is streamed from the store a date at a time
    (the same result and run id; memory independent of the number of sessions).
    ``premarket(day)`` (e.g. ``ReplayPremarket``) supplies what the analyst (and the
    validator) knows before each open: the bias model's calls, the news summary, VIX.
    ``validator``: asked about every signal that passed the risk guards (when
    ``config.validation_enabled``); None keeps the spec's replay, at no cost."""
    if not bars:
        raise UserError("no symbols to replay")
    source = source_for(bars, daily)
    if start is None or end is None:
        first, last = source.span()
        start, end = start or first, end or last
    try:
        sessions = sessions_between(start, end)
    except ValueError as exc:  # before/after what the exchange calendar covers
        from llm_advisor.replay.inputs import calendar_words

        raise UserError(f"start={start} end={end}: {calendar_words(exc)}") from None
    if not sessions:
        raise UserError(f"no XNYS sessions between {start} and {end}")
    symbols = source.symbols
    source.check(sessions)
    engine = Engine(config, symbols)
    name = analyst_name or ("neutral" if analyst is None else type(analyst).__name__)
    if not config.validation_enabled:
        validator = None
    vname = "" if validator is None else (validator_name or type(validator).__name__)
    result = ReplayResult(
        config=config,
        sessions=sessions,
        symbols=symbols,
        analyst=name,
        validator=vname,
        start=start,
        end=end,
    )
    with closing(source.stream(sessions, config)) as stream:
        for inp in progress(stream, len(sessions), "replay", show_progress):
            _replay_session(engine, inp, result, config, analyst, validator, premarket)
            if on_session is not None:
                on_session(inp.day, engine)
    # a validated replay is another run; a plain one keeps its id
    result.run_id = run_id_for(
        config,
        symbols,
        start,
        end,
        name if not vname else f"{name}+validator:{vname}",
        source.fingerprint(),
    )
    result.summary = summarize(result.trades, result.signals, engine.starting_equity, len(sessions))
    return result


def _replay_session(
    engine: Engine,
    inp: SessionInputs,
    result: ReplayResult,
    config: StrategyConfig,
    analyst: AnalystPort | None,
    validator: TradeValidatorPort | None,
    premarket: Callable[[date], Any] | None,
) -> None:
    """One session through the engine: the analyst asked at its times, every minute with a
    bar stepped (and checked by the validator when there is one)."""
    sess = inp.session
    result.symbol_bars += inp.bars
    engine.begin_session(sess, inp.snapshots, inp.seeds)
    due = analysis_times(sess, config) if analyst is not None else []
    pre = premarket(inp.day) if premarket is not None else None
    bias = pre.biases if pre is not None else None
    news = pre.news_summary if pre is not None else ""
    vix = pre.vix if pre is not None else None

    def view_for(as_of: datetime, b: Any = bias, n: str = news, v: Any = vix) -> Any:
        return engine.market_view(as_of, daily_bias=b, news_summary=n, vix=v)

    with gc_paused():  # the session's results make no cycles (core/gc_pause.py)
        _minutes(engine, inp, result, analyst, validator, due, view_for)
    result.add(engine.end_session())
    result.equity_curve.append((sess.close, engine.equity))


def _minutes(
    engine: Engine,
    inp: SessionInputs,
    result: ReplayResult,
    analyst: AnalystPort | None,
    validator: TradeValidatorPort | None,
    due: Sequence[datetime],
    view_for: Callable[[datetime], Any],
) -> None:
    """Step every minute of the session that has a bar, asking the analyst when due."""
    sess, grid = inp.session, inp.grid
    any_bar = ~np.isnan(grid[3]).all(axis=1)
    a = 0
    for i in range(sess.minutes):
        minute = sess.open + timedelta(minutes=i)
        while a < len(due) and due[a] <= minute:
            assert analyst is not None
            advice = analyst.analyze(view_for(due[a]))
            engine.add_advice(advice)
            result.advices.append(advice)
            a += 1
        if not any_bar[i]:
            continue
        mb = MinuteBars(grid[0, i], grid[1, i], grid[2, i], grid[3, i], grid[4, i])
        if validator is None:
            result.add(engine.step(minute, mb))
            continue
        res, checked = step_minute(engine, minute, mb, validator, view_for)
        result.add(res)
        result.validations.extend(checked)
