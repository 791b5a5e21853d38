"""Premarket snapshot per symbol and session: HTF trend stats and 5-minute bands.

Built strictly from data before the session (the leakage tests alter later data and expect
identical snapshots). All recursions run once over a symbol's whole history and each session
reads a prefix, so a replay over a year costs one pass, not one pass per session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from llm_advisor.core.calendar import Session
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import Snapshot
from llm_advisor.features.aggregate import (
    Aggregated,
    aggregate,
    daily_from_frame,
    regular_session,
)
from llm_advisor.features.indicators import ema, slope, true_range, wilder_atr

Tag = Literal["HH_HL", "LL_LH", "RANGE"]
Bias = Literal["bullish", "bearish", "neutral"]
ATR_PCT_MIN_VALUES = 20
ATR_PCT_LOOKBACK = 252
TAG_SESSIONS = 5
TAG_NEEDED = 3


def hh_ll_tag(high: NDArray[np.float64], low: NDArray[np.float64]) -> Tag:
    """Over the last 5 sessions (4 strict comparisons), 3 higher-high-and-higher-low
    sessions make HH_HL, 3 lower-high-and-lower-low make LL_LH, else RANGE."""
    h = high[-TAG_SESSIONS:]
    lo = low[-TAG_SESSIONS:]
    if h.size < 2:
        return "RANGE"
    up = int(np.sum((h[1:] > h[:-1]) & (lo[1:] > lo[:-1])))
    down = int(np.sum((h[1:] < h[:-1]) & (lo[1:] < lo[:-1])))
    if up >= TAG_NEEDED:
        return "HH_HL"
    if down >= TAG_NEEDED:
        return "LL_LH"
    return "RANGE"


def atr_percentile(atr_values: NDArray[np.float64]) -> float:
    """100 x share of the last 252 ATR values (latest included) <= the latest; 50 when
    fewer than 20 values exist. Ties count."""
    vals = atr_values[-ATR_PCT_LOOKBACK:]
    if vals.size < ATR_PCT_MIN_VALUES:
        return 50.0
    return float(100.0 * np.count_nonzero(vals <= vals[-1]) / vals.size)


def htf_bias(slope_daily: float, slope_hourly: float, tag: Tag) -> Bias:
    if slope_daily > 0 and slope_hourly > 0 and tag != "LL_LH":
        return "bullish"
    if slope_daily < 0 and slope_hourly < 0 and tag != "HH_HL":
        return "bearish"
    return "neutral"


def tags_at(high: NDArray[np.float64], low: NDArray[np.float64], k: NDArray[np.int64]) -> list[Tag]:
    """``hh_ll_tag`` of the sessions before each k (vectorized with cumulative counts)."""
    n = high.size
    up = np.zeros(n, dtype=np.int64)
    dn = np.zeros(n, dtype=np.int64)
    if n > 1:
        up[1:] = (high[1:] > high[:-1]) & (low[1:] > low[:-1])
        dn[1:] = (high[1:] < high[:-1]) & (low[1:] < low[:-1])
    cu = np.concatenate(([0], np.cumsum(up)))
    cd = np.concatenate(([0], np.cumsum(dn)))
    # comparisons of bars [k-5+1, k) against their predecessors, never before bar 1
    lo = np.maximum(k - TAG_SESSIONS + 1, 1)
    hi = np.maximum(k, lo)
    ups = cu[hi] - cu[lo]
    dns = cd[hi] - cd[lo]
    return [
        "HH_HL" if u >= TAG_NEEDED else "LL_LH" if d >= TAG_NEEDED else "RANGE"
        for u, d in zip(ups.tolist(), dns.tolist(), strict=True)
    ]


def percentiles_at(
    atr: NDArray[np.float64], first: int, k: NDArray[np.int64]
) -> NDArray[np.float64]:
    """``atr_percentile`` before each k, where ATR values start at index ``first``."""
    out = np.full(k.size, 50.0)
    m = np.maximum(k - first, 0)  # how many ATR values exist before k
    ok = m >= ATR_PCT_MIN_VALUES
    if not ok.any():
        return out
    idx, valid = _window_index(k[ok], ATR_PCT_LOOKBACK)
    valid &= idx >= first
    vals = atr[idx]
    latest = atr[k[ok] - 1]
    le = (vals <= latest[:, None]) & valid
    out[ok] = 100.0 * le.sum(axis=1) / valid.sum(axis=1)
    return out


@dataclass(frozen=True)
class Bands:
    mu: float | None
    sigma: float | None
    atr: float | None
    warmup: tuple[float, ...]
    last_close: float | None


NO_BANDS = Bands(None, None, None, (), None)


def bands_5m(five: Aggregated, k: int, bars: int, period: int) -> Bands:
    """mu/sigma (population) of the last ``bars`` five-minute closes before bar k, and
    Wilder's ATR over exactly those bars (first TR = high - low). Fewer than ``period``
    bars: ATR undefined, and the TRs so far are returned so the live engine can finish
    the warm-up."""
    lo = max(0, k - bars)
    if k - lo == 0:
        return NO_BANDS
    c = five.close[lo:k]
    tr = true_range(five.high[lo:k].copy(), five.low[lo:k], c)
    mu = float(np.mean(c))
    sigma = float(np.std(c))
    if tr.size < period:
        return Bands(mu, sigma, None, tuple(float(x) for x in tr), float(c[-1]))
    atr = float(wilder_atr(tr, period)[-1])
    return Bands(mu, sigma, atr, (), float(c[-1]))


def _window_index(k: NDArray[np.int64], width: int) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Row r holds the indices [k[r]-width, k[r]) (right-aligned) and a mask of the valid
    ones, so per-session window statistics run as one matrix operation."""
    cols = np.arange(width, dtype=np.int64) - width
    idx = k[:, None] + cols[None, :]
    valid = idx >= 0
    return np.where(valid, idx, 0), valid


def bands_rows(
    close: NDArray[np.float64],
    high: NDArray[np.float64],
    low: NDArray[np.float64],
    count: NDArray[np.int64],
    period: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """``bands_5m`` for many windows at once: row r holds its ``count[r]`` bars
    right-aligned in (rows, bars) matrices (what lies left of them is never read). Returns
    mu, sigma, ATR (NaN below ``period`` bars) and the true ranges (for the warm-up).

    The Wilder recursion steps through the columns for all rows together, and every sum
    runs along one row, so a row's bits do not depend on the other rows: one symbol's
    sessions (``_bands_all``) and one session's symbols (the streamed replay) agree."""
    m, bars = close.shape
    first = bars - count  # column of each row's first bar
    prev_c = np.concatenate((np.full((m, 1), np.nan), close[:, :-1]), axis=1)
    tr = np.maximum(high - low, np.maximum(np.abs(high - prev_c), np.abs(low - prev_c)))
    cols = np.arange(bars)[None, :]
    tr = np.where(cols == first[:, None], high - low, tr)  # first TR of a window: high - low
    atr: NDArray[np.float64] = np.full(m, np.nan)
    ok = count >= period
    if ok.any():
        # seed: mean of the first `period` TRs of each window, then Wilder forward
        seed_cols = np.minimum(first[:, None] + np.arange(period)[None, :], bars - 1)
        seeds = np.take_along_axis(tr, seed_cols, axis=1).mean(axis=1)
        atr = np.where(ok, seeds, np.nan)
        start_col = first + period
        for j in range(int(start_col[ok].min()), bars):
            step = ok & (j >= start_col)
            atr = np.where(step, ((period - 1) * atr + tr[:, j]) / period, atr)
    valid = cols >= first[:, None]
    cz = np.where(valid, close, 0.0)
    safe = np.maximum(count, 1)
    mu = cz.sum(axis=1) / safe
    sig = np.sqrt((np.where(valid, close - mu[:, None], 0.0) ** 2).sum(axis=1) / safe)
    return mu, sig, atr, tr


def bands_of_rows(
    close: NDArray[np.float64],
    high: NDArray[np.float64],
    low: NDArray[np.float64],
    count: NDArray[np.int64],
    period: int,
) -> list[Bands]:
    """``bands_rows`` as one ``Bands`` per row."""
    bars = close.shape[1]
    mu, sig, atr, tr = bands_rows(close, high, low, count, period)
    out: list[Bands] = []
    for r, (n, m, s, a, last) in enumerate(
        zip(count.tolist(), mu.tolist(), sig.tolist(), atr.tolist(), close[:, -1].tolist(),
            strict=True)
    ):  # fmt: skip
        if n == 0:
            out.append(NO_BANDS)
        elif n < period:
            out.append(Bands(m, s, None, tuple(tr[r, bars - n :].tolist()), last))
        else:
            out.append(Bands(m, s, a, (), last))
    return out


def _bands_all(five: Aggregated, kf: NDArray[np.int64], bars: int, period: int) -> list[Bands]:
    """``bands_5m`` for every session at once (``bands_rows`` over each session's window)."""
    if kf.size == 0 or len(five) == 0:
        return [bands_5m(five, int(k), bars, period) for k in kf]
    idx, valid = _window_index(kf, bars)
    count = valid.sum(axis=1)
    return bands_of_rows(five.close[idx], five.high[idx], five.low[idx], count, period)


@dataclass(frozen=True)
class SymbolAggregates:
    """What a symbol's snapshots are computed from: its daily, hourly and 5-minute bars."""

    daily: Aggregated
    hourly: Aggregated
    five: Aggregated


def aggregate_minutes(
    minute_bars: pd.DataFrame, daily: pd.DataFrame | None = None
) -> SymbolAggregates:
    """Step 1 of ``build_snapshots``: the regular-session minute bars aggregated to 5-minute,
    hourly and daily bars (daily from ``daily``, a daily file, when given)."""
    reg = regular_session(minute_bars)
    d_bars = daily_from_frame(daily) if daily is not None else aggregate(reg, None)
    return SymbolAggregates(d_bars, aggregate(reg, 60), aggregate(reg, 5))


@dataclass(frozen=True)
class DailyAt:
    """The daily part of the snapshots of a list of sessions (one entry per session)."""

    bars: list[int]  # daily bars before the session
    slope: list[float]
    tag: list[Tag]
    atr: list[float | None]
    percentile: list[float]


def daily_at(d_bars: Aggregated, sessions: Sequence[date], config: StrategyConfig) -> DailyAt:
    """EMA slope, HH/LL tag, ATR and its percentile from the daily bars before each session."""
    d_ema = ema(d_bars.close, config.ema_span)
    d_tr = true_range(d_bars.high.copy(), d_bars.low, d_bars.close)
    d_atr = wilder_atr(d_tr, config.atr_period)
    kd_all = np.searchsorted(d_bars.session_day, _ordinals(sessions), side="left").astype(np.int64)
    first_atr = config.atr_period - 1
    kd = kd_all.tolist()
    return DailyAt(
        bars=kd,
        slope=[slope(d_ema, d_bars.close, k) for k in kd],
        tag=tags_at(d_bars.high, d_bars.low, kd_all),
        atr=[float(d_atr[k - 1]) if k > first_atr else None for k in kd],
        percentile=percentiles_at(d_atr, first_atr, kd_all).tolist(),
    )


def _ordinals(sessions: Sequence[date]) -> NDArray[np.int64]:
    return np.array([d.toordinal() for d in sessions], dtype=np.int64)


def snapshots_from(
    symbol: str, aggs: SymbolAggregates, sessions: Sequence[date], config: StrategyConfig
) -> dict[date, Snapshot]:
    """Step 2 of ``build_snapshots``: each session's snapshot from the aggregates."""
    h_bars, f_bars = aggs.hourly, aggs.five
    h_ema = ema(h_bars.close, config.ema_span)
    ords = _ordinals(sessions)
    kh_all = np.searchsorted(h_bars.session_day, ords, side="left").astype(np.int64)
    kf_all = np.searchsorted(f_bars.session_day, ords, side="left").astype(np.int64)
    bands = _bands_all(f_bars, kf_all, config.band_bars_5m, config.atr_period)
    d = daily_at(aggs.daily, sessions, config)
    out: dict[date, Snapshot] = {}
    for r, day in enumerate(sessions):
        s_hourly = slope(h_ema, h_bars.close, int(kh_all[r]))
        out[day] = make_snapshot(
            symbol, day, d.slope[r], s_hourly, d.tag[r], d.atr[r], d.percentile[r], bands[r],
            d.bars[r],
        )  # fmt: skip
    return out


def build_snapshots(
    symbol: str,
    minute_bars: pd.DataFrame,
    sessions: Sequence[date],
    config: StrategyConfig,
    daily: pd.DataFrame | None = None,
) -> dict[date, Snapshot]:
    """Snapshot of ``symbol`` for each session in ``sessions``, from data before it.

    Daily bars come from ``daily`` when given (a daily file), else they are aggregated from
    the regular-session minute bars (first open, max high, min low, last close, summed
    volume). Hourly and 5-minute bars always come from the minute bars.
    """
    return snapshots_from(symbol, aggregate_minutes(minute_bars, daily), sessions, config)


_SNAPSHOT_FIELDS = tuple(Snapshot.model_fields)
_PLAIN = not Snapshot.__pydantic_post_init__ and not Snapshot.__pydantic_root_model__


def make_snapshot(
    symbol: str,
    day: date,
    slope_daily: float,
    slope_hourly: float,
    tag: Tag,
    atr_daily: float | None,
    atr_pct: float,
    bands: Bands,
    daily_bars: int,
) -> Snapshot:
    """The ``Snapshot`` these values make, built as ``model_construct`` builds it (no
    validation: the values are computed here) in a tenth of its time: a replay builds one
    per symbol and session."""
    values = {
        "symbol": symbol,
        "session_date": day.isoformat(),
        "ema_slope_daily": slope_daily,
        "ema_slope_hourly": slope_hourly,
        "hh_ll_tag": tag,
        "atr_daily": atr_daily,
        "atr_percentile": atr_pct,
        "htf_bias": htf_bias(slope_daily, slope_hourly, tag),
        "band_mu": bands.mu,
        "band_sigma": bands.sigma,
        "atr_5m": bands.atr,
        "atr_5m_warmup": bands.warmup,
        "last_close_5m": bands.last_close,
        "daily_bars": daily_bars,
    }
    if not _PLAIN:  # pragma: no cover - Snapshot is a plain frozen record
        return Snapshot.model_construct(**values)  # type: ignore[arg-type]
    snap = Snapshot.__new__(Snapshot)
    object.__setattr__(snap, "__dict__", values)
    object.__setattr__(snap, "__pydantic_fields_set__", set(_SNAPSHOT_FIELDS))
    object.__setattr__(snap, "__pydantic_extra__", None)
    object.__setattr__(snap, "__pydantic_private__", None)
    return snap


def seed_closes(minute_bars: pd.DataFrame, session: Session, window: int) -> NDArray[np.float64]:
    """Up to ``window`` closes of the most recent 1-minute bars before the session's open
    (premarket bars when the feed has them, else the end of the previous session)."""
    if minute_bars.empty:
        return np.empty(0)
    idx = pd.DatetimeIndex(minute_bars.index)
    k = int(np.searchsorted(idx.asi8, pd.Timestamp(session.open).value, side="left"))
    lo = max(0, k - window)
    return minute_bars["close"].to_numpy(np.float64)[lo:k].copy()
