"""Risk sizing of a signal into a bracket (pure).

R (risk per share) is the *unrounded* ``atr_multiplier_sl x atr_5m``; quantity is the risk
budget over R, capped by the position-size limit and the buying power left. Float noise is
removed before flooring (a quantity within 1e-9 of a whole share is that share), the same
rule the cent rounding uses, so 1000/2.5 is 400 and never 399.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from llm_advisor.core.config import StrategyConfig
from llm_advisor.execution.fills import bracket_prices


def floor_shares(x: float) -> int:
    if not math.isfinite(x) or x <= 0:
        return 0
    r = round(x)
    if abs(x - r) <= 1e-9 * max(1.0, abs(x)):
        return int(r)
    return math.floor(x)


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
