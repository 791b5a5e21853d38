"""Frames in memory as a replay's session source: the streamed replay over dated rows.

One frame per symbol with its whole history (``load_bar_file`` frames, or what a caller
hands ``run_replay``) is read a New York date at a time, exactly like the columnar store:
each date's rows of all symbols, grouped by symbol (``partitions.Rows``). So frames and the
store replay through one code path (``streamed.StreamedSource``), with the same snapshots,
grids and seeds bit for bit, and the snapshots are built for all symbols at once instead of
symbol by symbol over whole histories.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from llm_advisor.core.calendar import NY
from llm_advisor.core.errors import UserError
from llm_advisor.replay.partitions import Rows
from llm_advisor.replay.source import Series, no_session_bars, window_ns
from llm_advisor.replay.streamed import StreamedSource


def _ny_date(ns: int) -> date:
    return pd.Timestamp(ns, tz="UTC").tz_convert(NY).date()


def _midnight_ns(day: date) -> int:
    return int(pd.Timestamp(datetime.combine(day, time(0), tzinfo=NY)).value)


class FrameReader:
    """Per-symbol series read a New York date at a time. Which rows belong to which date is
    found once (a ``searchsorted`` of the dates' midnights per symbol); a read concatenates
    that date's slice of each symbol, in symbol order."""

    def __init__(self, series: Sequence[Series]) -> None:
        self.series = list(series)
        present = [s.ts for s in self.series if s.ts.size]
        self._days: list[date] = []
        self._col: dict[date, int] = {}
        self.pos: NDArray[np.int64] = np.zeros((len(self.series), 1), dtype=np.int64)
        if not present:
            return
        first = _ny_date(min(int(t[0]) for t in present))
        last = _ny_date(max(int(t[-1]) for t in present))
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        edges = np.array([_midnight_ns(d) for d in [*days, last + timedelta(days=1)]])
        # pos[s, i]: symbol s's first row on or after the midnight that starts days[i]
        self.pos = np.stack([np.searchsorted(s.ts, edges) for s in self.series])
        rows_per_day = np.diff(self.pos, axis=1).sum(axis=0)
        for i, d in enumerate(days):
            if rows_per_day[i]:
                self._col[d] = i
                self._days.append(d)

    def dates(self, through: date | None = None) -> list[date]:
        return [d for d in self._days if through is None or d <= through]

    def has(self, day: date) -> bool:
        return day in self._col

    def read(self, day: date) -> Rows:
        i = self._col[day]
        lo, hi = self.pos[:, i], self.pos[:, i + 1]
        held = np.flatnonzero(hi > lo)
        spans = [(self.series[j], int(lo[j]), int(hi[j])) for j in held.tolist()]
        code = np.repeat(held.astype(np.int32), (hi - lo)[held])

        def column(name: str) -> NDArray[np.float64]:
            parts = [getattr(s, name)[a:b] for s, a, b in spans]
            return np.concatenate(parts) if parts else np.empty(0)

        ts = np.concatenate([s.ts[a:b] for s, a, b in spans])
        cols = [column(c) for c in ("open", "high", "low", "close", "volume")]
        return Rows(day, code, ts, *cols)


class FrameSource(StreamedSource):
    """One frame per symbol holding its whole history, streamed a date at a time."""

    def __init__(
        self, bars: Mapping[str, pd.DataFrame], daily: Mapping[str, pd.DataFrame] | None = None
    ) -> None:
        symbols = sorted(bars)
        self.series = {s: Series.of(bars[s]) for s in symbols}
        super().__init__(symbols, FrameReader([self.series[s] for s in symbols]), None, daily)

    def check(self, sessions: Sequence[date]) -> None:
        """A symbol with no bars at all cannot get a premarket snapshot (the feature code
        would fail with an ``IndexError`` far from the cause); a range whose sessions hold
        no bar for any symbol would report "0 trades" as if the strategy stayed out."""
        empty = [s for s in self.symbols if self.series[s].ts.size == 0]
        if empty:
            raise UserError(f"symbol(s) {','.join(empty)}: no bars at all")
        lo_ns, hi_ns = window_ns(sessions)
        for s in self.symbols:
            ts = self.series[s].ts
            if np.searchsorted(ts, hi_ns, side="left") > np.searchsorted(ts, lo_ns, side="left"):
                return
        raise no_session_bars(self.symbols, sessions)
