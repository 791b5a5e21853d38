"""Batch indicators on price arrays (premarket statistics): EMA, true range, Wilder ATR.

The spec fixes each recursion exactly (EMA = ``ewm(span, adjust=False)`` started at the
first value; Wilder ATR seeded by the mean of the first n true ranges, first TR = high -
low), so two independent implementations agree to rounding; tests check these against
pandas on the real daily bars.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def ema(values: FloatArray, span: int) -> FloatArray:
    """EMA with alpha = 2/(span+1), started at the first value (pandas adjust=False)."""
    out = np.empty_like(values, dtype=np.float64)
    if values.size == 0:
        return out
    alpha = 2.0 / (span + 1.0)
    prev = float(values[0])
    out[0] = prev
    for i in range(1, values.size):
        prev = prev + alpha * (float(values[i]) - prev)
        out[i] = prev
    return out


def true_range(high: FloatArray, low: FloatArray, close: FloatArray) -> FloatArray:
    """TR = max(h-l, |h-prev close|, |l-prev close|); the first TR of a series is h-l."""
    tr = high - low
    if tr.size > 1:
        pc = close[:-1]
        tr[1:] = np.maximum(tr[1:], np.maximum(np.abs(high[1:] - pc), np.abs(low[1:] - pc)))
    return tr


def wilder_atr(tr: FloatArray, n: int) -> FloatArray:
    """Wilder's ATR: NaN before bar n-1, mean of the first n TRs there, then
    ATR = ((n-1) x ATR + TR) / n."""
    out = np.full(tr.shape, np.nan)
    if tr.size < n:
        return out
    prev = float(np.mean(tr[:n]))
    out[n - 1] = prev
    for i in range(n, tr.size):
        prev = ((n - 1) * prev + float(tr[i])) / n
        out[i] = prev
    return out


def wilder_step(prev_atr: float, tr: float, n: int) -> float:
    """One live Wilder update (the same arithmetic as ``wilder_atr``)."""
    return ((n - 1) * prev_atr + tr) / n


def slope(ema_values: FloatArray, closes: FloatArray, k: int) -> float:
    """``(ema[k-1] - ema[k-5]) / (4 * close[k-1])`` over the first k values; 0 if k < 5."""
    if k < 5:
        return 0.0
    return float((ema_values[k - 1] - ema_values[k - 5]) / (4.0 * closes[k - 1]))
