"""Trade tracker: follows bracket orders and their legs, emits fills, reconciles on demand.

Updates arrive by polling (``poll``) or from the trade-updates stream (``ingest``); both
feed the same idempotent ``ingest``, so a fill seen twice (poll + stream, or a restart) is
emitted once: a fill is the *increase* of an order's ``filled_qty`` since we last saw it.
Legs are tracked under their parent's ``client_order_id`` - the id our records know - and a
``held`` stop leg is a working exit like any other. ``reconcile`` runs the pure
:func:`llm_advisor.alpaca.reconcile.reconcile`, applies its broker-side actions (cancel an
orphaned leg, flatten an unprotected position) and hands every discrepancy to the hook.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Protocol

from llm_advisor.alpaca.reconcile import (
    Action,
    CancelOrder,
    ClosePosition,
    Discrepancy,
    OurPosition,
    Reconciliation,
    reconcile,
)
from llm_advisor.core.models import Fill
from llm_advisor.core.ports import BrokerOrder, BrokerPosition

log = logging.getLogger(__name__)

FillLeg = Literal["entry", "stop", "target", "eod", "kill_switch", "manual"]


class TrackedBroker(Protocol):
    def list_orders(
        self, status: Literal["open", "closed", "all"] = "all", after: datetime | None = None
    ) -> list[BrokerOrder]: ...

    def list_positions(self) -> list[BrokerPosition]: ...

    def cancel_order(self, broker_order_id: str) -> bool: ...

    def close_position(self, symbol: str) -> bool: ...


@dataclass
class Bracket:
    """One bracket as the broker reports it: the entry and its exit legs."""

    entry: BrokerOrder
    legs: dict[str, BrokerOrder] = field(default_factory=dict)  # "stop"/"target" -> order

    @property
    def client_order_id(self) -> str:
        return self.entry.client_order_id

    @property
    def open_qty(self) -> int:
        exited = sum(leg.filled_qty for leg in self.legs.values())
        return self.entry.filled_qty - exited


class TradeTracker:
    def __init__(
        self,
        broker: TrackedBroker,
        on_fill: Callable[[Fill], None] | None = None,
        on_discrepancy: Callable[[Discrepancy], None] | None = None,
        flatten_unprotected: bool = True,
    ) -> None:
        self.broker = broker
        self.on_fill = on_fill
        self.on_discrepancy = on_discrepancy
        self.flatten_unprotected = flatten_unprotected
        self.brackets: dict[str, Bracket] = {}  # by the entry's client_order_id
        self.orders: dict[str, BrokerOrder] = {}  # by broker order id
        self.closing_reason: FillLeg = "manual"  # set to eod / kill_switch by the driver
        self._closing_reasons: dict[str, FillLeg] = {}
        self.discrepancies: list[Discrepancy] = []

    # ------------------------------------------------------------------ updates
    def poll(self, after: datetime | None = None) -> list[Fill]:
        return self.ingest_all(self.broker.list_orders("all", after=after))

    def ingest_all(self, orders: Iterable[BrokerOrder]) -> list[Fill]:
        ordered = sorted(orders, key=lambda o: o.parent_id is not None)  # parents first
        fills: list[Fill] = []
        for o in ordered:
            fills.extend(self.ingest(o))
        return fills

    def ingest(self, order: BrokerOrder) -> list[Fill]:
        """Record the order's latest state; return the fills it adds (idempotent)."""
        prev = self.orders.get(order.broker_order_id)
        self.orders[order.broker_order_id] = order
        owner = self._owner_cid(order)
        if order.leg == "entry":
            b = self.brackets.get(order.client_order_id)
            if b is None:
                self.brackets[order.client_order_id] = Bracket(order)
            else:
                b.entry = order
        elif order.leg in ("stop", "target") and owner is not None:
            self.brackets[owner].legs[order.leg] = order
        elif order.leg == "other" and order.broker_order_id not in self._closing_reasons:
            self._closing_reasons[order.broker_order_id] = self.closing_reason
        fill = self._fill_delta(prev, order, owner)
        if fill is None:
            return []
        if self.on_fill is not None:
            self.on_fill(fill)
        return [fill]

    def _owner_cid(self, order: BrokerOrder) -> str | None:
        if order.leg == "entry":
            return order.client_order_id
        if order.parent_id is not None:
            parent = self.orders.get(order.parent_id)
            if parent is not None:
                return parent.client_order_id
        if order.leg == "other":  # a liquidation belongs to the symbol's open bracket
            for b in self.brackets.values():
                if b.entry.symbol == order.symbol and b.open_qty != 0:
                    return b.client_order_id
        return None

    def _fill_delta(
        self, prev: BrokerOrder | None, new: BrokerOrder, owner: str | None
    ) -> Fill | None:
        old_qty = prev.filled_qty if prev else 0
        if new.filled_qty <= old_qty or new.filled_avg_price is None:
            return None
        delta = new.filled_qty - old_qty
        old_cost = (prev.filled_avg_price or Decimal(0)) * old_qty if prev else Decimal(0)
        price = (new.filled_avg_price * new.filled_qty - old_cost) / delta
        leg: FillLeg
        if new.leg in ("entry", "stop", "target"):
            leg = new.leg
        else:
            leg = self._closing_reasons.get(new.broker_order_id, "manual")
        when = new.filled_at or new.submitted_at
        if when is None:
            return None
        return Fill(
            client_order_id=owner or new.client_order_id,
            symbol=new.symbol,
            side=new.side,
            qty=delta,
            price=price.quantize(Decimal("0.0001")).normalize(),
            timestamp=when,
            leg=leg,
            broker_order_id=new.broker_order_id,
        )

    # ------------------------------------------------------------------ queries
    def open_brackets(self) -> list[Bracket]:
        return [b for b in self.brackets.values() if b.open_qty != 0]

    def our_positions(self) -> list[OurPosition]:
        """Open positions according to the orders we tracked (used after a restart)."""
        out = []
        for b in self.open_brackets():
            sign = 1 if b.entry.side == "buy" else -1
            out.append(
                OurPosition(
                    b.entry.symbol,
                    sign * b.open_qty,
                    b.entry.filled_avg_price or Decimal(0),
                    b.client_order_id,
                )
            )
        return out

    # ------------------------------------------------------------------ reconciliation
    def reconcile(
        self,
        ours: Sequence[OurPosition],
        our_realized: Decimal | None = None,
        after: datetime | None = None,
    ) -> Reconciliation:
        """Compare with the broker, apply the broker-side fixes, report every difference."""
        orders = self.broker.list_orders("all", after=after)
        self.ingest_all(orders)
        result = reconcile(
            ours,
            self.broker.list_positions(),
            orders,
            our_realized=our_realized,
            flatten_unprotected=self.flatten_unprotected,
        )
        for action in result.actions:
            self._apply(action)
        for d in result.discrepancies:
            log.warning("reconciliation: %s", d)
            self.discrepancies.append(d)
            if self.on_discrepancy is not None:
                self.on_discrepancy(d)
        return result

    def _apply(self, action: Action) -> None:
        if isinstance(action, CancelOrder):
            self.broker.cancel_order(action.broker_order_id)
        elif isinstance(action, ClosePosition):
            self.broker.close_position(action.symbol)
        # Adopt/Update/MarkClosed change *our* records: the caller's repository applies them.


def stream_handler(tracker: TradeTracker) -> Callable[[Any], Any]:
    """An async handler for alpaca-py's ``TradingStream.subscribe_trade_updates`` (raw data).

    Thin on purpose: the stream only speeds up what polling already guarantees.
    """
    from llm_advisor.alpaca.broker import map_order

    async def handle(update: Any) -> None:
        data = update if isinstance(update, dict) else getattr(update, "__dict__", {})
        order = data.get("order")
        if isinstance(order, dict):
            tracker.ingest_all(map_order(order))

    return handle
