"""Minutes as the engine steps them: ``MinuteBars`` and the one minute-grid builder.

Replay (``replay.streamed``, a date of rows at a time) and the live tick
(``live.bars.minutes_of``) both place bars on a (5, minutes, symbols) OHLCV grid with
``minute_grid``, so a bar lands on the same minute in both. A bar stamped off the minute
belongs to no minute and is left out (the bar checks quarantine it on the live path;
replay's bar files are checked on load).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from llm_advisor.core.models import Bar

NS_MIN = 60_000_000_000


@dataclass(frozen=True)
class MinuteBars:
    """One minute for all symbols as aligned arrays (NaN row = no bar for that symbol)."""

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

    @classmethod
    def of_grid(cls, grid: NDArray[np.float64], i: int) -> MinuteBars:
        """Minute ``i`` of a ``minute_grid`` (views, no copies)."""
        return cls(grid[0, i], grid[1, i], grid[2, i], grid[3, i], grid[4, i])


def new_grid(n_minutes: int, n_symbols: int) -> NDArray[np.float64]:
    return np.full((5, max(n_minutes, 0), n_symbols), np.nan)


def minute_grid(
    grid: NDArray[np.float64],
    col: NDArray[np.intp] | int,
    ts_ns: NDArray[np.int64],
    values: Sequence[NDArray[np.float64]],
    start_ns: int,
) -> int:
    """Place bars (start times ``ts_ns``, OHLCV ``values``) for symbol column(s) ``col`` on
    ``grid``, minute 0 starting at ``start_ns``. Bars off the minute or outside the grid's
    minutes are left out. Returns the number of bars placed."""
    off = ts_ns - start_ns
    mins = off // NS_MIN
    keep = (off % NS_MIN == 0) & (mins >= 0) & (mins < grid.shape[1])
    if not keep.all():
        mins = mins[keep]
        if not isinstance(col, int):
            col = col[keep]
        values = [v[keep] for v in values]
    for k in range(5):
        grid[k, mins, col] = values[k]
    return int(mins.size)
