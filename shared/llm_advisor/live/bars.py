"""One minute of bars for all of an engine's symbols, as aligned arrays (NaN = no bar)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from llm_advisor.core.models import Bar


@dataclass(frozen=True)
class MinuteBars:
    open: NDArray[np.float64]
    high: NDArray[np.float64]
    low: NDArray[np.float64]
    close: NDArray[np.float64]
    volume: NDArray[np.float64]

    @classmethod
    def empty(cls, n: int) -> MinuteBars:
        nan = np.full(n, np.nan)
        return cls(nan, nan.copy(), nan.copy(), nan.copy(), nan.copy())

    @classmethod
    def from_bars(cls, symbols: Sequence[str], bars: Iterable[Bar]) -> MinuteBars:
        """Align ``bars`` (all of one minute) to ``symbols``; other symbols get NaN."""
        pos = {s: i for i, s in enumerate(symbols)}
        out = cls.empty(len(symbols))
        for b in bars:
            i = pos.get(b.symbol)
            if i is None:
                continue
            out.open[i], out.high[i], out.low[i] = b.open, b.high, b.low
            out.close[i], out.volume[i] = b.close, b.volume
        return out
