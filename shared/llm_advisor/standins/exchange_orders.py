"""The stand-in exchange's order book: submit, look up, list, cancel and liquidate.

Alpaca's request rules live here (what a bracket must look like, buying power, duplicate
client order ids, qty held for exits) with Alpaca's error codes and wording, so a client
tested against the stand-in sees the refusals the real API gives.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from llm_advisor.core.calendar import NY
from llm_advisor.standins.exchange_fills import ExchangeFills
from llm_advisor.standins.exchange_json import ExchangeJson
from llm_advisor.standins.exchange_records import DUPLICATE_CLIENT_ID, ExchangeError, SimOrder


class ExchangeOrders(ExchangeFills, ExchangeJson):
    """Order entry and management; fills come from ``ExchangeFills`` as bars arrive."""

    def submit(self, payload: dict[str, Any]) -> SimOrder:
        with self.lock:
            return self._submit(payload)

    def _submit(self, p: dict[str, Any]) -> SimOrder:
        symbol = str(p.get("symbol") or "")
        if not symbol:
            raise ExchangeError(422, 40010001, "symbol is required")
        try:
            qty_f = float(p.get("qty") or 0)
        except (TypeError, ValueError):
            raise ExchangeError(422, 40010001, "qty must be a number") from None
        if qty_f <= 0 or not qty_f.is_integer():
            raise ExchangeError(422, 40010001, f"qty must be a positive whole number: {qty_f}")
        qty = int(qty_f)
        side = str(p.get("side") or "")
        if side not in ("buy", "sell"):
            raise ExchangeError(422, 40010001, f"invalid side {side!r}")
        otype = str(p.get("type") or "market")
        if otype != "market":
            raise ExchangeError(422, 40010001, f"the stand-in takes market orders, not {otype!r}")
        tif = str(p.get("time_in_force") or "")
        if tif not in ("day", "gtc"):
            raise ExchangeError(422, 40010001, f"invalid time_in_force {tif!r}")
        order_class = str(p.get("order_class") or "simple")
        cid = str(p.get("client_order_id") or self._new_id())
        if len(cid) > 128:
            raise ExchangeError(422, 40010001, "client_order_id must be at most 128 characters")
        if cid in self.by_client_id:
            raise ExchangeError(422, 40010001, DUPLICATE_CLIENT_ID)
        last = self.last_price.get(symbol)
        tp = sl = None
        if order_class == "bracket":
            tp = _price(p.get("take_profit"), "limit_price", "take_profit.limit_price")
            sl = _price(p.get("stop_loss"), "stop_price", "stop_loss.stop_price")
            sign = 1 if side == "buy" else -1
            if sign * (tp - sl) <= 0:
                raise ExchangeError(
                    422, 42210000, "take_profit.limit_price must be beyond stop_loss.stop_price"
                )
            if last is not None:
                if sign * (tp - last) < 0.01 - 1e-9:
                    raise ExchangeError(
                        422,
                        42210000,
                        f"take_profit.limit_price must be {'>' if sign > 0 else '<'}= "
                        f"base_price {'+' if sign > 0 else '-'} 0.01",
                    )
                if sign * (last - sl) < 0.01 - 1e-9:
                    raise ExchangeError(
                        422,
                        42210000,
                        f"stop_loss.stop_price must be {'<' if sign > 0 else '>'}= "
                        f"base_price {'-' if sign > 0 else '+'} 0.01",
                    )
        elif order_class not in ("simple", ""):
            raise ExchangeError(422, 40010001, f"order_class {order_class!r} not supported")
        pos_qty = self.positions[symbol].qty if symbol in self.positions else 0
        reduces = pos_qty != 0 and (pos_qty > 0) != (side == "buy") and qty <= abs(pos_qty)
        if not reduces and last is not None and qty * last > float(self.buying_power()):
            raise ExchangeError(403, 40310000, "insufficient buying power")
        now = self.now()
        day = now.astimezone(NY).date()
        parent = SimOrder(
            id=self._new_id(),
            client_order_id=cid,
            symbol=symbol,
            side=side,
            qty=qty,
            type="market",
            order_class="bracket" if order_class == "bracket" else "simple",
            time_in_force=tif,
            status="new",
            submitted_at=now,
            updated_at=now,
            session_day=day,
            role="entry" if order_class == "bracket" else "simple",
        )
        if self._partial_next:
            parent.partial_fraction = self._partial_next.pop(0)
        self.orders[parent.id] = parent
        self.by_client_id[cid] = parent.id
        if order_class == "bracket":
            exit_side = "sell" if side == "buy" else "buy"
            for role, otype_leg, lim, stp in (
                ("target", "limit", tp, None),
                ("stop", "stop", None, sl),
            ):
                leg = SimOrder(
                    id=self._new_id(),
                    client_order_id=self._new_id(),
                    symbol=symbol,
                    side=exit_side,
                    qty=qty,
                    type=otype_leg,
                    order_class="bracket",
                    time_in_force=tif,
                    status="held",
                    submitted_at=now,
                    updated_at=now,
                    session_day=day,
                    role=role,
                    limit_price=lim,
                    stop_price=stp,
                    parent_id=parent.id,
                )
                self.orders[leg.id] = leg
                self.by_client_id[leg.client_order_id] = leg.id
                parent.leg_ids.append(leg.id)
        self._event("new", parent)
        return parent

    def partial_fill_next(self, fraction: float) -> None:
        """The next submitted entry fills only ``fraction`` of its qty on its first bar; the
        rest fills at the following bar's open."""
        if not 0 < fraction < 1:
            raise ValueError(f"fraction={fraction} must be in (0, 1)")
        with self.lock:
            self._partial_next.append(fraction)

    def get(self, order_id: str) -> SimOrder:
        with self.lock:
            o = self.orders.get(order_id)
            if o is None:
                raise ExchangeError(404, 40410000, "order not found")
            return o

    def get_by_client_id(self, cid: str) -> SimOrder:
        with self.lock:
            oid = self.by_client_id.get(cid)
            if oid is None:
                raise ExchangeError(404, 40410000, "order not found")
            return self.orders[oid]

    def list_orders(
        self,
        *,
        status: str = "open",
        nested: bool = False,
        limit: int = 50,
        after: datetime | None = None,
        until: datetime | None = None,
        direction: str = "desc",
        symbols: set[str] | None = None,
    ) -> list[SimOrder]:
        with self.lock:
            out = []
            for o in self.orders.values():
                if nested and o.parent_id is not None:
                    continue
                if symbols and o.symbol not in symbols:
                    continue
                if after is not None and o.submitted_at <= after:
                    continue
                if until is not None and o.submitted_at > until:
                    continue
                open_ = o.is_open or (nested and any(self.orders[i].is_open for i in o.leg_ids))
                if status == "open" and not open_:
                    continue
                if status == "closed" and o.is_open:
                    continue
                out.append(o)
            out.sort(key=lambda o: (o.submitted_at, o.id), reverse=direction == "desc")
            return out[: max(1, min(limit, 500))]

    def cancel(self, order_id: str) -> None:
        with self.lock:
            o = self.get(order_id)
            if not o.is_open:
                raise ExchangeError(422, 42210000, f"order is not cancelable (status {o.status})")
            self._cancel_tree(o)

    def cancel_all(self) -> list[str]:
        with self.lock:
            ids = []
            for o in list(self.orders.values()):
                if o.is_open and o.parent_id is None:
                    ids.append(o.id)
                    self._cancel_tree(o)
                elif o.is_open:
                    ids.append(o.id)
                    self._cancel_one(o)
            return ids

    def close_all(self, cancel_orders: bool) -> list[tuple[str, int, dict[str, Any]]]:
        """Liquidate every position with a market order filling at the next bar's open."""
        with self.lock:
            if cancel_orders:
                self.cancel_all()
            return [self._close(symbol) for symbol in sorted(self.positions)]

    def close_position(self, symbol: str) -> dict[str, Any]:
        """Liquidate one position (its working exit orders must be cancelled first)."""
        with self.lock:
            if symbol not in self.positions:
                raise ExchangeError(404, 40410000, "position does not exist")
            _, status, body = self._close(symbol)
            if status != 200:
                raise ExchangeError(status, int(body["code"]), str(body["message"]))
            return body

    def _close(self, symbol: str) -> tuple[str, int, dict[str, Any]]:
        pos = self.positions[symbol]
        held = self._held_qty(symbol)
        available = abs(pos.qty) - held
        if available <= 0:
            err = ExchangeError(403, 40310000, "insufficient qty available for order")
            body = err.body() | {
                "available": available,
                "existing_qty": abs(pos.qty),
                "held_for_orders": held,
                "symbol": symbol,
            }
            return symbol, 403, body
        order = self._submit(
            {
                "symbol": symbol,
                "qty": available,
                "side": "sell" if pos.qty > 0 else "buy",
                "type": "market",
                "time_in_force": "day",
            }
        )
        return symbol, 200, self.order_json(order, nested=False)

    def _held_qty(self, symbol: str) -> int:
        """Shares already promised to open exit orders (an OCO pair holds its qty once)."""
        held = 0
        for o in self.orders.values():
            if o.symbol != symbol:
                continue
            if o.role == "simple" and o.is_open:
                held += o.qty - o.filled_qty
            elif (
                o.role == "entry"
                and o.filled_qty > 0
                and any(self.orders[i].is_open for i in o.leg_ids)
            ):
                held += o.filled_qty
        return held


def _price(obj: Any, key: str, name: str) -> float:
    if not isinstance(obj, dict) or obj.get(key) is None:
        raise ExchangeError(422, 40010001, f"{name} is required for bracket orders")
    try:
        px = float(obj[key])
    except (TypeError, ValueError):
        raise ExchangeError(422, 40010001, f"{name} must be a number") from None
    if px <= 0:
        raise ExchangeError(422, 40010001, f"{name} must be positive")
    if px >= 1.0 and abs(px * 100 - round(px * 100)) > 1e-6:
        raise ExchangeError(
            422,
            42210000,
            f"invalid {name} {px}. sub-penny increment does not fulfill minimum pricing criteria",
        )
    return px
