"""What a streamed replay carries from one session to the next, for all symbols at once.

A replay read session by session (``replay.source.StoreSource``) never holds a symbol's
whole history: it keeps, per symbol, the last closes (the engine's seed window), the last
5-minute bars (the bands) and the running daily and hourly statistics (EMA, Wilder ATR and
its percentile window, the last five daily highs and lows). Each is updated with exactly
the arithmetic ``features.snapshot.build_snapshots`` runs over the whole history, one
element at a time in the same order, so the snapshots are identical to the batch ones (the
tests compare them bit for bit). Every update is vectorized across symbols: a session costs
a few array operations, not a loop over symbols.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
from numpy.typing import NDArray

from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import Snapshot
from llm_advisor.features.aggregate import SessionAggregates, run_starts
from llm_advisor.features.snapshot import (
    ATR_PCT_LOOKBACK,
    ATR_PCT_MIN_VALUES,
    TAG_NEEDED,
    TAG_SESSIONS,
    DailyAt,
    Tag,
    bands_of_rows,
    make_snapshot,
)

F64 = NDArray[np.float64]


class Tail:
    """The last ``width`` values of ``series`` parallel series per symbol, right-aligned.

    ``values[k, s, width - count[s]:]`` are symbol s's latest values of series k, oldest
    first. An append builds a new array, so views handed out earlier (the seeds) stay
    valid."""

    def __init__(self, symbols: int, width: int, series: int = 1) -> None:
        self.width = width
        self.values: F64 = np.zeros((series, symbols, width))
        self.count = np.zeros(symbols, dtype=np.int64)

    def append(
        self, code: NDArray[np.int32], *cols: F64, starts: NDArray[np.intp] | None = None
    ) -> None:
        """Append rows grouped by symbol (each symbol one run, in time order).

        Only the last ``width`` rows of a run can survive, so the work is one (symbols,
        width) matrix per series whatever the number of rows: position j of a new tail is
        the old tail's value ``length`` places later, or the run's row ``end - width + j``.
        """
        if code.size == 0:
            return
        if starts is None:
            starts = run_starts(code)
        ends = np.append(starts[1:], code.size)
        lengths = ends - starts
        rows = code[starts]
        w = self.width
        j = np.arange(w)[None, :]
        at = ends[:, None] - w + j  # the run's row for each position
        new = at >= starts[:, None]
        at = np.maximum(at, 0)
        old_col = np.minimum(lengths[:, None] + j, w - 1)
        values = self.values.copy()
        for k, v in enumerate(cols):
            old = np.take_along_axis(self.values[k, rows, :], old_col, axis=1)
            values[k, rows, :] = np.where(new, v[at], old)
        self.values = values
        self.count[rows] = np.minimum(self.count[rows] + lengths, w)

    def push(self, rows: NDArray[np.intp], *vals: F64) -> None:
        """Append one value per series to each of ``rows`` (distinct symbols), in place."""
        v = self.values
        v[:, rows, :-1] = v[:, rows, 1:]
        for k, x in enumerate(vals):
            v[k, rows, -1] = x
        self.count[rows] = np.minimum(self.count[rows] + 1, self.width)

    def latest(self, k: int = 0) -> F64:
        return self.values[k, :, -1]


class EmaTail:
    """An EMA per symbol (``features.indicators.ema``: alpha = 2/(span+1), started at the
    first value) with its last five values and the last input, for ``slope``."""

    def __init__(self, symbols: int, span: int) -> None:
        self.alpha = 2.0 / (span + 1.0)
        self.ema = Tail(symbols, 5)
        self.close = np.zeros(symbols)
        self.count = np.zeros(symbols, dtype=np.int64)

    def push(self, rows: NDArray[np.intp], x: F64) -> None:
        prev = self.ema.latest()[rows]
        e = np.where(self.count[rows] == 0, x, prev + self.alpha * (x - prev))
        self.ema.push(rows, e)
        self.close[rows] = x
        self.count[rows] += 1

    def push_runs(self, code: NDArray[np.int32], x: F64) -> None:
        """Several values per symbol (each symbol one run, in time order)."""
        if code.size == 0:
            return
        starts = run_starts(code)
        lengths = np.diff(np.append(starts, code.size))
        rank = np.arange(code.size) - np.repeat(starts, lengths)
        for j in range(int(lengths.max())):
            at = rank == j
            self.push(code[at].astype(np.intp), x[at])

    def slope(self) -> F64:
        """``indicators.slope`` at each symbol's count: (ema[k-1] - ema[k-5]) / (4 close[k-1]),
        0 below five values."""
        out = np.zeros(self.count.size)
        ok = self.count >= 5
        e = self.ema.values[0]
        out[ok] = (e[ok, -1] - e[ok, -5]) / (4.0 * self.close[ok])
        return out


class DailyStats:
    """The daily bars' statistics: EMA slope, HH/LL tag, Wilder ATR and its percentile."""

    def __init__(self, symbols: int, config: StrategyConfig) -> None:
        self.period = config.atr_period
        self.ema = EmaTail(symbols, config.ema_span)
        self.hl = Tail(symbols, TAG_SESSIONS, series=2)
        self.tr_seed = np.zeros((symbols, self.period))
        self.atr = Tail(symbols, ATR_PCT_LOOKBACK)

    @property
    def count(self) -> NDArray[np.int64]:
        return self.ema.count

    def push(self, rows: NDArray[np.intp], high: F64, low: F64, close: F64) -> None:
        """One daily bar for each of ``rows`` (distinct symbols)."""
        n = self.period
        k = self.count[rows]
        pc = self.ema.close[rows]
        tr = np.where(
            k == 0,
            high - low,
            np.maximum(high - low, np.maximum(np.abs(high - pc), np.abs(low - pc))),
        )
        seeding = k < n
        self.tr_seed[rows[seeding], k[seeding]] = tr[seeding]
        atr = ((n - 1) * self.atr.latest()[rows] + tr) / n
        for i in np.flatnonzero(k == n - 1).tolist():  # once per symbol, as wilder_atr
            atr[i] = float(np.mean(self.tr_seed[rows[i], :n]))
        has = k >= n - 1
        self.atr.push(rows[has], atr[has])
        self.hl.push(rows, high, low)
        self.ema.push(rows, close)

    def at(self) -> tuple[list[float], list[Tag], list[float | None], list[float]]:
        """Slope, tag, ATR and ATR percentile of every symbol, from the bars so far."""
        k = self.count
        first = self.period - 1
        m = np.maximum(k - first, 0)  # ATR values so far
        atr = self.atr.values[0]
        latest = atr[:, -1]
        valid = np.arange(ATR_PCT_LOOKBACK)[None, :] >= (ATR_PCT_LOOKBACK - m)[:, None]
        le = (atr <= latest[:, None]) & valid
        pct = np.full(k.size, 50.0)
        ok = m >= ATR_PCT_MIN_VALUES
        pct[ok] = 100.0 * le.sum(axis=1)[ok] / valid.sum(axis=1)[ok]
        has = (k > first).tolist()
        atr_daily = [a if h else None for a, h in zip(latest.tolist(), has, strict=True)]
        return self.ema.slope().tolist(), self._tags(), atr_daily, pct.tolist()

    def _tags(self) -> list[Tag]:
        """``tags_at``: comparisons of the last (up to) five bars with their predecessors."""
        h, lo = self.hl.values[0], self.hl.values[1]
        up = (h[:, 1:] > h[:, :-1]) & (lo[:, 1:] > lo[:, :-1])
        dn = (h[:, 1:] < h[:, :-1]) & (lo[:, 1:] < lo[:, :-1])
        # position p (1..4) compares bar k-5+p with its predecessor, which must exist
        cols = np.arange(1, TAG_SESSIONS)[None, :]
        valid = cols >= (TAG_SESSIONS + 1 - self.count)[:, None]
        ups = (up & valid).sum(axis=1)
        dns = (dn & valid).sum(axis=1)
        return [
            "HH_HL" if u >= TAG_NEEDED else "LL_LH" if d >= TAG_NEEDED else "RANGE"
            for u, d in zip(ups.tolist(), dns.tolist(), strict=True)
        ]


class SnapshotState:
    """Everything the next session's snapshots need, updated session by session."""

    def __init__(
        self,
        symbols: Sequence[str],
        config: StrategyConfig,
        daily_files: dict[int, DailyAt] | None = None,
        sessions: Sequence[date] = (),
    ) -> None:
        n = len(symbols)
        self.symbols = list(symbols)
        self.config = config
        self.daily = DailyStats(n, config)
        self.hourly = EmaTail(n, config.ema_span)
        self.five = Tail(n, config.band_bars_5m, series=3)  # close, high, low
        # symbols whose daily bars come from a daily file: precomputed per session
        self.daily_files = daily_files or {}
        self.row_of = {d: r for r, d in enumerate(sessions)}

    def nbytes(self) -> int:
        """The arrays carried from session to session (fixed: no history is kept)."""
        return sum(int(a.nbytes) for a in _arrays(self.daily, self.hourly, self.five))

    def add(self, agg: SessionAggregates) -> None:
        """Take in one session's regular-session bars (after its snapshots were taken)."""
        d = agg.daily
        self.daily.push(d.code.astype(np.intp), d.high, d.low, d.close)
        self.hourly.push_runs(agg.hourly.code, agg.hourly.close)
        f = agg.five
        self.five.append(f.code, f.close, f.high, f.low)

    def snapshots(self, day: date) -> dict[str, Snapshot]:
        """Each symbol's snapshot for ``day``, from the sessions taken in before it."""
        slope_d, tags, atr_d, pct = self.daily.at()
        bars_d = self.daily.count.tolist()
        if self.daily_files:
            r = self.row_of[day]
            for s, f in self.daily_files.items():
                slope_d[s], tags[s], atr_d[s] = f.slope[r], f.tag[r], f.atr[r]
                pct[s], bars_d[s] = f.percentile[r], f.bars[r]
        slope_h = self.hourly.slope().tolist()
        v = self.five.values
        bands = bands_of_rows(v[0], v[1], v[2], self.five.count, self.config.atr_period)
        return {
            sym: make_snapshot(
                sym, day, slope_d[s], slope_h[s], tags[s], atr_d[s], pct[s], bands[s], bars_d[s]
            )
            for s, sym in enumerate(self.symbols)
        }


def _arrays(*objs: object) -> list[NDArray[np.generic]]:
    """The numpy arrays held by these objects and the objects they hold."""
    out: list[NDArray[np.generic]] = []
    for o in objs:
        for v in vars(o).values():
            if isinstance(v, np.ndarray):
                out.append(v)
            elif isinstance(v, Tail | EmaTail):
                out += _arrays(v)
    return out
