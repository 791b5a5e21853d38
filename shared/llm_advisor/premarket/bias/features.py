"""Bias features from daily bars, each row using only what was known at that day's close.

Row ``t`` describes the market after the close of session ``t`` and is the input for the
prediction of session ``t+1``. Nothing here looks at ``t+1``: the gap of ``t+1`` is *not* a
feature, because daily bars do not contain it before the open. Returns are divided by the
symbol's ATR% so that one model serves quiet and wild tickers alike. SPY and VIX context is
aligned on the symbol's dates with a forward fill (causal: a missing context day repeats the
previous known value, never a later one).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from llm_advisor.core.errors import DataError

FEATURES: tuple[str, ...] = (
    "ret_1_atr",
    "ret_5_atr",
    "ret_20_atr",
    "oc_1_atr",
    "range_1_atr",
    "close_pos_1",
    "atr_pct",
    "atr_trend",
    "ema_slope_20",
    "dist_ema_20",
    "rsi_14",
    "volume_z_20",
    "spy_ret_1_atr",
    "spy_ret_5_atr",
    "spy_dist_ema_20",
    "vix_log",
    "vix_chg_5",
)
MIN_HISTORY = 40  # rows of daily history before the first usable feature row
OHLCV = ("open", "high", "low", "close", "volume")


def normalize_daily(df: pd.DataFrame, name: str = "daily") -> pd.DataFrame:
    """Daily bars indexed by naive session date, sorted, OHLCV float columns.

    Accepts a ``date`` column or a DatetimeIndex (tz-aware indexes are reduced to the date).
    """
    out = df.copy()
    if "date" in out.columns:
        out = out.set_index("date")
    idx = pd.DatetimeIndex(pd.to_datetime(out.index))
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    out.index = idx.normalize()
    out.index.name = "date"
    missing = [c for c in OHLCV if c not in out.columns]
    if missing:
        raise DataError(f"{name}: missing column(s) {', '.join(missing)}")
    out = out.loc[:, list(OHLCV)].astype("float64")
    if out.index.has_duplicates:
        dup = out.index[out.index.duplicated()][0]
        raise DataError(f"{name}: duplicate date {dup.date().isoformat()}")
    return out.sort_index()


def _wilder(x: pd.Series, n: int) -> pd.Series:
    return x.ewm(alpha=1.0 / n, adjust=False).mean()


def atr14(df: pd.DataFrame) -> pd.Series:
    """ATR(14) with Wilder smoothing; the first TR is high - low."""
    prev = df["close"].shift(1)
    tr = pd.concat(
        [df["high"] - df["low"], (df["high"] - prev).abs(), (df["low"] - prev).abs()], axis=1
    ).max(axis=1)
    tr.iloc[0] = df["high"].iloc[0] - df["low"].iloc[0]
    return _wilder(tr, 14)


def _rsi14(close: pd.Series) -> pd.Series:
    d = close.diff()
    up = _wilder(d.clip(lower=0).fillna(0.0), 14)
    down = _wilder((-d).clip(lower=0).fillna(0.0), 14)
    rs = up / down.replace(0.0, np.nan)
    rsi = 100.0 - 100.0 / (1.0 + rs)
    return rsi.fillna(100.0).where(down > 0, 100.0).where((up > 0) | (down > 0), 50.0)


def _context(df: pd.DataFrame | None, prefix: str) -> pd.DataFrame:
    if df is None or df.empty:
        return pd.DataFrame()
    c = df["close"]
    if prefix == "spy":
        atr_pct = atr14(df) / c
        ema = c.ewm(span=20, adjust=False).mean()
        return pd.DataFrame(
            {
                "spy_ret_1_atr": np.log(c).diff() / atr_pct,
                "spy_ret_5_atr": np.log(c).diff(5) / (atr_pct * np.sqrt(5)),
                "spy_dist_ema_20": (c / ema - 1.0) / atr_pct,
            }
        )
    return pd.DataFrame({"vix_log": np.log(c), "vix_chg_5": np.log(c).diff(5)})


def compute_features(
    daily: pd.DataFrame, spy: pd.DataFrame | None = None, vix: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Feature rows (index = feature date t) plus two training helpers:

    ``next_move_atr`` = (close[t+1] - open[t+1]) / ATR14[t] (NaN on the last row) and
    ``next_date`` = the date of t+1 (NaT on the last row). Rows before ``MIN_HISTORY``
    are dropped; context features missing for a date stay NaN (the model imputes them).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return _compute(normalize_daily(daily), spy, vix)


def _compute(d: pd.DataFrame, spy: pd.DataFrame | None, vix: pd.DataFrame | None) -> pd.DataFrame:
    c, o, h, lo, v = d["close"], d["open"], d["high"], d["low"], d["volume"]
    atr = atr14(d)
    atr_pct = atr / c
    logc = np.log(c)
    ema = c.ewm(span=20, adjust=False).mean()
    logv = np.log(v.where(v > 0))
    vmean = logv.rolling(20, min_periods=10).mean()
    vstd = logv.rolling(20, min_periods=10).std(ddof=0)
    rng = (h - lo).replace(0.0, np.nan)
    out = pd.DataFrame(
        {
            "ret_1_atr": logc.diff() / atr_pct,
            "ret_5_atr": logc.diff(5) / (atr_pct * np.sqrt(5)),
            "ret_20_atr": logc.diff(20) / (atr_pct * np.sqrt(20)),
            "oc_1_atr": (c - o) / atr,
            "range_1_atr": (h - lo) / atr,
            "close_pos_1": ((c - lo) / rng).fillna(0.5) - 0.5,
            "atr_pct": np.log(atr_pct),
            "atr_trend": np.log(atr / atr.shift(10)),
            "ema_slope_20": (ema - ema.shift(4)) / (4.0 * c) / atr_pct,
            "dist_ema_20": (c / ema - 1.0) / atr_pct,
            "rsi_14": (_rsi14(c) - 50.0) / 50.0,
            "volume_z_20": ((logv - vmean) / vstd.replace(0.0, np.nan)).fillna(0.0),
        },
        index=d.index,
    )
    for ctx in (
        _context(None if spy is None else normalize_daily(spy, "SPY"), "spy"),
        _context(None if vix is None else normalize_daily(vix, "VIX"), "vix"),
    ):
        if ctx.empty:
            continue
        aligned = ctx.reindex(ctx.index.union(d.index)).ffill().reindex(d.index)
        for col in ctx.columns:
            out[col] = aligned[col]
    for col in FEATURES:
        if col not in out.columns:
            out[col] = np.nan
    out = out.loc[:, list(FEATURES)]
    out = out.replace([np.inf, -np.inf], np.nan)
    out["next_move_atr"] = (c.shift(-1) - o.shift(-1)) / atr
    nd = pd.Series(d.index, index=d.index).shift(-1)
    out["next_date"] = nd
    out["today_move_atr"] = (c - o) / atr.shift(1)
    return out.iloc[MIN_HISTORY:]


def feature_matrix(frame: pd.DataFrame, names: Sequence[str] = FEATURES) -> npt.NDArray[np.float64]:
    return frame.loc[:, list(names)].to_numpy(dtype=np.float64)
