"""The label rule of the daily bias model, written once and used by training and docs.

A session is labelled from its own open-to-close move measured against the ATR(14, Wilder)
known at the previous close: the ATR makes a 1% day on KO and on TSLA comparable, and the
previous close's ATR is what a trader would have had in hand before the open.

    r = (close[t+1] - open[t+1]) / ATR14[t]
    |r| <  CHOPPY_ATR_FRACTION  -> choppy
    r  >= CHOPPY_ATR_FRACTION   -> bullish
    r  <= -CHOPPY_ATR_FRACTION  -> bearish

0.25 puts about a third of US equity/ETF sessions (2010-2026) in each class.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

CLASSES: tuple[str, str, str] = ("bearish", "choppy", "bullish")
CHOPPY_ATR_FRACTION = 0.25


def label_moves(move_over_atr: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Class index per row (0 bearish, 1 choppy, 2 bullish); -1 where undefined (NaN)."""
    r = np.asarray(move_over_atr, dtype=np.float64)
    out = np.full(r.shape, 1, dtype=np.int64)
    out[r >= CHOPPY_ATR_FRACTION] = 2
    out[r <= -CHOPPY_ATR_FRACTION] = 0
    out[~np.isfinite(r)] = -1
    return out
