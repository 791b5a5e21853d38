"""The simulated exchange behind the Alpaca stand-in: orders, positions, bars, fills.

It fills with the spec's rules (``llm_advisor.engine.fills``) so a day driven through
the HTTP stand-in trades exactly like the in-process replay broker: a market entry fills at
the open of the first bar that starts at or after the submission minute, bracket exits are
checked from that bar on, and a liquidation (close-all) fills at the next bar's open.
Bracket legs behave like Alpaca's: both ``held`` until the entry fills, then the take-profit
is ``new`` and the stop stays ``held``; one leg's fill cancels the other.

Everything here is plain Python guarded by one lock, so the HTTP threads and the driver that
pushes bars can share it.
"""

from __future__ import annotations

import math
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

import pandas as pd

from llm_advisor.core.calendar import NY, make_session, session_for, sessions_between
from llm_advisor.core.clock import Clock, require_utc
from llm_advisor.core.money import to_decimal
from llm_advisor.engine.fills import entry_fill_price, exit_fill

OPEN_STATUSES = frozenset(
    {
        "new",
        "partially_filled",
        "accepted",
        "held",
        "pending_new",
        "pending_cancel",
        "pending_replace",
        "accepted_for_bidding",
    }
)
DUPLICATE_CLIENT_ID = "client_order_id must be unique"  # Alpaca's wording (HTTP 422)
_TIMEFRAME_UNITS = {"Min": 1, "T": 1, "Hour": 60, "H": 60, "Day": 1440, "D": 1440}


class ExchangeError(Exception):
    """A request the exchange refuses, with Alpaca's HTTP status, code and message."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


@dataclass
class SimOrder:
    id: str
    client_order_id: str
    symbol: str
    side: str
    qty: int
    type: str
    order_class: str
    time_in_force: str
    status: str
    submitted_at: datetime
    updated_at: datetime
    session_day: date
    role: str = "simple"  # entry | target | stop | simple
    limit_price: float | None = None
    stop_price: float | None = None
    filled_qty: int = 0
    filled_avg_price: float | None = None
    filled_at: datetime | None = None
    canceled_at: datetime | None = None
    expired_at: datetime | None = None
    parent_id: str | None = None
    leg_ids: list[str] = field(default_factory=list)
    partial_fraction: float | None = None
    active_from: datetime | None = None  # legs: first bar on which they may fill

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def sign(self) -> int:
        return 1 if self.side == "buy" else -1


@dataclass
class SimPosition:
    qty: int = 0  # signed
    avg_entry_price: float = 0.0


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _num(x: float | int | None) -> str | None:
    return None if x is None else str(to_decimal(float(x)).normalize())


def _asset_id(symbol: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"asset:{symbol}"))


def parse_timeframe(tf: str) -> int:
    """Minutes in an Alpaca timeframe string (``1Min``, ``5Min``, ``1Hour``, ``1Day``)."""
    for unit, minutes in _TIMEFRAME_UNITS.items():
        if tf.endswith(unit):
            amount = tf[: -len(unit)] or "1"
            if amount.isdigit() and int(amount) > 0:
                return int(amount) * minutes
    raise ExchangeError(422, 42210000, f"invalid timeframe {tf!r}")


class SimExchange:
    """Orders, positions and the bar history of the stand-in (thread-safe)."""

    def __init__(
        self,
        clock: Clock,
        starting_cash: float = 100_000.0,
        slippage_bps: float = 0.0,
        buying_power_multiplier: float = 4.0,
        id_seed: int = 1,
    ) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.cash = to_decimal(starting_cash)
        # Equity at the previous close (Alpaca's ``last_equity``): the stand-in's account is
        # opened flat with ``starting_cash`` before the simulated day, so that is the figure.
        self.last_equity = self.cash
        self.slippage_bps = slippage_bps
        self.buying_power_multiplier = buying_power_multiplier
        self.orders: dict[str, SimOrder] = {}
        self.by_client_id: dict[str, str] = {}
        self.positions: dict[str, SimPosition] = {}
        self.last_price: dict[str, float] = {}
        self._bars: dict[str, dict[datetime, tuple[float, float, float, float, float]]] = {}
        self._ids = count(1)
        self._id_seed = id_seed
        self._partial_next: list[float] = []
        self.events: list[dict[str, Any]] = []  # trade updates, in order

    # ------------------------------------------------------------------ ids and time
    def _new_id(self) -> str:
        return str(uuid.UUID(int=(self._id_seed << 96) | next(self._ids)))

    def now(self) -> datetime:
        return require_utc(self.clock.now(), "clock.now()")

    # ------------------------------------------------------------------ market data
    def load_history(self, symbol: str, frame: pd.DataFrame) -> None:
        """Add bars that only serve the data API (no order is filled against them)."""
        with self.lock:
            store = self._bars.setdefault(symbol, {})
            idx = pd.DatetimeIndex(frame.index)
            cols = [frame[c].to_numpy(dtype=float) for c in ("open", "high", "low", "close")]
            vol = frame["volume"].to_numpy(dtype=float)
            for i, ts in enumerate(idx):
                t = ts.to_pydatetime().astimezone(UTC)
                store[t] = (cols[0][i], cols[1][i], cols[2][i], cols[3][i], vol[i])
            if len(idx):
                self.last_price[symbol] = float(cols[3][-1])

    def push_bar(
        self,
        symbol: str,
        timestamp: datetime,
        o: float,
        h: float,
        low: float,
        c: float,
        v: float = 0.0,
    ) -> None:
        """A bar completed: store it, then fill what it fills (in submission order)."""
        ts = require_utc(timestamp, "timestamp")
        with self.lock:
            store = self._bars.setdefault(symbol, {})
            if ts in store:
                raise ValueError(f"duplicate bar {symbol} {ts.isoformat()}")
            store[ts] = (o, h, low, c, v)
            self.last_price[symbol] = c
            self._expire_old_day_orders(ts)
            for order in list(self.orders.values()):
                if order.symbol != symbol or not order.is_open:
                    continue
                if order.role in ("entry", "simple"):
                    self._maybe_fill_market(order, ts, o)
            for order in list(self.orders.values()):
                if order.symbol == symbol and order.role == "entry" and order.filled_qty > 0:
                    self._maybe_exit(order, ts, o, h, low)

    def bars_between(
        self, symbol: str, start: datetime | None, end: datetime | None, timeframe: str
    ) -> list[tuple[datetime, tuple[float, float, float, float, float]]]:
        minutes = parse_timeframe(timeframe)
        with self.lock:
            raw = sorted(self._bars.get(symbol, {}).items())
        if minutes > 1:
            raw = _aggregate(raw, minutes)
        return [
            (t, b) for t, b in raw if (start is None or t >= start) and (end is None or t <= end)
        ]

    # ------------------------------------------------------------------ orders
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

    # ------------------------------------------------------------------ account
    def gross_exposure(self) -> Decimal:
        return sum(
            (
                to_decimal(abs(p.qty)) * to_decimal(self.last_price.get(s, p.avg_entry_price))
                for s, p in self.positions.items()
            ),
            Decimal(0),
        )

    def equity(self) -> Decimal:
        with self.lock:
            mv = sum(
                (
                    to_decimal(p.qty) * to_decimal(self.last_price.get(s, p.avg_entry_price))
                    for s, p in self.positions.items()
                ),
                Decimal(0),
            )
            return self.cash + mv

    def buying_power(self) -> Decimal:
        with self.lock:
            bp = to_decimal(self.buying_power_multiplier) * self.equity() - self.gross_exposure()
            return max(Decimal(0), bp)

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

    # ------------------------------------------------------------------ JSON
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


def _aggregate(
    raw: list[tuple[datetime, tuple[float, float, float, float, float]]], minutes: int
) -> list[tuple[datetime, tuple[float, float, float, float, float]]]:
    """Alpaca-style buckets: N minutes/hours aligned to the UTC clock, days to NY midnight."""
    buckets: dict[datetime, list[float]] = {}
    for t, (o, h, low, c, v) in raw:
        if minutes >= 1440:
            d = t.astimezone(NY).date()
            key = datetime(d.year, d.month, d.day, tzinfo=NY).astimezone(UTC)
        else:
            epoch_min = int(t.timestamp() // 60)
            key = datetime.fromtimestamp((epoch_min - epoch_min % minutes) * 60, tz=UTC)
        b = buckets.get(key)
        if b is None:
            buckets[key] = [o, h, low, c, v]
        else:
            b[1] = max(b[1], h)
            b[2] = min(b[2], low)
            b[3] = c
            b[4] += v
    return [(k, (b[0], b[1], b[2], b[3], b[4])) for k, b in sorted(buckets.items())]
