"""Regular-session filtering and aggregation of 1-minute bars into 5-minute, hourly and
daily bars, with buckets aligned to each session's open (09:30 NY, from the calendar).

Vectorized with ``np.*.reduceat`` so a year of minute bars aggregates in milliseconds:
replay computes a snapshot for every session of every symbol.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from llm_advisor.core.calendar import is_session, make_session

NS_PER_MIN = 60_000_000_000
NS_PER_DAY = 86_400 * 1_000_000_000
EPOCH = date(1970, 1, 1)


@lru_cache(maxsize=8192)
def _session_bounds(day: date) -> tuple[int, int] | None:
    if not is_session(day):
        return None
    s = make_session(day)
    return int(pd.Timestamp(s.open).value), int(pd.Timestamp(s.close).value)


@dataclass(frozen=True)
class SessionBars:
    """Regular-session minute bars of one symbol as flat arrays, with each bar's session."""

    ts: NDArray[np.int64]  # bar start, ns since epoch UTC
    open: NDArray[np.float64]
    high: NDArray[np.float64]
    low: NDArray[np.float64]
    close: NDArray[np.float64]
    volume: NDArray[np.float64]
    session_day: NDArray[np.int64]  # ordinal of the session date
    minute: NDArray[np.int64]  # minutes since that session's open


def regular_session(df: pd.DataFrame) -> SessionBars:
    """Keep bars whose start lies in [open, close) of an XNYS session.

    A US regular session never crosses UTC midnight (09:30-16:00 NY is 13:30-21:00 UTC at
    the latest), so each bar's candidate session is its UTC calendar day: integer
    arithmetic instead of a time-zone conversion of every row.
    """
    if df.empty:
        e = np.empty(0)
        ei = np.empty(0, dtype=np.int64)
        return SessionBars(ei, e, e, e, e, e, ei, ei)
    ts = pd.DatetimeIndex(df.index).asi8.astype(np.int64)
    utc_day = ts // NS_PER_DAY
    if ts.size > 1 and bool(np.all(ts[1:] > ts[:-1])):
        # sorted input (every loaded bar file): unique days from the change points
        change = np.concatenate(([True], utc_day[1:] != utc_day[:-1]))
        uniq = utc_day[change]
        inv = np.cumsum(change) - 1
    else:
        uniq, inv = np.unique(utc_day, return_inverse=True)
    opens = np.full(uniq.size, -1, dtype=np.int64)
    closes = np.full(uniq.size, -1, dtype=np.int64)
    ords = np.zeros(uniq.size, dtype=np.int64)
    for i, d in enumerate(uniq.tolist()):
        day = EPOCH + timedelta(days=int(d))
        ords[i] = day.toordinal()
        b = _session_bounds(day)
        if b is not None:
            opens[i], closes[i] = b
    o = opens[inv]
    c = closes[inv]
    keep = (o >= 0) & (ts >= o) & (ts < c)
    return SessionBars(
        ts=ts[keep],
        open=df["open"].to_numpy(np.float64)[keep],
        high=df["high"].to_numpy(np.float64)[keep],
        low=df["low"].to_numpy(np.float64)[keep],
        close=df["close"].to_numpy(np.float64)[keep],
        volume=df["volume"].to_numpy(np.float64)[keep],
        session_day=ords[inv][keep],
        minute=((ts - o) // NS_PER_MIN)[keep],
    )


@dataclass(frozen=True)
class Aggregated:
    """OHLCV bars of a coarser timeframe; ``session_day`` says which session each is in."""

    ts: NDArray[np.int64]
    open: NDArray[np.float64]
    high: NDArray[np.float64]
    low: NDArray[np.float64]
    close: NDArray[np.float64]
    volume: NDArray[np.float64]
    session_day: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.ts.size)

    def count_before(self, day: date) -> int:
        """How many bars belong to sessions strictly before ``day`` (rows are sorted)."""
        return int(np.searchsorted(self.session_day, day.toordinal(), side="left"))


def aggregate(bars: SessionBars, minutes: int | None) -> Aggregated:
    """Aggregate into buckets of ``minutes`` from each session's open; None = whole session."""
    n = bars.ts.size
    if n == 0:
        e = np.empty(0)
        ei = np.empty(0, dtype=np.int64)
        return Aggregated(ei, e, e, e, e, e, ei)
    bucket = np.zeros(n, dtype=np.int64) if minutes is None else bars.minute // minutes
    key = bars.session_day * 100_000 + bucket
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    ends = np.concatenate((starts[1:], [n])) - 1
    first_min = bars.minute[starts]
    bucket_start_min = first_min if minutes is None else (first_min // minutes) * minutes
    session_open = bars.ts[starts] - first_min * NS_PER_MIN
    ts = session_open + (0 if minutes is None else 1) * bucket_start_min * NS_PER_MIN
    return Aggregated(
        ts=ts.astype(np.int64),
        open=bars.open[starts],
        high=np.maximum.reduceat(bars.high, starts),
        low=np.minimum.reduceat(bars.low, starts),
        close=bars.close[ends],
        volume=np.add.reduceat(bars.volume, starts),
        session_day=bars.session_day[starts],
    )


def daily_from_frame(daily: pd.DataFrame) -> Aggregated:
    """Adapt a daily file (index of dates) to ``Aggregated`` for the snapshot code."""
    idx = pd.DatetimeIndex(pd.to_datetime(daily.index))
    days = np.array([d.toordinal() for d in idx.date], dtype=np.int64)
    order = np.argsort(days, kind="stable")
    return Aggregated(
        ts=idx.asi8.astype(np.int64)[order],
        open=daily["open"].to_numpy(np.float64)[order],
        high=daily["high"].to_numpy(np.float64)[order],
        low=daily["low"].to_numpy(np.float64)[order],
        close=daily["close"].to_numpy(np.float64)[order],
        volume=daily["volume"].to_numpy(np.float64)[order],
        session_day=days[order],
    )


def run_starts(*keys: NDArray[np.int64] | NDArray[np.int32]) -> NDArray[np.intp]:
    """Where a run of equal keys begins (row 0 and every row where any key changes)."""
    if keys[0].size == 0:
        return np.empty(0, dtype=np.intp)
    change = keys[0][1:] != keys[0][:-1]
    for k in keys[1:]:
        change |= k[1:] != k[:-1]
    starts = np.flatnonzero(change)
    starts += 1
    return np.concatenate((np.zeros(1, dtype=starts.dtype), starts))


@dataclass(frozen=True)
class GroupedBars:
    """Bars of many symbols, each symbol's bars one run in time order (``code`` = column)."""

    code: NDArray[np.int32]
    high: NDArray[np.float64]
    low: NDArray[np.float64]
    close: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.code.size)

    def coarser(self, starts: NDArray[np.intp]) -> GroupedBars:
        """Merge the runs beginning at ``starts``: max high, min low, last close, which give
        the same bits as aggregating the minutes directly (max, min and last are exact)."""
        if starts.size == 0:
            return self
        ends = np.concatenate((starts[1:], [self.code.size])) - 1
        return GroupedBars(
            code=self.code[starts],
            high=np.maximum.reduceat(self.high, starts),
            low=np.minimum.reduceat(self.low, starts),
            close=self.close[ends],
        )


@dataclass(frozen=True)
class SessionAggregates:
    """One session's regular-session bars of many symbols, as ``aggregate`` would give
    them per symbol (high, low, close: all the snapshots read): the session is the unit, so
    aggregating a history session by session equals aggregating it whole."""

    five: GroupedBars
    hourly: GroupedBars
    daily: GroupedBars


def aggregate_session(
    code: NDArray[np.int32],
    ts: NDArray[np.int64],
    high: NDArray[np.float64],
    low: NDArray[np.float64],
    close: NDArray[np.float64],
    day: date,
) -> SessionAggregates:
    """Aggregate one New York date's bars of many symbols (each symbol one run, in time
    order) into 5-minute, hourly and daily bars of the regular session, buckets from its
    open. A day that is no session has none (``regular_session`` keeps no bar of it)."""
    bounds = _session_bounds(day)
    keep: NDArray[np.bool_]
    if bounds is None:
        keep = np.zeros(ts.size, dtype=np.bool_)
        open_ns = 0
    else:
        open_ns, close_ns = bounds
        keep = (ts >= open_ns) & (ts < close_ns)
    if not keep.all():
        code, ts, high, low, close = code[keep], ts[keep], high[keep], low[keep], close[keep]
    # floor(floor(x / 1 min) / 5) = floor(x / 5 min) for x >= 0: the minute's bucket
    bucket = (ts - open_ns) // (5 * NS_PER_MIN)
    by_five = run_starts(code, bucket)
    five = GroupedBars(code, high, low, close).coarser(by_five)
    hour = bucket[by_five] // 12
    return SessionAggregates(
        five=five,
        hourly=five.coarser(run_starts(five.code, hour)),
        daily=five.coarser(run_starts(five.code)),
    )
