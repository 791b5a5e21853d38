"""The replay driver: every session in a date range through the one engine.

It only wires data around ``Engine``: a minute grid per session built from the bar files,
the premarket snapshot and seed closes per symbol, the analyst on the session clock, and
the collected events. Live ticks call the very same ``Engine.step`` with the same inputs,
which is what makes live/replay parity testable. A validator, when given, is asked between
``step`` and ``resume`` exactly as the tick asks it (``live.validation.step_minute``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from llm_advisor.core.calendar import Session, make_session, sessions_between
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import UserError
from llm_advisor.core.models import Advice, Fill, Trade, TradePlan
from llm_advisor.core.ports import AnalystPort, TradeValidatorPort
from llm_advisor.core.progress import progress
from llm_advisor.engine import (
    Engine,
    MinuteBars,
    SignalRecord,
    StepResult,
    TransitionRow,
    session_for_config,
)
from llm_advisor.engine.grid import minute_grid, new_grid
from llm_advisor.features.snapshot import build_snapshots
from llm_advisor.live.schedule import analysis_times
from llm_advisor.live.validation import ValidationRecord, step_minute
from llm_advisor.replay.summary import summarize


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


@dataclass(frozen=True)
class Series:
    ts: NDArray[np.int64]
    open: NDArray[np.float64]
    high: NDArray[np.float64]
    low: NDArray[np.float64]
    close: NDArray[np.float64]
    volume: NDArray[np.float64]

    @classmethod
    def of(cls, df: pd.DataFrame) -> Series:
        return cls(
            ts=pd.DatetimeIndex(df.index).asi8.astype(np.int64),
            open=df["open"].to_numpy(np.float64),
            high=df["high"].to_numpy(np.float64),
            low=df["low"].to_numpy(np.float64),
            close=df["close"].to_numpy(np.float64),
            volume=df["volume"].to_numpy(np.float64),
        )


def session_grid(
    series: Mapping[str, Series], symbols: Sequence[str], sess: Session, window: int
) -> tuple[NDArray[np.float64], dict[str, NDArray[np.float64]], int]:
    """The session as a (5, minutes, symbols) OHLCV grid (NaN = no bar), each symbol's
    seed closes (the last ``window`` closes before the open), and the number of bars."""
    open_ns = int(pd.Timestamp(sess.open).value)
    close_ns = int(pd.Timestamp(sess.close).value)
    grid = new_grid(sess.minutes, len(symbols))
    seeds: dict[str, NDArray[np.float64]] = {}
    count = 0
    for j, sym in enumerate(symbols):
        s = series[sym]
        lo = int(np.searchsorted(s.ts, open_ns, side="left"))
        hi = int(np.searchsorted(s.ts, close_ns, side="left"))
        seeds[sym] = s.close[max(0, lo - window) : lo]
        if hi > lo:
            vals = [s.open[lo:hi], s.high[lo:hi], s.low[lo:hi], s.close[lo:hi], s.volume[lo:hi]]
            count += minute_grid(grid, j, s.ts[lo:hi], vals, open_ns)
    return grid, seeds, count


def run_id_for(
    cfg: StrategyConfig, symbols: Sequence[str], start: date, end: date, analyst: str, data: str
) -> str:
    blob = json.dumps(
        [cfg.config_hash(), list(symbols), start.isoformat(), end.isoformat(), analyst, data]
    ).encode()
    return "replay-" + hashlib.sha256(blob).hexdigest()[:16]


def _fingerprint(series: Mapping[str, Series]) -> str:
    h = hashlib.sha256()
    for sym in sorted(series):
        s = series[sym]
        h.update(sym.encode())
        h.update(np.int64(s.ts.size).tobytes())
        if s.ts.size:
            h.update(s.ts[[0, -1]].tobytes())
            h.update(np.float64(s.close.sum()).tobytes())
    return h.hexdigest()[:16]


def _require_session_bars(
    series: Mapping[str, Series], symbols: Sequence[str], sessions: Sequence[date]
) -> None:
    """Refuse inputs that cannot replay to anything meaningful, before any work is done.

    A symbol with no bars at all cannot get a premarket snapshot (the feature code would fail
    with an ``IndexError`` far from the cause); a range whose sessions hold no bar for any
    symbol would report "0 trades" as if the strategy had simply stayed out.
    """
    empty = [s for s in symbols if series[s].ts.size == 0]
    if empty:
        raise UserError(f"symbol(s) {','.join(empty)}: no bars at all")
    first, last = make_session(sessions[0]).open, make_session(sessions[-1]).close
    lo_ns, hi_ns = int(pd.Timestamp(first).value), int(pd.Timestamp(last).value)
    for s in symbols:
        ts = series[s].ts
        if np.searchsorted(ts, hi_ns, side="left") > np.searchsorted(ts, lo_ns, side="left"):
            return
    shown = ",".join(symbols[:10]) + (f",... ({len(symbols)} symbols)" if len(symbols) > 10 else "")
    raise UserError(
        f"no bars for {shown} in the {len(sessions)} XNYS session(s) {sessions[0]}..{sessions[-1]}"
    )


def run_replay(
    config: StrategyConfig,
    bars: Mapping[str, pd.DataFrame],
    start: date,
    end: date,
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
    """Replay every XNYS session in [start, end] for the symbols in ``bars``.

    ``premarket(day)`` (e.g. ``ReplayPremarket``) supplies what the analyst (and the
    validator) knows before each open: the bias model's calls, the news summary, VIX.
    ``validator``: asked about every signal that passed the risk guards (when
    ``config.validation_enabled``); None keeps the spec's replay, at no cost."""
    if not bars:
        raise UserError("no symbols to replay")
    try:
        sessions = sessions_between(start, end)
    except ValueError as exc:  # before/after what the exchange calendar covers
        from llm_advisor.replay.inputs import calendar_words

        raise UserError(f"start={start} end={end}: {calendar_words(exc)}") from None
    if not sessions:
        raise UserError(f"no XNYS sessions between {start} and {end}")
    symbols = sorted(bars)
    series = {s: Series.of(bars[s]) for s in symbols}
    _require_session_bars(series, symbols, sessions)
    engine = Engine(config, symbols)
    snaps = {
        s: build_snapshots(s, bars[s], sessions, config, (daily or {}).get(s)) for s in symbols
    }
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
        # a validated replay is another run; a plain one keeps its id
        run_id=run_id_for(
            config,
            symbols,
            start,
            end,
            name if not vname else f"{name}+validator:{vname}",
            _fingerprint(series),
        ),
    )
    w = config.rolling_window
    for day in progress(sessions, len(sessions), "replay", show_progress):
        sess = session_for_config(day, config)
        grid, seeds, count = session_grid(series, symbols, sess, w)
        result.symbol_bars += count
        engine.begin_session(sess, {sym: snaps[sym][day] for sym in symbols}, seeds)
        due = analysis_times(sess, config) if analyst is not None else []
        pre = premarket(day) if premarket is not None else None
        bias = pre.biases if pre is not None else None
        news = pre.news_summary if pre is not None else ""
        vix = pre.vix if pre is not None else None
        any_bar = ~np.isnan(grid[3]).all(axis=1)

        def view_for(as_of: datetime, b: Any = bias, n: str = news, v: Any = vix) -> Any:
            return engine.market_view(as_of, daily_bias=b, news_summary=n, vix=v)

        a = 0
        for i in range(sess.minutes):
            minute = sess.open + timedelta(minutes=i)
            while a < len(due) and due[a] <= minute:
                assert analyst is not None
                view = engine.market_view(due[a], daily_bias=bias, news_summary=news, vix=vix)
                advice = analyst.analyze(view)
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
        result.add(engine.end_session())
        result.equity_curve.append((sess.close, engine.equity))
        if on_session is not None:
            on_session(day, engine)
    result.summary = summarize(result.trades, result.signals, engine.starting_equity, len(sessions))
    return result
