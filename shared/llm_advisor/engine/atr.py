"""The 5-minute ATR, built bar by bar from the session's 1-minute bars.

Buckets are 5 minutes from the open; a bucket completes after its last minute's bar, or
(if that bar is missing) when a later bucket's first bar arrives. A completed bucket's true
range updates the ATR by Wilder's rule; before the ATR exists (no premarket value) true
ranges collect in a per-symbol warm-up list until ``atr_period`` of them average into it.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from llm_advisor.engine.arrays import SymbolArrays
from llm_advisor.engine.grid import MinuteBars
from llm_advisor.features.indicators import wilder_step


def add_bars(
    a: SymbolArrays,
    warm: list[list[float]],
    has: NDArray[np.bool_],
    idx: NDArray[np.intp],
    bars: MinuteBars,
    mi: int,
    period: int,
) -> None:
    """Fold minute ``mi``'s bars (rows ``has``, listed in ``idx``) into their buckets.

    Full-width with the absent rows masked out: cheaper than gathering the present ones.
    Most minutes continue every present row's bucket (one max, one min, one copy)."""
    bucket = mi // 5
    h = bars.high
    lo = bars.low
    fresh = a.bucket_id != bucket
    fresh &= has
    if fresh.any():
        stale = fresh & (a.bucket_id >= 0)
        if stale.any():
            _complete(a, warm, np.flatnonzero(stale), period)
        np.copyto(a.b_high, h, where=fresh)  # a new bucket starts from this bar
        np.copyto(a.b_low, lo, where=fresh)
        a.bucket_id[fresh] = bucket
    # fmax/fmin ignore NaN, so a row without a bar (NaN high/low) keeps its bucket as is,
    # and a fresh row's max with its own bar is that bar: no mask needed
    np.fmax(a.b_high, h, out=a.b_high)
    np.fmin(a.b_low, lo, out=a.b_low)
    np.copyto(a.b_close, bars.close, where=has)
    if mi % 5 == 4:
        _complete(a, warm, idx, period)


def _complete(a: SymbolArrays, warm: list[list[float]], rows: NDArray[np.intp], n: int) -> None:
    h = a.b_high[rows]
    lo = a.b_low[rows]
    pc = a.prev_close5[rows]
    tr = np.where(
        np.isnan(pc),
        h - lo,
        np.maximum(h - lo, np.maximum(np.abs(h - pc), np.abs(lo - pc))),
    )
    atr = a.atr5[rows]
    ok = ~np.isnan(atr)
    a.atr5[rows[ok]] = ((n - 1) * atr[ok] + tr[ok]) / n
    for j in np.flatnonzero(~ok).tolist():
        _warm_up(a, warm, int(rows[j]), float(tr[j]), n)
    a.prev_close5[rows] = a.b_close[rows]
    a.bucket_id[rows] = -1


def _warm_up(a: SymbolArrays, warm: list[list[float]], r: int, tr: float, n: int) -> None:
    """A true range of row ``r``, which had no ATR when its bucket completed: into the
    warm-up list, whose first ``n`` average into the ATR once there are that many."""
    w = warm[r]
    w.append(tr)
    if len(w) >= n:
        a.atr5[r] = float(np.mean(np.asarray(w[:n])))
        for extra in w[n:]:
            a.atr5[r] = wilder_step(float(a.atr5[r]), extra, n)
        warm[r] = []


def warm_up_native(
    a: SymbolArrays,
    warm: list[list[float]],
    rows: NDArray[np.int64],
    trs: NDArray[np.float64],
    n: int,
) -> None:
    """The native kernel's completed buckets of rows without an ATR, in completion order.
    A row may complete twice in a minute (a late bucket, then the current one): the second
    then sees the ATR the first may have made, exactly as ``_complete`` does."""
    for r, tr in zip(rows.tolist(), trs.tolist(), strict=True):
        if math.isnan(a.atr5[r]):
            _warm_up(a, warm, r, tr, n)
        else:
            a.atr5[r] = wilder_step(float(a.atr5[r]), tr, n)
