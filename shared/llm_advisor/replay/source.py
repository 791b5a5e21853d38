"""Where a replay's sessions come from: bars in memory, or the columnar store read a date
at a time.

A ``SessionSource`` yields, per XNYS session in order, what ``Engine.begin_session`` and the
minute loop need: the (5, minutes, symbols) grid (``engine.grid.minute_grid``, the one grid
builder), each symbol's seed closes (its last ``rolling_window`` closes before the open,
reaching back over as many sessions as it takes), the snapshots and the bar count.

Both sources stream dated rows through ``streamed.StreamedSource``:
``frame_source.FrameSource`` reads frames in memory (one per symbol, whole history) and
``store_source.StoreSource`` the columnar store, a date at a time; the same bars give the
same sessions, bit for bit, and so the same replay and run id. ``session_grid`` builds one
session from per-symbol ``Series`` (the truth model's single day).
"""

from __future__ import annotations

import hashlib
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from llm_advisor.core.calendar import Session, make_session
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import UserError
from llm_advisor.core.models import Snapshot
from llm_advisor.engine.grid import minute_grid, new_grid
from llm_advisor.features.aggregate import run_starts

F64 = NDArray[np.float64]
BAR_COLUMNS = ["open", "high", "low", "close", "volume"]


@dataclass(frozen=True)
class SessionInputs:
    """One session as the engine takes it."""

    day: date
    session: Session
    grid: F64
    seeds: Mapping[str, F64]
    snapshots: Mapping[str, Snapshot]
    bars: int  # bars placed on the grid


class SessionSource(Protocol):
    symbols: list[str]

    def check(self, sessions: Sequence[date]) -> None:
        """One-line ``UserError`` for inputs that cannot replay to anything meaningful."""

    def stream(
        self, sessions: Sequence[date], config: StrategyConfig
    ) -> Generator[SessionInputs, None, None]:
        """Each session of ``sessions`` (in order)."""

    def fingerprint(self) -> str:
        """The data's identity for the run id (complete once ``stream`` has ended)."""

    def span(self) -> tuple[date, date]:
        """The first and last New York date with bars (a replay's default range)."""


def _shown(symbols: Sequence[str]) -> str:
    return ",".join(symbols[:10]) + (f",... ({len(symbols)} symbols)" if len(symbols) > 10 else "")


def no_session_bars(symbols: Sequence[str], sessions: Sequence[date]) -> UserError:
    return UserError(
        f"no bars for {_shown(symbols)} in the {len(sessions)} XNYS session(s) "
        f"{sessions[0]}..{sessions[-1]}"
    )


def no_bars_at_all(symbols: Sequence[str]) -> UserError:
    return UserError(f"no bars for {_shown(symbols)} at all")


def window_ns(sessions: Sequence[date]) -> tuple[int, int]:
    first, last = make_session(sessions[0]).open, make_session(sessions[-1]).close
    return int(pd.Timestamp(first).value), int(pd.Timestamp(last).value)


class Fingerprint:
    """Per symbol: bar count, first and last timestamp, and the sum of the closes' bit
    patterns modulo 2**64 (exact in any order, so a stream of dates and a whole frame give
    the same value)."""

    def __init__(self, symbols: Sequence[str]) -> None:
        n = len(symbols)
        self.symbols = list(symbols)
        self.count = np.zeros(n, dtype=np.int64)
        self.first = np.zeros(n, dtype=np.int64)
        self.last = np.zeros(n, dtype=np.int64)
        self.bits = np.zeros(n, dtype=np.uint64)

    def add(
        self,
        code: NDArray[np.int32],
        ts: NDArray[np.int64],
        close: F64,
        starts: NDArray[np.intp] | None = None,
    ) -> None:
        """Rows grouped by symbol, each symbol's later than any added before."""
        if code.size == 0:
            return
        if starts is None:
            starts = run_starts(code)
        ends = np.append(starts[1:], code.size) - 1
        rows = code[starts]
        self.first[rows] = np.where(self.count[rows] == 0, ts[starts], self.first[rows])
        self.last[rows] = ts[ends]
        self.count[rows] += np.diff(np.append(starts, code.size))
        self.bits[rows] += np.add.reduceat(close.view(np.uint64), starts)

    def digest(self) -> str:
        h = hashlib.sha256()
        for s in np.argsort(np.array(self.symbols, dtype=object)).tolist():
            h.update(self.symbols[s].encode())
            h.update(self.count[s].tobytes())
            if self.count[s]:
                h.update(self.first[s].tobytes() + self.last[s].tobytes())
                h.update(self.bits[s].tobytes())
        return h.hexdigest()[:16]


# ------------------------------------------------------------------ bars in memory
@dataclass(frozen=True)
class Series:
    ts: NDArray[np.int64]
    open: F64
    high: F64
    low: F64
    close: F64
    volume: F64

    @classmethod
    def of(cls, df: pd.DataFrame) -> Series:
        """Views of the frame's arrays when it holds exactly the bar columns as floats (one
        pandas block: no copy, and no per-column lookups, which cost more than the data)."""
        if list(df.columns) == BAR_COLUMNS:
            values = df.to_numpy(np.float64)
        else:
            values = df[BAR_COLUMNS].to_numpy(np.float64)
        ts = pd.DatetimeIndex(df.index).asi8.astype(np.int64, copy=False)
        return cls(ts, *(values[:, k] for k in range(len(BAR_COLUMNS))))


def session_grid(
    series: Mapping[str, Series], symbols: Sequence[str], sess: Session, window: int
) -> tuple[F64, dict[str, F64], int]:
    """The session as a (5, minutes, symbols) OHLCV grid (NaN = no bar), each symbol's
    seed closes (the last ``window`` closes before the open), and the number of bars."""
    open_ns = int(pd.Timestamp(sess.open).value)
    close_ns = int(pd.Timestamp(sess.close).value)
    grid = new_grid(sess.minutes, len(symbols))
    seeds: dict[str, F64] = {}
    count = 0
    for j, sym in enumerate(symbols):
        s = series[sym]
        lo = int(np.searchsorted(s.ts, open_ns, side="left"))
        hi = int(np.searchsorted(s.ts, close_ns, side="left"))
        seeds[sym] = s.close[max(0, lo - window) : lo]
        if hi > lo:
            vals = [s.open[lo:hi], s.high[lo:hi], s.low[lo:hi], s.close[lo:hi], s.volume[lo:hi]]
            count += minute_grid(grid, j, s.ts[lo:hi], vals, open_ns)
    return grid, seeds, count


def source_for(
    bars: Mapping[str, pd.DataFrame], daily: Mapping[str, pd.DataFrame] | None = None
) -> SessionSource:
    """``StoreSource`` for a ``StoreBars``, else ``FrameSource``: both stream dated rows
    through ``streamed.StreamedSource``."""
    from llm_advisor.replay.frame_source import FrameSource
    from llm_advisor.replay.store_source import StoreBars, StoreSource

    if isinstance(bars, StoreBars):
        return StoreSource(bars, daily)
    return FrameSource(bars, daily)
