"""The one rule book for a 1-minute bar, shared by the file loader and the live tick.

Why one module: the file loader refused zero prices and ``high < low`` while bars from the
Alpaca path reached the engine unchecked, so one zero-price bar froze every later tick and
one ``inf`` high poisoned the saved state. Both paths now ask the same rules; they differ
only in what they do with a bad bar:

- a file is refused whole (``barfiles`` raises one ``DataError`` naming the first bad row);
- the live tick quarantines the bar (logged, counted, stored) and steps the minute without it.

The rules are vectorised (one numpy mask per rule); messages are worded only for the rows
that fail. A bar passes when every price is finite and > 0, ``high >= max(open, close)``,
``low <= min(open, close)`` (so ``high >= low``), volume is finite and >= 0, and, when the
caller asks, its start is minute-aligned and inside ``[window_start, window_end)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pandas as pd

PRICE_COLUMNS = ("open", "high", "low", "close")
VALUE_COLUMNS = (*PRICE_COLUMNS, "volume")
NS_MINUTE = 60_000_000_000

F64 = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Rule:
    """One check: ``mask`` marks the failing rows; ``message(i)`` words row ``i``."""

    code: str
    mask: BoolArray
    message: Callable[[int], str]


@dataclass(frozen=True, slots=True)
class Reject:
    """A bar that did not pass, with its values exactly as received (for the quarantine)."""

    symbol: str
    time: datetime
    reason: str  # the rule's code, e.g. ``not_positive`` (or ``late`` from the tick)
    detail: str  # the worded message, e.g. ``open 0.0 is zero or negative``
    open: float
    high: float
    low: float
    close: float
    volume: float


def fmt_value(x: float) -> str:
    return f"{x:g}" if abs(x) >= 1e6 else repr(float(x))


def finite_rules(col: str, values: F64) -> list[Rule]:
    """NaN and infinity in one column (a file's empty cell reads as NaN)."""
    return [
        Rule("non_finite", np.isnan(values), lambda _i: f"{col} is empty or NaN"),
        Rule("non_finite", np.isinf(values), lambda _i: f"{col} is infinite"),
    ]


def _not_positive(col: str, arr: F64) -> Rule:
    return Rule(
        "not_positive", arr <= 0, lambda i: f"{col} {fmt_value(float(arr[i]))} is zero or negative"
    )


def value_rules(o: F64, h: F64, lo: F64, c: F64, vol: F64, tolerance: float = 0.0) -> list[Rule]:
    """Price and volume sanity, in the order the file loader reports them. ``tolerance`` is
    a relative slack for open/close against [low, high] (adjusted daily prices only);
    ``high < low`` is always refused. NaN compares false everywhere, so a NaN row fails
    only the finite rules."""
    hi = h * (1.0 + tolerance)
    lw = lo * (1.0 - tolerance)
    rules = [_not_positive(col, arr) for col, arr in zip(PRICE_COLUMNS, (o, h, lo, c), strict=True)]
    rules += [
        Rule("negative_volume", vol < 0, lambda i: f"volume {fmt_value(vol[i])} is negative"),
        Rule(
            "high_below_low",
            h < lo,
            lambda i: f"high {fmt_value(h[i])} < low {fmt_value(lo[i])}",
        ),
        Rule(
            "open_outside_range",
            (o < lw) | (o > hi),
            lambda i: (
                f"open {fmt_value(o[i])} outside [low {fmt_value(lo[i])}, high {fmt_value(h[i])}]"
            ),
        ),
        Rule(
            "close_outside_range",
            (c < lw) | (c > hi),
            lambda i: (
                f"close {fmt_value(c[i])} outside [low {fmt_value(lo[i])}, high {fmt_value(h[i])}]"
            ),
        ),
    ]
    return rules


def _iso(ts_ns: npt.NDArray[np.int64], i: int) -> str:
    return str(pd.Timestamp(int(ts_ns[i]), tz="UTC").isoformat())


def time_rules(
    ts_ns: npt.NDArray[np.int64], window: tuple[datetime, datetime] | None
) -> list[Rule]:
    """Minute alignment and (when given) ``[window_start, window_end)``: a live bar's start."""
    rules = [
        Rule(
            "not_minute_aligned",
            ts_ns % NS_MINUTE != 0,
            lambda i: f"time {_iso(ts_ns, i)} is not on a minute",
        )
    ]
    if window is not None:
        start, end = window
        lo, hi = pd.Timestamp(start).value, pd.Timestamp(end).value
        rules.append(
            Rule(
                "outside_session",
                (ts_ns < lo) | (ts_ns >= hi),
                lambda i: (
                    f"time {_iso(ts_ns, i)} is outside the "
                    f"session [{start.isoformat()}, {end.isoformat()})"
                ),
            )
        )
    return rules


def check_arrays(
    ts_ns: npt.NDArray[np.int64],
    values: Sequence[F64],
    window: tuple[datetime, datetime] | None = None,
) -> tuple[BoolArray, list[tuple[int, Rule]]]:
    """``values`` = open, high, low, close, volume. Returns the mask of good rows and, for
    each bad row, (row, the first rule it fails). The live tick's hot path: no frames."""
    o, h, lo, c, vol = values
    rules = time_rules(ts_ns, window)
    for col, arr in zip(VALUE_COLUMNS, values, strict=True):
        rules += finite_rules(col, arr)
    rules += value_rules(o, h, lo, c, vol)
    bad = np.zeros(ts_ns.shape[0], dtype=bool)
    for r in rules:
        bad |= r.mask
    failures: list[tuple[int, Rule]] = []
    for i in np.flatnonzero(bad).tolist():
        failures.append((i, next(r for r in rules if r.mask[i])))
    return ~bad, failures


def reject_of(
    symbol: str, ts_ns: npt.NDArray[np.int64], values: Sequence[F64], row: int, rule: Rule
) -> Reject:
    o, h, lo, c, v = (float(a[row]) for a in values)
    when = pd.Timestamp(int(ts_ns[row]), tz="UTC").to_pydatetime()
    return Reject(symbol, when, rule.code, rule.message(row), o, h, lo, c, v)


def check_bars(
    df: pd.DataFrame, symbol: str, window: tuple[datetime, datetime] | None = None
) -> tuple[pd.DataFrame, list[Reject]]:
    """One symbol's bars (UTC ``DatetimeIndex`` = bar start, OHLCV columns): the rows that
    pass every rule, and a ``Reject`` for each row that does not. Missing columns read as
    NaN, so a frame without ``volume`` rejects every row instead of raising."""
    if df.empty:
        return df, []
    ts = pd.DatetimeIndex(df.index)
    ts_ns = (ts.tz_convert("UTC") if ts.tz is not None else ts).asi8.astype(np.int64)
    values = [
        df[col].to_numpy(np.float64, na_value=np.nan)
        if col in df.columns
        else np.full(len(df), np.nan)
        for col in VALUE_COLUMNS
    ]
    good, failures = check_arrays(ts_ns, values, window)
    rejects = [reject_of(symbol, ts_ns, values, i, rule) for i, rule in failures]
    return (df if not failures else df[good]), rejects
