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


@dataclass(frozen=True)
class Bands:
    mu: float | None
    sigma: float | None
    atr: float | None
    warmup: tuple[float, ...]
    last_close: float | None


def bands_5m(five: Aggregated, k: int, bars: int, period: int) -> Bands:
    """mu/sigma (population) of the last ``bars`` five-minute closes before bar k, and
    Wilder's ATR over exactly those bars (first TR = high - low). Fewer than ``period``
    bars: ATR undefined, and the TRs so far are returned so the live engine can finish
    the warm-up."""
    lo = max(0, k - bars)
    if k - lo == 0:
        return Bands(None, None, None, (), None)
    c = five.close[lo:k]
    tr = true_range(five.high[lo:k].copy(), five.low[lo:k], c)
    mu = float(np.mean(c))
    sigma = float(np.std(c))
    if tr.size < period:
        return Bands(mu, sigma, None, tuple(float(x) for x in tr), float(c[-1]))
    atr = float(wilder_atr(tr, period)[-1])
    return Bands(mu, sigma, atr, (), float(c[-1]))


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
    reg = regular_session(minute_bars)
    d_bars = daily_from_frame(daily) if daily is not None else aggregate(reg, None)
    h_bars = aggregate(reg, 60)
    f_bars = aggregate(reg, 5)

    d_ema = ema(d_bars.close, config.ema_span)
    d_tr = true_range(d_bars.high.copy(), d_bars.low, d_bars.close)
    d_atr = wilder_atr(d_tr, config.atr_period)
    h_ema = ema(h_bars.close, config.ema_span)

    out: dict[date, Snapshot] = {}
    for day in sessions:
        kd = d_bars.count_before(day)
        kh = h_bars.count_before(day)
        kf = f_bars.count_before(day)
        s_daily = slope(d_ema, d_bars.close, kd)
        s_hourly = slope(h_ema, h_bars.close, kh)
        tag = hh_ll_tag(d_bars.high[:kd], d_bars.low[:kd])
        atr_vals = d_atr[:kd]
        atr_vals = atr_vals[~np.isnan(atr_vals)]
        bands = bands_5m(f_bars, kf, config.band_bars_5m, config.atr_period)
        out[day] = Snapshot(
            symbol=symbol,
            session_date=day.isoformat(),
            ema_slope_daily=s_daily,
            ema_slope_hourly=s_hourly,
            hh_ll_tag=tag,
            atr_daily=float(atr_vals[-1]) if atr_vals.size else None,
            atr_percentile=atr_percentile(atr_vals),
            htf_bias=htf_bias(s_daily, s_hourly, tag),
            band_mu=bands.mu,
            band_sigma=bands.sigma,
            atr_5m=bands.atr,
            atr_5m_warmup=bands.warmup,
            last_close_5m=bands.last_close,
            daily_bars=kd,
        )
    return out


def seed_closes(minute_bars: pd.DataFrame, session: Session, window: int) -> NDArray[np.float64]:
    """Up to ``window`` closes of the most recent 1-minute bars before the session's open
    (premarket bars when the feed has them, else the end of the previous session)."""
    if minute_bars.empty:
        return np.empty(0)
    idx = pd.DatetimeIndex(minute_bars.index)
    k = int(np.searchsorted(idx.asi8, pd.Timestamp(session.open).value, side="left"))
    lo = max(0, k - window)
    return minute_bars["close"].to_numpy(np.float64)[lo:k].copy()
