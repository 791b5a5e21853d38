"""Risk sizing of a signal into a bracket (pure).

R (risk per share) is the *unrounded* ``atr_multiplier_sl x atr_5m``; quantity is the risk
budget over R, capped by the position-size limit and the buying power left. Float noise is
removed before flooring (a quantity within 1e-9 of a whole share is that share), the same
rule the cent rounding uses, so 1000/2.5 is 400 and never 399.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.money import round_down_cent_array, round_up_cent_array
from llm_advisor.execution.fills import bracket_prices


def floor_shares(x: float) -> int:
    if not math.isfinite(x) or x <= 0:
        return 0
    r = round(x)
    if abs(x - r) <= 1e-9 * max(1.0, abs(x)):
        return int(r)
    return math.floor(x)


def floor_shares_array(x: NDArray[np.float64]) -> NDArray[np.int64]:
    """``floor_shares`` element-wise (same arithmetic, so the same results)."""
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(x) & (x > 0)
        safe = np.where(ok, x, 0.0)
        r = np.round(safe)
        snapped = np.abs(safe - r) <= 1e-9 * np.maximum(1.0, np.abs(safe))
        out = np.where(snapped, r, np.floor(safe))
    return np.where(ok, out, 0.0).astype(np.int64)


@dataclass(frozen=True)
class BatchSizing:
    """Sizing of every signal of one bar, before buying power (which is sequential)."""

    risk_per_share: NDArray[np.float64]  # NaN where ATR is undefined
    stop: NDArray[np.float64]
    target: NDArray[np.float64]
    by_risk: NDArray[np.int64]
    by_size: NDArray[np.int64]
    atr_ok: NDArray[np.bool_]


def size_batch(
    ref: NDArray[np.float64],
    atr_5m: NDArray[np.float64],
    side_sign: NDArray[np.int64],
    equity: float,
    cfg: StrategyConfig,
) -> BatchSizing:
    """``size_signal`` for many signals at once, except the buying-power cap, which depends
    on the orders accepted before each one (``qty_with_buying_power``)."""
    with np.errstate(invalid="ignore"):
        atr_ok = np.isfinite(atr_5m) & (atr_5m > 0)
    r = np.where(atr_ok, cfg.atr_multiplier_sl * atr_5m, np.nan)
    long_ = side_sign > 0
    stop = np.where(long_, round_down_cent_array(ref - r), round_up_cent_array(ref + r))
    target = np.where(
        long_,
        round_down_cent_array(ref + cfg.min_rr_ratio * r),
        round_up_cent_array(ref - cfg.min_rr_ratio * r),
    )
    by_risk = floor_shares_array(equity * cfg.max_risk_per_trade / 100.0 / r)
    by_size = floor_shares_array(equity * cfg.max_position_pct / 100.0 / ref)
    return BatchSizing(r, stop, target, by_risk, by_size, atr_ok)


def qty_with_buying_power(
    by_risk: int, by_size: int, ref: float, equity: float, committed: float, cfg: StrategyConfig
) -> int:
    buying_power = cfg.buying_power_multiplier * equity - committed
    return max(0, min(by_risk, by_size, floor_shares(buying_power / ref)))


@dataclass(frozen=True, slots=True)
class Sizing:
    risk_per_share: float | None
    stop: float | None
    target: float | None
    qty: int
    reject: str  # "" when sizable; else atr_undefined / size_zero


def size_signal(
    ref: float,
    atr_5m: float,
    side_sign: int,
    equity: float,
    committed_notional: float,
    cfg: StrategyConfig,
) -> Sizing:
    if not math.isfinite(atr_5m) or atr_5m <= 0:
        return Sizing(None, None, None, 0, "atr_undefined")
    r = cfg.atr_multiplier_sl * atr_5m
    stop, target = bracket_prices(ref, r, cfg.min_rr_ratio, side_sign)
    by_risk = floor_shares(equity * cfg.max_risk_per_trade / 100.0 / r)
    by_size = floor_shares(equity * cfg.max_position_pct / 100.0 / ref)
    buying_power = cfg.buying_power_multiplier * equity - committed_notional
    by_bp = floor_shares(buying_power / ref)
    qty = max(0, min(by_risk, by_size, by_bp))
    return Sizing(r, stop, target, qty, "" if qty > 0 else "size_zero")
