"""The 5-minute ATR, built bar by bar from the session's 1-minute bars.

Buckets are 5 minutes from the open; a bucket completes after its last minute's bar, or
(if that bar is missing) when a later bucket's first bar arrives. A completed bucket's true
range updates the ATR by Wilder's rule; before the ATR exists (no premarket value) true
ranges collect in a per-symbol warm-up list until ``atr_period`` of them average into it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from llm_advisor.engine.arrays import SymbolArrays
from llm_advisor.engine.grid import MinuteBars
from llm_advisor.features.indicators import wilder_step


def add_bars(
    a: SymbolArrays,
    warm: list[list[float]],
    idx: NDArray[np.intp],
    bars: MinuteBars,
    mi: int,
    period: int,
) -> None:
    """Fold minute ``mi``'s bars of rows ``idx`` into their buckets."""
    bucket = mi // 5
    ix: NDArray[np.intp] | slice = slice(None) if idx.size == a.bucket_id.size else idx
    cur = a.bucket_id[ix]
    stale = (cur >= 0) & (cur != bucket)
    if stale.any():
        _complete(a, warm, idx[stale], period)
    h = bars.high[ix]
    lo = bars.low[ix]
    fresh = a.bucket_id[ix] != bucket
    a.b_high[ix] = np.where(fresh, h, np.fmax(a.b_high[ix], h))
    a.b_low[ix] = np.where(fresh, lo, np.fmin(a.b_low[ix], lo))
    a.b_close[ix] = bars.close[ix]
    a.bucket_id[ix] = bucket
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
        r = int(rows[j])
        w = warm[r]
        w.append(float(tr[j]))
        if len(w) >= n:
            a.atr5[r] = float(np.mean(np.asarray(w[:n])))
            for extra in w[n:]:
                a.atr5[r] = wilder_step(float(a.atr5[r]), extra, n)
            warm[r] = []
    a.prev_close5[rows] = a.b_close[rows]
    a.bucket_id[rows] = -1
