"""A synthetic session for engine tests: inputs a state can be cut from and resumed with."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from llm_advisor.core.calendar import Session
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import Advice, Snapshot, ThresholdMultipliers
from llm_advisor.data.synthetic import SyntheticMarket
from llm_advisor.features.snapshot import build_snapshots
from llm_advisor.live.bars import MinuteBars
from llm_advisor.live.engine import StepResult, session_for_config

SYMBOLS = ("AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GGG", "HHH")
START = date(2026, 2, 2)
CUT = 100  # minutes stepped before the state is saved


def day_inputs(
    cfg: StrategyConfig,
) -> tuple[
    Session,
    dict[str, Snapshot],
    dict[str, Any],
    list[tuple[datetime, MinuteBars]],
    list[Advice],
]:
    """The 11th synthetic session (ten days of history before it) for ``SYMBOLS``."""
    bars = SyntheticMarket(5).minute_bars(list(SYMBOLS), START, 11, premarket=False)
    days = SyntheticMarket.session_days(START, 11)
    day = days[-1]
    sess = session_for_config(day, cfg)
    snaps = {s: build_snapshots(s, bars[s], days, cfg)[day] for s in SYMBOLS}
    seeds: dict[str, Any] = {}
    frames = {}
    for s in SYMBOLS:
        df: pd.DataFrame = bars[s]
        seeds[s] = df[df.index < sess.open]["close"].to_numpy()[-cfg.rolling_window :]
        frames[s] = df[(df.index >= sess.open) & (df.index < sess.close)]
    minutes = []
    for i in range(sess.minutes):
        t = sess.open + timedelta(minutes=i)
        rows = [frames[s].loc[t] if t in frames[s].index else None for s in SYMBOLS]
        cols = [
            np.array([np.nan if r is None else float(r[c]) for r in rows])
            for c in ("open", "high", "low", "close", "volume")
        ]
        minutes.append((t, MinuteBars(*cols)))
    tight = ThresholdMultipliers(mr_arm=0.7, mr_trigger=0.7, tc_arm=0.7, tc_trigger=0.7)
    advices = [
        Advice(as_of=sess.open + timedelta(minutes=m), multipliers=tight, source="test")
        for m in range(0, sess.minutes, 15)
    ]
    return sess, snaps, seeds, minutes, advices


def outcome(results: Sequence[StepResult]) -> dict[str, list[Any]]:
    """Everything the engine emitted, JSON-safe, for exact comparison."""
    return {
        "transitions": [
            [t.timestamp.isoformat(), t.symbol, t.old_state, t.new_state, t.reason]
            for r in results
            for t in r.transitions
        ],
        "signals": [
            [s.client_order_id, s.status, s.reject_reason, s.qty, s.stop_price, s.target_price]
            for r in results
            for s in r.signals
        ],
        "fills": [
            [f.client_order_id, f.leg, f.qty, str(f.price), f.timestamp.isoformat()]
            for r in results
            for f in r.fills
        ],
        "trades": [
            [t.client_order_id, str(t.pnl), t.exit_reason.value] for r in results for t in r.trades
        ],
        "cancelled": [c for r in results for c in r.cancelled],
    }
