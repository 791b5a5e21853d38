"""The day's market: synthetic bars in, one completed minute at a time into the stand-in.

Why apart from the driver (``day``): the parity tests and the truth report build the same
bars the day is fed (``synthetic_day_bars``), and the per-minute indexing, the push into the
Alpaca stand-in and the synthetic daily history are data plumbing, not the handler loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

import pandas as pd

from llm_advisor.core.calendar import NY, previous_session


def history_start(day: date, history_sessions: int) -> date:
    d = day
    for _ in range(history_sessions):
        d = previous_session(d)
    return d


def synthetic_day_bars(
    day: date, symbols: Sequence[str], seed: int, history_sessions: int
) -> dict[str, pd.DataFrame]:
    """``history_sessions`` sessions before ``day`` and ``day`` itself (premarket included):
    exactly what the replay side of the parity test is given."""
    from llm_advisor.data.synthetic import SyntheticMarket

    start = history_start(day, history_sessions)
    return SyntheticMarket(seed).minute_bars(list(symbols), start, history_sessions + 1)


def _ny(day: date, t: time) -> datetime:
    return datetime.combine(day, t, tzinfo=NY).astimezone(UTC)


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


Rows = dict[datetime, tuple[float, float, float, float, float]]


def _by_minute(frames: Mapping[str, pd.DataFrame]) -> dict[str, Rows]:
    out: dict[str, Rows] = {}
    for sym, f in frames.items():
        idx = pd.DatetimeIndex(f.index)
        cols = [f[c].to_numpy(dtype=float) for c in ("open", "high", "low", "close", "volume")]
        out[sym] = {
            ts.to_pydatetime(): (
                float(cols[0][i]),
                float(cols[1][i]),
                float(cols[2][i]),
                float(cols[3][i]),
                float(cols[4][i]),
            )
            for i, ts in enumerate(idx)
        }
    return out


def _push(exchange: Any, rows: Mapping[str, Rows], minute: datetime) -> None:
    """The bars that started at ``minute`` complete: the stand-in stores and fills them."""
    for sym in sorted(rows):
        bar = rows[sym].get(minute)
        if bar is not None:
            exchange.push_bar(sym, minute, *bar)


def _load_daily(
    exchange: Any, frames: Mapping[str, pd.DataFrame], sessions: int, seed: int, day: date
) -> dict[str, pd.DataFrame]:
    """Synthetic daily bars before the minute history, one bar per session at its close
    (data API only), joined to each symbol's first minute open."""
    if sessions <= 0:
        return {}
    from llm_advisor.data.synthetic import daily_history

    first = min(pd.DatetimeIndex(f.index).min() for f in frames.values())
    before = first.tz_convert(NY).date() if first.tzinfo else first.date()
    anchors = {s: float(f["open"].iloc[0]) for s, f in frames.items() if len(f)}
    daily = daily_history(sorted(frames), min(before, day), sessions, seed, anchors)
    for sym, d in daily.items():
        at = pd.DatetimeIndex(d.index).tz_localize(NY) + pd.Timedelta(hours=16)
        exchange.load_history(sym, d.set_axis(at.tz_convert(UTC)))
    return daily


def _frame(rows: Sequence[tuple[datetime, tuple[float, ...]]]) -> pd.DataFrame:
    idx = pd.DatetimeIndex([t for t, _ in rows], tz=UTC, name="timestamp")
    cols = ("open", "high", "low", "close", "volume")
    return pd.DataFrame([list(b) for _, b in rows], index=idx, columns=list(cols), dtype=float)
