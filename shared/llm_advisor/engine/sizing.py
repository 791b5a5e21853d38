"""Risk sizing of a signal into a bracket (pure).

R (risk per share) is the *unrounded* ``atr_multiplier_sl x atr_5m``; quantity is the risk
budget over R, capped by the position-size limit and the buying power left. Float noise is
removed before flooring (a quantity within 1e-9 of a whole share is that share), the same
rule the cent rounding uses, so 1000/2.5 is 400 and never 399.

Whose equity: replay sizes from ``starting_equity`` plus its own realized P/L. A live driver
sizes from the broker's account instead (``SessionAccount``): the account's equity at the
previous close plus today's realized P/L, optionally capped, and the notional is capped by
the smaller of the strategy's buying power and the broker's. The driver reads the broker
once at the session's begin and hands the figures in; nothing here talks to a broker.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from llm_advisor.core.config import StrategyConfig
from llm_advisor.engine.fills import bracket_prices


def floor_shares(x: float) -> int:
    if not math.isfinite(x) or x <= 0:
        return 0
    r = round(x)
    if abs(x - r) <= 1e-9 * max(1.0, abs(x)):
        return int(r)
    return math.floor(x)


def qty_with_buying_power(
    by_risk: int,
    by_size: int,
    ref: float,
    equity: float,
    committed: float,
    cfg: StrategyConfig,
    broker_buying_power: float | None = None,
) -> int:
    """Cap by the buying power left: the strategy's (``buying_power_multiplier`` x equity) or,
    when the broker's is known and smaller, the broker's, less the committed notional."""
    limit = cfg.buying_power_multiplier * equity
    if broker_buying_power is not None:
        limit = min(limit, broker_buying_power)
    return max(0, min(by_risk, by_size, floor_shares((limit - committed) / ref)))


@dataclass(frozen=True, slots=True)
class SessionAccount:
    """The broker account's figures a live session sizes from, fixed at the session's begin.

    ``equity`` is the account's equity as of the previous close (Alpaca ``last_equity``), so
    a tick rerun at 10:00 sizes like the one at 09:31 did; it is stored with the engine state.
    ``buying_power`` is the broker's at the begin (no position is open then: every session
    ends flat). ``max_equity`` is ``ADVISOR_MAX_SIZING_EQUITY``, the ceiling on the sizing
    equity including today's realized P/L.
    """

    equity: Decimal
    buying_power: Decimal | None = None
    max_equity: Decimal | None = None

    def sizing_equity(self, realized_today: Decimal) -> Decimal:
        eq = self.equity + realized_today
        return eq if self.max_equity is None else min(eq, self.max_equity)

    def to_dict(self) -> dict[str, str | None]:
        return {
            "equity": str(self.equity),
            "buying_power": None if self.buying_power is None else str(self.buying_power),
            "max_equity": None if self.max_equity is None else str(self.max_equity),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SessionAccount:
        def dec(v: Any) -> Decimal | None:
            return None if v is None else Decimal(str(v))

        equity = dec(d["equity"])
        assert equity is not None
        return cls(equity, dec(d.get("buying_power")), dec(d.get("max_equity")))


def session_account(
    equity: Decimal,
    last_equity: Decimal | None,
    buying_power: Decimal | None,
    max_equity: Decimal | None = None,
) -> SessionAccount:
    """The session's figures from a broker account read at the begin: ``last_equity`` (the
    previous close) when the broker reports it, else the current ``equity``."""
    base = last_equity if last_equity is not None and last_equity > 0 else equity
    return SessionAccount(max(Decimal(0), base), buying_power, max_equity)


class Sizing(NamedTuple):
    """A signal's bracket and quantity (a tuple: sized once per signal on the hot path)."""

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
    broker_buying_power: float | None = None,
) -> Sizing:
    if not math.isfinite(atr_5m) or atr_5m <= 0:
        return Sizing(None, None, None, 0, "atr_undefined")
    r = cfg.atr_multiplier_sl * atr_5m
    stop, target = bracket_prices(ref, r, cfg.min_rr_ratio, side_sign)
    by_risk = floor_shares(equity * cfg.max_risk_per_trade / 100.0 / r)
    by_size = floor_shares(equity * cfg.max_position_pct / 100.0 / ref)
    qty = qty_with_buying_power(
        by_risk, by_size, ref, equity, committed_notional, cfg, broker_buying_power
    )
    return Sizing(r, stop, target, qty, "" if qty > 0 else "size_zero")
