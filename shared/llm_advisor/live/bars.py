"""Live bars: one minute for all symbols as aligned arrays, and how the tick collects them.

``MinuteBars`` (``engine.grid``) is what the engine steps (NaN row = no bar for that symbol).

``collect_minutes`` is how the live tick turns the market-data feed into minutes to step.
It exists because the feed is neither clean nor punctual:

- **Bad bars** (non-finite, zero or negative prices, ``high < low``, open/close outside
  [low, high], negative or non-finite volume, off the minute, outside the session) pass the
  same rules as bar files (``data.bar_checks``). A bad bar is *quarantined*: returned as a
  ``Reject`` for the tick to log, count and store, and never given to the engine; the minute
  is stepped without it (a NaN row, like a minute the symbol did not trade).
- **Late bars.** The tick runs at HH:MM:00 and asks for the minute that just ended; the
  feed may publish some of it a few seconds later.

What ``Engine.last_minute`` means: every minute up to and including it has been stepped,
exactly once, with the bars the feed had published by then; the next tick starts at the
minute after it. So the decision about a minute with missing bars is made once, here:

1. *Wait.* Expected bars are those of the symbols that traded in the minute before the last
   one (a symbol that traded a minute ago very probably trades now). While an expected bar
   of the last minute is missing, poll again for just those symbols, up to
   ``BarWait.seconds`` (sleep and clock injected: tests never sleep).
   The wait ends early once the feed has visibly published the minute: at least
   ``BarWait.published_share`` (default 80%) of the expected bars are in. Alpaca publishes a
   minute's bars together, so the few still missing then are symbols that did not trade
   (common for thin names on the IEX feed); waiting or holding for them would delay every
   symbol's decisions by a minute, most minutes of the day.
2. *Hold.* If fewer than that share of the expected bars are in when the wait is used up,
   the last minute is NOT stepped now: ``last_minute`` stays before it and the next tick
   steps it, in order, with whatever has arrived by then. A minute is held at most once
   (on the next tick it is no longer the last minute) and never at the close, so the
   engine falls at most one tick behind. With ``BarWait.seconds == 0`` (or no ``BarWait``)
   there is no wait and no hold: the tick steps what it finds, which is right where the
   feed is complete before the tick (the local day's stand-in). A minute with no bar at
   all is never stepped as the last minute (there is nothing to step), so it is re-asked
   for on the next tick anyway.
3. *Late.* A bar for a minute already stepped can only be fed out of order, so it never is:
   for ``LATE_WATCH_MINUTES`` stepped minutes the tick remembers which symbols had no bar
   (``watch``, saved with the engine state) and asks the feed for those again; each one
   found is returned as a ``Reject`` with reason ``late`` (logged, counted, stored) once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd

from llm_advisor.core.calendar import Session
from llm_advisor.core.ports import MarketDataPort
from llm_advisor.data.bar_checks import VALUE_COLUMNS, Reject, check_arrays, reject_of
from llm_advisor.engine.grid import NS_MIN, minute_grid, new_grid
from llm_advisor.engine.grid import MinuteBars as MinuteBars  # noqa: PLC0414 - re-export

LATE_WATCH_MINUTES = 5

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Rows = tuple[I64, list[F64]]  # bar start (ns UTC), [open, high, low, close, volume]


@dataclass(frozen=True)
class BarWait:
    """How long the tick waits for the last minute's expected bars (see the module doc)."""

    seconds: float
    sleep: Callable[[float], None]
    monotonic: Callable[[], float]
    poll_seconds: float = 1.0
    published_share: float = 0.8  # this share of expected bars in = the minute is published

    def published(self, missing: npt.NDArray[np.bool_], expected: npt.NDArray[np.bool_]) -> bool:
        """Whether enough of the expected bars are in to call the minute published."""
        n = int(expected.sum())
        return n == 0 or (n - int((missing & expected).sum())) >= self.published_share * n


@dataclass
class Collected:
    """The minutes to step, in order, and what the tick must record about the rest."""

    minutes: list[tuple[datetime, MinuteBars]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)  # bad bars (quarantined)
    late: list[Reject] = field(default_factory=list)  # good bars that came too late
    held: datetime | None = None  # the last minute, left for the next tick
    polls: int = 0
    watch: dict[str, list[str]] = field(default_factory=dict)  # minute -> symbols, no bar


def _floats(df: pd.DataFrame, col: str) -> F64:
    if col not in df.columns:
        return np.full(len(df), np.nan)
    s = df[col]
    if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        s = pd.to_numeric(s, errors="coerce")  # a text or null cell reads as NaN: quarantined
    return np.asarray(s.to_numpy(np.float64, na_value=np.nan), dtype=np.float64)


def rows_of(frames: Mapping[str, pd.DataFrame], symbols: Iterable[str]) -> dict[str, Rows]:
    out: dict[str, Rows] = {}
    for sym in symbols:
        df = frames.get(sym)
        if df is None or df.empty:
            continue
        idx = df.index if isinstance(df.index, pd.DatetimeIndex) else pd.DatetimeIndex(df.index)
        ts = np.asarray(idx.asi8, dtype=np.int64)  # UTC nanoseconds, whatever the zone
        out[sym] = (ts, _values(df))
    return out


def _values(df: pd.DataFrame) -> list[F64]:
    if tuple(df.columns) == VALUE_COLUMNS:  # the usual frame: one block, one conversion
        try:
            block = df.to_numpy(np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            pass
        else:
            return [block[:, k] for k in range(len(VALUE_COLUMNS))]
    return [_floats(df, c) for c in VALUE_COLUMNS]


def _take(rows: Rows, keep: npt.NDArray[np.bool_]) -> Rows:
    return rows[0][keep], [v[keep] for v in rows[1]]


def _merge(rows: dict[str, Rows], more: dict[str, Rows]) -> None:
    for sym, (ts, vals) in more.items():
        if sym not in rows:
            rows[sym] = (ts, vals)
        else:
            old_ts, old_vals = rows[sym]
            rows[sym] = (
                np.concatenate([old_ts, ts]),
                [np.concatenate([a, b]) for a, b in zip(old_vals, vals, strict=True)],
            )


def _has_row(rows: dict[str, Rows], symbols: Sequence[str], ns: int) -> npt.NDArray[np.bool_]:
    return np.array([sym in rows and bool((rows[sym][0] == ns).any()) for sym in symbols])


def _ns(t: datetime) -> int:
    return int(pd.Timestamp(t).value)


def _minute(ns: int) -> datetime:
    out: datetime = pd.Timestamp(ns, tz="UTC").to_pydatetime()
    return out


def _wait_for_last_minute(
    market_data: MarketDataPort,
    symbols: Sequence[str],
    rows: dict[str, Rows],
    expected: npt.NDArray[np.bool_],
    last: datetime,
    wait: BarWait,
) -> tuple[npt.NDArray[np.bool_], int]:
    """Poll for the expected symbols missing in ``last`` until they come or time is up.
    Returns (still missing, polls)."""
    missing = expected & ~_has_row(rows, symbols, _ns(last))
    deadline = wait.monotonic() + wait.seconds
    polls = 0
    while missing.any() and not wait.published(missing, expected):
        left = deadline - wait.monotonic()
        if left <= 0:
            break
        wait.sleep(min(wait.poll_seconds, left))
        want = [s for s, m in zip(symbols, missing, strict=True) if m]
        polls += 1
        more = rows_of(market_data.get_bars(want, last, last + timedelta(minutes=1)), want)
        _merge(rows, {s: _take(r, r[0] == _ns(last)) for s, r in more.items()})
        missing &= ~_has_row(rows, symbols, _ns(last))
    return missing, polls


Batch = tuple[npt.NDArray[np.intp], I64, list[F64]]  # symbol index, bar start, values


def _batch(rows: Mapping[str, Rows], symbols: Sequence[str]) -> Batch:
    """Every symbol's rows in one set of arrays, so each rule runs once per tick."""
    pos = {s: i for i, s in enumerate(symbols)}
    parts = [(pos[s], r) for s, r in rows.items() if s in pos and r[0].size]
    if not parts:
        empty = np.zeros(0)
        return np.zeros(0, np.intp), np.zeros(0, np.int64), [empty] * len(VALUE_COLUMNS)
    sym = np.concatenate([np.full(r[0].size, i, dtype=np.intp) for i, r in parts])
    ts = np.concatenate([r[0] for _, r in parts])
    vals = [np.concatenate([r[1][k] for _, r in parts]) for k in range(len(VALUE_COLUMNS))]
    return sym, ts, vals


def _validated(
    batch: Batch, symbols: Sequence[str], session: Session, lo_ns: int, hi_ns: int
) -> tuple[Batch, list[Reject]]:
    """Rows for the minutes being stepped (and any before the open, which are bad), checked;
    rows of minutes already stepped or not stepped yet are not this tick's business."""
    sym, ts, vals = batch
    keep = (ts < hi_ns) & ((ts >= lo_ns) | (ts < _ns(session.open)))
    sym, ts, vals = sym[keep], ts[keep], [v[keep] for v in vals]
    ok, failures = check_arrays(ts, vals, (session.open, session.close))
    rejects = [reject_of(symbols[sym[i]], ts, vals, i, rule) for i, rule in failures]
    if not failures:
        return (sym, ts, vals), rejects
    return (sym[ok], ts[ok], [v[ok] for v in vals]), rejects


def minutes_of(
    n_symbols: int, batch: Batch, lo: datetime, hi: datetime
) -> tuple[list[tuple[datetime, MinuteBars]], npt.NDArray[np.bool_]]:
    """Bars starting in [lo, hi), grouped by minute and aligned to the symbols; minutes
    without any bar are left out. Also returns has[minute, symbol] for the whole range."""
    lo_ns, hi_ns = _ns(lo), _ns(hi)
    grid = new_grid(int((hi_ns - lo_ns) // NS_MIN), n_symbols)
    sym, ts, vals = batch
    minute_grid(grid, sym, ts, vals, lo_ns)
    has = ~np.isnan(grid[3])
    out = []
    for i in np.flatnonzero(has.any(axis=1)):
        minute = lo + timedelta(minutes=int(i))
        out.append((minute, MinuteBars.of_grid(grid, int(i))))
    return out, has


def _late(
    market_data: MarketDataPort, watch: Mapping[str, Sequence[str]], start: datetime
) -> tuple[list[Reject], list[Reject], dict[str, list[str]]]:
    """Ask again for the watched (minute, symbol) bars; each one found is reported once:
    as ``late`` when good, with its rule when bad. Returns (late, rejects, watch left)."""
    left = {m: sorted(set(s)) for m, s in watch.items() if s and _ns(pd.Timestamp(m)) < _ns(start)}
    if not left:
        return [], [], {}
    first = min(pd.Timestamp(m) for m in left).to_pydatetime()
    want = sorted({s for syms in left.values() for s in syms})
    rows = rows_of(market_data.get_bars(want, first, start), want)
    late: list[Reject] = []
    rejects: list[Reject] = []
    for m, syms in list(left.items()):
        m_ns = _ns(pd.Timestamp(m))
        found = []
        for sym in syms:
            r = rows.get(sym)
            if r is None:
                continue
            hit = r[0] == m_ns
            if not hit.any():
                continue
            hit &= np.cumsum(hit) == 1  # the first one, should the feed send two
            ts, vals = _take(r, hit)
            _, failures = check_arrays(ts, vals)
            if failures:
                rejects.append(reject_of(sym, ts, vals, 0, failures[0][1]))
            else:
                o, h, lo, c, v = (float(a[0]) for a in vals)
                detail = f"bar of {m} came after that minute was stepped"
                late.append(Reject(sym, _minute(m_ns), "late", detail, o, h, lo, c, v))
            found.append(sym)
        left[m] = [s for s in syms if s not in found]
    return late, rejects, {m: s for m, s in left.items() if s}


def _iso(ns: int) -> str:
    return str(pd.Timestamp(ns, tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ"))


def collect_minutes(
    market_data: MarketDataPort,
    symbols: Sequence[str],
    session: Session,
    start: datetime,
    end: datetime,
    *,
    traded_before: npt.NDArray[np.bool_] | None,
    wait: BarWait | None,
    closing: bool,
    watch: Mapping[str, Sequence[str]],
) -> Collected:
    """The complete minutes in [start, end) to step now (see the module doc for the rules).

    ``traded_before``: per symbol, whether it had a bar in the minute before ``start`` (the
    engine's last stepped minute; None at the open). ``closing``: the session ends with this
    tick, so nothing is held. ``watch``: the previous tick's late-bar watch list."""
    out = Collected(watch={m: list(s) for m, s in watch.items()})
    if end <= start:
        return out
    out.late, out.rejects, watch_left = _late(market_data, watch, start)
    rows = rows_of(market_data.get_bars(list(symbols), start, end, "1Min"), symbols)
    last = end - timedelta(minutes=1)
    hi = end
    if wait is not None and wait.seconds > 0 and not closing:
        before = last - timedelta(minutes=1)
        expected = _has_row(rows, symbols, _ns(before)) if before >= start else traded_before
        if expected is not None and expected.any():
            missing, out.polls = _wait_for_last_minute(
                market_data, symbols, rows, expected, last, wait
            )
            if not wait.published(missing, expected):
                out.held, hi = last, last
    batch = _batch(rows, symbols)
    good, bad = _validated(batch, symbols, session, _ns(start), _ns(hi))
    out.rejects += bad
    out.minutes, has = minutes_of(len(symbols), good, start, hi)
    # Symbols with no row at all (not even a bad one) in the stepped minutes are watched.
    arrived = np.zeros_like(has)
    k = (batch[1] - _ns(start)) // NS_MIN
    inside = (k >= 0) & (k < has.shape[0])
    arrived[k[inside], batch[0][inside]] = True
    watch_new = dict(watch_left)
    if out.minutes:
        last_stepped = out.minutes[-1][0]
        n_stepped = int((last_stepped - start).total_seconds() // 60) + 1
        for i in range(max(0, n_stepped - LATE_WATCH_MINUTES), n_stepped):
            syms = [s for s, a in zip(symbols, arrived[i], strict=True) if not a]
            if syms:
                watch_new[_iso(_ns(start) + i * NS_MIN)] = syms
        floor = _ns(last_stepped) - (LATE_WATCH_MINUTES - 1) * NS_MIN
        watch_new = {m: s for m, s in watch_new.items() if _ns(pd.Timestamp(m)) >= floor}
    out.watch = watch_new
    return out
