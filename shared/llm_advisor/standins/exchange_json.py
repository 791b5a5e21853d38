"""The stand-in exchange as Alpaca's REST API shows it: orders, positions, account, clock.

The real ``alpaca-py`` clients parse these bodies, so every field they read is present with
Alpaca's spelling and types (decimal strings, ``Z`` times, nested legs). Kept out of the
exchange's logic so a change of wire format never touches how orders fill.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from llm_advisor.core.calendar import NY, make_session, session_for, sessions_between
from llm_advisor.core.money import to_decimal
from llm_advisor.standins.exchange_records import SimOrder
from llm_advisor.standins.exchange_state import ExchangeState


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _num(x: float | int | None) -> str | None:
    return None if x is None else str(to_decimal(float(x)).normalize())


def _asset_id(symbol: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"asset:{symbol}"))


class ExchangeJson(ExchangeState):
    """Alpaca's JSON bodies for the exchange's orders, positions, account and clock."""

    def order_json(self, o: SimOrder, nested: bool) -> dict[str, Any]:
        with self.lock:
            legs = (
                [self.order_json(self.orders[i], nested=False) for i in o.leg_ids]
                if nested and o.leg_ids
                else None
            )
            return {
                "id": o.id,
                "client_order_id": o.client_order_id,
                "created_at": _iso(o.submitted_at),
                "updated_at": _iso(o.updated_at),
                "submitted_at": _iso(o.submitted_at),
                "filled_at": _iso(o.filled_at),
                "expired_at": _iso(o.expired_at),
                "canceled_at": _iso(o.canceled_at),
                "failed_at": None,
                "replaced_at": None,
                "replaced_by": None,
                "replaces": None,
                "asset_id": _asset_id(o.symbol),
                "symbol": o.symbol,
                "asset_class": "us_equity",
                "notional": None,
                "qty": str(o.qty),
                "filled_qty": str(o.filled_qty),
                "filled_avg_price": _num(o.filled_avg_price),
                "order_class": o.order_class,
                "order_type": o.type,
                "type": o.type,
                "side": o.side,
                "position_intent": None,
                "time_in_force": o.time_in_force,
                "limit_price": _num(o.limit_price),
                "stop_price": _num(o.stop_price),
                "status": o.status,
                "extended_hours": False,
                "legs": legs,
                "trail_percent": None,
                "trail_price": None,
                "hwm": None,
            }

    def position_json(self, symbol: str) -> dict[str, Any]:
        with self.lock:
            p = self.positions[symbol]
            last = self.last_price.get(symbol, p.avg_entry_price)
            qty = to_decimal(p.qty)
            avg = to_decimal(round(p.avg_entry_price, 6))
            mv = qty * to_decimal(last)
            cost = qty * avg
            return {
                "asset_id": _asset_id(symbol),
                "symbol": symbol,
                "exchange": "NASDAQ",
                "asset_class": "us_equity",
                "asset_marginable": True,
                "avg_entry_price": str(avg),
                "qty": str(p.qty),
                "qty_available": str(abs(p.qty)),
                "side": "long" if p.qty > 0 else "short",
                "market_value": str(mv),
                "cost_basis": str(cost),
                "unrealized_pl": str(mv - cost),
                "current_price": _num(last),
                "lastday_price": _num(last),
                "change_today": "0",
            }

    def account_json(self) -> dict[str, Any]:
        with self.lock:
            eq = self.equity()
            bp = self.buying_power()
            return {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "account:standin")),
                "account_number": "PA0STANDIN",
                "status": "ACTIVE",
                "crypto_status": "ACTIVE",
                "currency": "USD",
                "buying_power": str(bp),
                "regt_buying_power": str(bp / 2),
                "daytrading_buying_power": str(bp),
                "non_marginable_buying_power": str(self.cash),
                "cash": str(self.cash),
                "portfolio_value": str(eq),
                "equity": str(eq),
                "last_equity": str(self.last_equity),
                "pattern_day_trader": False,
                "trading_blocked": False,
                "transfers_blocked": False,
                "account_blocked": False,
                "trade_suspended_by_user": False,
                "multiplier": str(int(self.buying_power_multiplier)),
                "shorting_enabled": True,
                "daytrade_count": 0,
            }

    def clock_json(self) -> dict[str, Any]:
        now = self.now()
        today = now.astimezone(NY).date()
        is_open = session_for(now) is not None
        days = sessions_between(today - timedelta(days=1), today + timedelta(days=14))
        sessions = [make_session(d) for d in days]
        next_open = next(s.open for s in sessions if s.open > now)
        next_close = next(s.close for s in sessions if s.close > now)
        return {
            "timestamp": _iso(now),
            "is_open": is_open,
            "next_open": _iso(next_open),
            "next_close": _iso(next_close),
        }


def calendar_json(start: date, end: date) -> list[dict[str, str]]:
    out = []
    for d in sessions_between(start, end):
        s = make_session(d)
        out.append(
            {
                "date": d.isoformat(),
                "open": s.open.astimezone(NY).strftime("%H:%M"),
                "close": s.close.astimezone(NY).strftime("%H:%M"),
                "session_open": "0400",
                "session_close": "2000",
                "settlement_date": (d + timedelta(days=1)).isoformat(),
            }
        )
    return out
