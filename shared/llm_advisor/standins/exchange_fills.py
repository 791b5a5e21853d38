"""How the stand-in exchange fills: the spec's fill rules applied to its open orders.

Kept apart from the order book because this is the part that must trade exactly like the
replay broker (``llm_advisor.engine.fills``): a market order fills at the open of the first
bar at or after its submission minute, a bracket's legs from the entry's fill bar on, one
leg's fill cancels the other, and day orders expire when the next session's bars arrive.
"""

from __future__ import annotations

import math
from datetime import datetime

from llm_advisor.core.calendar import NY
from llm_advisor.core.money import to_decimal
from llm_advisor.engine.fills import entry_fill_price, exit_fill
from llm_advisor.standins.exchange_records import SimOrder, SimPosition
from llm_advisor.standins.exchange_state import ExchangeState


class ExchangeFills(ExchangeState):
    """Fills, cancels and expiries, with the trade-update events they emit."""

    # ------------------------------------------------------------------ fills
    def _maybe_fill_market(self, order: SimOrder, ts: datetime, o: float) -> None:
        if ts < order.submitted_at.replace(second=0, microsecond=0):
            return
        remaining = order.qty - order.filled_qty
        qty = remaining
        if order.partial_fraction is not None and order.filled_qty == 0:
            qty = max(1, math.floor(order.qty * order.partial_fraction))
        price = entry_fill_price(o, order.sign, self.slippage_bps)
        self._fill(order, qty, price, ts)
        if order.role == "entry":
            for leg_id in order.leg_ids:
                leg = self.orders[leg_id]
                if leg.status == "held" and leg.active_from is None:
                    leg.active_from = ts
                    leg.status = "new" if leg.role == "target" else "held"
                    leg.updated_at = self.now()

    def _maybe_exit(self, parent: SimOrder, ts: datetime, o: float, h: float, low: float) -> None:
        legs = [self.orders[i] for i in parent.leg_ids]
        if not legs or not all(leg.is_open for leg in legs):
            return
        if any(leg.active_from is None or ts < leg.active_from for leg in legs):
            return
        target = next(leg for leg in legs if leg.role == "target")
        stop = next(leg for leg in legs if leg.role == "stop")
        assert target.limit_price is not None and stop.stop_price is not None
        hit = exit_fill(parent.sign, stop.stop_price, target.limit_price, o, h, low)
        if hit is None:
            return
        price, reason = hit
        filled, other = (stop, target) if reason == "stop" else (target, stop)
        if parent.is_open:  # a partially filled entry: the rest is cancelled
            self._cancel_one(parent)
        self._fill(filled, parent.filled_qty, price, ts, whole=True)
        self._cancel_one(other)

    def _fill(
        self, order: SimOrder, qty: int, price: float, ts: datetime, whole: bool = False
    ) -> None:
        prev = order.filled_qty
        order.filled_qty = prev + qty
        avg = order.filled_avg_price or 0.0
        order.filled_avg_price = (avg * prev + price * qty) / order.filled_qty
        if whole:
            order.qty = order.filled_qty
        order.status = "filled" if order.filled_qty >= order.qty else "partially_filled"
        order.filled_at = ts
        order.updated_at = self.now()
        self._apply_position(order.symbol, order.sign * qty, price)
        self._event("fill" if order.status == "filled" else "partial_fill", order, qty, price)

    def _apply_position(self, symbol: str, signed_qty: int, price: float) -> None:
        pos = self.positions.setdefault(symbol, SimPosition())
        self.cash -= to_decimal(signed_qty) * to_decimal(price)
        new_qty = pos.qty + signed_qty
        if pos.qty == 0 or (pos.qty > 0) == (signed_qty > 0):
            total = abs(pos.qty) + abs(signed_qty)
            pos.avg_entry_price = (
                pos.avg_entry_price * abs(pos.qty) + price * abs(signed_qty)
            ) / total
        elif new_qty != 0 and (new_qty > 0) != (pos.qty > 0):
            pos.avg_entry_price = price  # flipped through zero
        pos.qty = new_qty
        if pos.qty == 0:
            del self.positions[symbol]

    def _cancel_one(self, o: SimOrder) -> None:
        if o.is_open:
            o.status = "canceled"
            o.canceled_at = o.updated_at = self.now()
            self._event("canceled", o)

    def _cancel_tree(self, o: SimOrder) -> None:
        root = self.orders[o.parent_id] if o.parent_id else o
        if o.parent_id is None:
            self._cancel_one(o)
        for leg_id in root.leg_ids:
            self._cancel_one(self.orders[leg_id])

    def _expire_old_day_orders(self, ts: datetime) -> None:
        day = ts.astimezone(NY).date()
        for o in self.orders.values():
            if o.is_open and o.time_in_force == "day" and o.session_day < day:
                o.status = "expired"
                o.expired_at = o.updated_at = self.now()
                self._event("expired", o)

    def _event(
        self, kind: str, o: SimOrder, qty: int | None = None, px: float | None = None
    ) -> None:
        self.events.append(
            {"event": kind, "order_id": o.id, "qty": qty, "price": px, "at": self.now()}
        )
