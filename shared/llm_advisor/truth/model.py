"""The model side of the truth report: the day replayed with the live day's own inputs.

Same engine, same bars (re-fetched after the close, so complete and in order), the same
premarket context (its snapshots and seed closes when given; else built from the bars as
the replay builds them), the stored advice at the times it was made, the stored validation
verdicts, and the live state's start-of-day account figures. Whatever still differs from
the live records is then the live path's doing (late bars, missed ticks, the broker).

The loop is ``replay.runner``'s for one session, through the engine's public protocol
(``begin_session``/``add_advice``/``step_minute``/``end_session``); it is repeated here
because the truth report must hand the engine the live context's snapshots and account,
which the multi-day replay builds for itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import UserError
from llm_advisor.core.models import Advice, MarketView, Signal, Snapshot
from llm_advisor.features.snapshot import build_snapshots
from llm_advisor.live.bars import MinuteBars
from llm_advisor.live.engine import Engine, session_for_config
from llm_advisor.live.schedule import analysis_times
from llm_advisor.live.validation import step_minute
from llm_advisor.replay.runner import Series, session_grid
from llm_advisor.truth.records import ModelDay, SignalRow, TradeRow


@dataclass
class ModelInputs:
    day: date
    config: StrategyConfig
    bars: Mapping[str, pd.DataFrame]  # 1-minute bars, the history before the day included
    advices: Sequence[Advice] = ()
    verdicts: Mapping[str, bool | None] = field(default_factory=dict)
    snapshots: Mapping[str, Snapshot] | None = None  # the premarket context's
    daily: Mapping[str, pd.DataFrame] | None = None  # daily bars, when the premarket had them
    biases: Mapping[str, tuple[str, float]] = field(default_factory=dict)
    news_summary: str = ""
    vix: float | None = None
    account: Any = None  # the live state's SessionAccount (sizing from the broker)
    start_equity: Decimal | None = None  # without an account: the replay's starting equity


class StoredAdvice:
    """The analyst of the model: the advice the live run stored, at the time it stored it.

    A scheduled time with nothing stored (the analysis failed or did not run) repeats the
    latest earlier advice, which changes nothing, or a long-stale one, which is neutral:
    exactly what the live engine had."""

    def __init__(self, advices: Sequence[Advice]) -> None:
        self.advices = sorted(advices, key=lambda a: a.as_of)

    def analyze(self, view: MarketView) -> Advice:
        at = view.as_of
        before = [a for a in self.advices if a.as_of <= at]
        if before:
            return before[-1]
        return Advice(as_of=at - timedelta(days=30), source="none")


class StoredVerdicts:
    """The validator of the model: the live run's verdict per signal (None: undecided)."""

    def __init__(self, verdicts: Mapping[str, bool | None]) -> None:
        self.verdicts = dict(verdicts)

    def validate(self, signal: Signal, view: MarketView) -> bool | None:
        return self.verdicts.get(signal.client_order_id)


def replay_day(inp: ModelInputs) -> ModelDay:
    """One session through the engine with the live inputs (see the module doc)."""
    cfg = inp.config
    if inp.account is None and inp.start_equity is not None:
        cfg = cfg.model_copy(update={"starting_equity": float(inp.start_equity)})
    symbols = sorted(inp.bars)
    if not symbols:
        raise UserError(f"date={inp.day}: no bars to replay")
    sess = session_for_config(inp.day, cfg)
    series = {s: Series.of(inp.bars[s]) for s in symbols}
    grid, seeds, count = session_grid(series, symbols, sess, cfg.rolling_window)
    if count == 0:
        raise UserError(f"date={inp.day}: the feed returned no session bars for {symbols}")
    snaps = dict(inp.snapshots or {})
    for s in symbols:
        if s not in snaps:
            daily = (inp.daily or {}).get(s)
            snaps[s] = build_snapshots(s, inp.bars[s], [inp.day], cfg, daily)[inp.day]
    engine = Engine(cfg, symbols)
    engine.begin_session(sess, {s: snaps[s] for s in symbols}, seeds, inp.account)
    analyst = StoredAdvice(inp.advices)
    validator = StoredVerdicts(inp.verdicts) if inp.verdicts else None
    biases = dict(inp.biases) or None

    def view_for(as_of: datetime) -> MarketView:
        return engine.market_view(
            as_of, daily_bias=biases, news_summary=inp.news_summary, vix=inp.vix
        )

    out = ModelDay(start_equity=Decimal(str(engine.equity)))
    due = analysis_times(sess, cfg)
    any_bar = ~np.isnan(grid[3]).all(axis=1)
    signals, trades = [], []
    a = 0
    for i in range(sess.minutes):
        minute = sess.open + timedelta(minutes=i)
        while a < len(due) and due[a] <= minute:
            engine.add_advice(analyst.analyze(view_for(due[a])))
            a += 1
        if not any_bar[i]:
            continue
        out.bar_minutes.add(minute)
        mb = MinuteBars(grid[0, i], grid[1, i], grid[2, i], grid[3, i], grid[4, i])
        res, _ = step_minute(engine, minute, mb, validator, view_for)
        signals.extend(res.signals)
        trades.extend(res.trades)
    trades.extend(engine.end_session().trades)
    out.signals = [
        SignalRow(
            s.client_order_id,
            s.symbol,
            s.setup.value,
            s.side.value,
            s.signal_time,
            s.status,
            int(s.qty),
            s.reject_reason,
        )
        for s in signals
    ]
    out.trades = [
        TradeRow(
            client_order_id=t.client_order_id,
            symbol=t.symbol,
            side=t.side.value,
            qty=t.qty,
            entry_time=t.entry_time,
            entry_price=t.entry_price,
            exit_time=t.exit_time,
            exit_price=t.exit_price,
            exit_reason=t.exit_reason.value,
            pnl=t.pnl,
            fees=t.commission,
        )
        for t in trades
    ]
    return out
