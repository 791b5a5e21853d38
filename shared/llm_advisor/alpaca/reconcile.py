"""Reconciliation of our records against the broker: pure, so every case is a unit test.

Inputs are what the broker reports (positions, orders with their legs) and what we believe
(open positions, realized P/L). The output is the list of discrepancies - always reported,
never smoothed over - and the actions that resolve each one *in the broker's favour*: the
broker holds the money, so its positions, fills and P/L are the truth our records follow.
Open exit orders that protect nothing are cancelled; a position with no working exit is
flattened (unless the caller only wants it reported), because an unprotected intraday
position is the one risk this system must never carry silently.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from llm_advisor.core.ports import OPEN_ORDER_STATUSES, BrokerOrder, BrokerPosition

PRICE_TOLERANCE = Decimal("0.005")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PNL_TOLERANCE = Decimal("0.01")

DiscrepancyKind = Literal[
    "missing_at_broker",
    "unknown_at_broker",
    "qty_mismatch",
    "price_mismatch",
    "orphan_order",
    "unprotected_position",
    "pnl_mismatch",
]


@dataclass(frozen=True)
class OurPosition:
    """An open position as our records (engine state / database) have it."""

    symbol: str
    qty: int  # signed: + long, - short
    entry_price: Decimal
    client_order_id: str


@dataclass(frozen=True)
class Discrepancy:
    kind: DiscrepancyKind
    symbol: str
    ours: str
    broker: str
    resolution: str
    client_order_id: str | None = None

    def __str__(self) -> str:
        return (
            f"{self.kind} {self.symbol}: ours={self.ours} broker={self.broker} -> {self.resolution}"
        )


@dataclass(frozen=True)
class AdoptPosition:
    """Record a broker position we did not know about (and manage it from now on)."""

    symbol: str
    qty: int
    avg_entry_price: Decimal
    client_order_id: str | None


@dataclass(frozen=True)
class UpdatePosition:
    symbol: str
    client_order_id: str
    qty: int
    avg_entry_price: Decimal


@dataclass(frozen=True)
class MarkClosed:
    symbol: str
    client_order_id: str
    exit_price: Decimal | None
    exit_time: datetime | None
    reason: str  # stop | target | manual | unknown


@dataclass(frozen=True)
class CancelOrder:
    broker_order_id: str
    symbol: str
    reason: str


@dataclass(frozen=True)
class ClosePosition:
    symbol: str
    qty: int
    reason: str


Action = AdoptPosition | UpdatePosition | MarkClosed | CancelOrder | ClosePosition


@dataclass(frozen=True)
class HeldPosition:
    """A position the broker holds, as the position book records it every monitor run."""

    symbol: str
    side: Literal["long", "short"]
    qty: int  # > 0
    entry_price: Decimal
    opened_at: datetime  # the entry's fill time (first sight for a position we did not open)
    current_price: Decimal | None
    unrealized_pnl: Decimal | None
    stop_price: Decimal | None
    stop_status: str | None
    target_price: Decimal | None
    target_status: str | None
    client_order_id: str | None  # the bracket entry (plan); None: no order of ours
    setup: str | None


@dataclass(frozen=True)
class ClosedPosition:
    """A recorded open position the broker no longer holds, and how it ended."""

    symbol: str
    closed_at: datetime
    exit_price: Decimal | None
    realized_pnl: Decimal | None
    exit_reason: str  # stop | target | eod | kill_switch | manual | unknown
    qty: int | None = None  # the round trip's, when the broker's orders show it
    entry_price: Decimal | None = None


@dataclass(frozen=True)
class Reconciliation:
    positions: list[BrokerPosition]
    realized_pnl: Decimal
    actions: list[Action] = field(default_factory=list)
    discrepancies: list[Discrepancy] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.discrepancies


def is_open(order: BrokerOrder) -> bool:
    return order.status in OPEN_ORDER_STATUSES


def realized_pnl(orders: Iterable[BrokerOrder]) -> Decimal:
    """Realized P/L of the given orders' fills, FIFO per symbol in fill order.

    Only fills are used (qty x average price), so bracket legs, liquidations and manual
    orders all count, whatever their order class.
    """
    fills = sorted(
        (o for o in orders if o.filled_qty > 0 and o.filled_avg_price is not None),
        key=lambda o: (o.filled_at or o.submitted_at or EPOCH, o.broker_order_id),
    )
    lots: dict[str, list[list[Decimal]]] = defaultdict(list)  # [signed qty, price]
    pnl = Decimal(0)
    for o in fills:
        assert o.filled_avg_price is not None
        qty = Decimal(o.filled_qty) * (1 if o.side == "buy" else -1)
        price = o.filled_avg_price
        book = lots[o.symbol]
        while qty and book and (book[0][0] > 0) != (qty > 0):
            lot = book[0]
            take = min(abs(lot[0]), abs(qty))
            sign = 1 if lot[0] > 0 else -1
            pnl += (price - lot[1]) * take * sign
            lot[0] -= take * sign
            qty += take * sign
            if lot[0] == 0:
                book.pop(0)
        if qty:
            book.append([qty, price])
    return pnl


def _exit_of(entry_cid: str, orders: Sequence[BrokerOrder]) -> MarkClosed | None:
    parent = next((o for o in orders if o.client_order_id == entry_cid), None)
    if parent is None:
        return None
    for leg in orders:
        if leg.parent_id == parent.broker_order_id and leg.status == "filled":
            return MarkClosed(leg.symbol, entry_cid, leg.filled_avg_price, leg.filled_at, leg.leg)
    later = [
        o
        for o in orders
        if o.symbol == parent.symbol
        and o.parent_id is None
        and o.leg == "other"
        and o.filled_qty > 0
        and (parent.filled_at is None or o.filled_at is None or o.filled_at >= parent.filled_at)
    ]
    if later:
        last = max(later, key=lambda o: o.filled_at or EPOCH)
        return MarkClosed(parent.symbol, entry_cid, last.filled_avg_price, last.filled_at, "manual")
    return None


def reconcile(
    ours: Sequence[OurPosition],
    broker_positions: Sequence[BrokerPosition],
    broker_orders: Sequence[BrokerOrder],
    our_realized: Decimal | None = None,
    flatten_unprotected: bool = True,
) -> Reconciliation:
    """Compare, report every difference, and say how each is resolved (broker wins)."""
    actions: list[Action] = []
    found: list[Discrepancy] = []
    theirs = {p.symbol: p for p in broker_positions if p.qty != 0}
    mine: dict[str, OurPosition] = {}
    for p in ours:
        if p.symbol in mine:  # two records for one symbol is itself a discrepancy
            prev = mine[p.symbol]
            found.append(
                Discrepancy(
                    "qty_mismatch",
                    p.symbol,
                    f"two open records {prev.client_order_id}, {p.client_order_id}",
                    "one position",
                    "the later record is kept",
                    p.client_order_id,
                )
            )
        mine[p.symbol] = p

    for sym, p in sorted(mine.items()):
        b = theirs.get(sym)
        if b is None:
            closed = _exit_of(p.client_order_id, broker_orders) or MarkClosed(
                sym, p.client_order_id, None, None, "unknown"
            )
            actions.append(closed)
            found.append(
                Discrepancy(
                    "missing_at_broker",
                    sym,
                    f"{p.qty} @ {p.entry_price}",
                    "flat",
                    f"marked closed ({closed.reason}"
                    + (f" @ {closed.exit_price}" if closed.exit_price is not None else "")
                    + ")",
                    p.client_order_id,
                )
            )
            continue
        qty_off = b.qty != p.qty
        px_off = abs(b.avg_entry_price - p.entry_price) > PRICE_TOLERANCE
        if qty_off or px_off:
            actions.append(UpdatePosition(sym, p.client_order_id, b.qty, b.avg_entry_price))
        if qty_off:
            found.append(
                Discrepancy(
                    "qty_mismatch",
                    sym,
                    str(p.qty),
                    str(b.qty),
                    "broker qty adopted",
                    p.client_order_id,
                )
            )
        if px_off:
            found.append(
                Discrepancy(
                    "price_mismatch",
                    sym,
                    str(p.entry_price),
                    str(b.avg_entry_price),
                    "broker average price adopted",
                    p.client_order_id,
                )
            )

    for sym, b in sorted(theirs.items()):
        if sym in mine:
            continue
        entries = [
            o for o in broker_orders if o.symbol == sym and o.leg == "entry" and o.filled_qty > 0
        ]
        cid = max(entries, key=lambda o: o.filled_at or EPOCH).client_order_id if entries else None
        actions.append(AdoptPosition(sym, b.qty, b.avg_entry_price, cid))
        found.append(
            Discrepancy(
                "unknown_at_broker",
                sym,
                "none",
                f"{b.qty} @ {b.avg_entry_price}",
                "position adopted from the broker",
                cid,
            )
        )

    by_id = {o.broker_order_id: o for o in broker_orders}
    protected: set[str] = set()
    for o in broker_orders:
        if not is_open(o):
            continue
        parent = by_id.get(o.parent_id) if o.parent_id else None
        if o.leg in ("stop", "target"):
            parent_pending = parent is not None and is_open(parent) and parent.filled_qty == 0
            if parent_pending:
                continue  # legs of an entry not filled yet: held, not orphaned
            if o.symbol in theirs:
                protected.add(o.symbol)
                continue
            actions.append(CancelOrder(o.broker_order_id, o.symbol, "exit order without position"))
            found.append(
                Discrepancy(
                    "orphan_order",
                    o.symbol,
                    "no position",
                    f"open {o.leg} order {o.broker_order_id}",
                    "order cancelled",
                    parent.client_order_id if parent else None,
                )
            )
        elif o.leg == "other" and o.symbol in theirs:
            b = theirs[o.symbol]
            if (b.qty > 0) == (o.side == "sell"):
                protected.add(o.symbol)  # a working liquidation

    for sym, b in sorted(theirs.items()):
        if sym in protected:
            continue
        resolution = "position flattened" if flatten_unprotected else "reported only"
        if flatten_unprotected:
            actions.append(ClosePosition(sym, b.qty, "no working stop or target"))
        found.append(
            Discrepancy(
                "unprotected_position",
                sym,
                "bracket expected",
                f"{b.qty} @ {b.avg_entry_price} without exit orders",
                resolution,
                mine[sym].client_order_id if sym in mine else None,
            )
        )

    broker_pnl = realized_pnl(broker_orders)
    if our_realized is not None and abs(broker_pnl - our_realized) > PNL_TOLERANCE:
        found.append(
            Discrepancy(
                "pnl_mismatch",
                "*",
                str(our_realized),
                str(broker_pnl),
                "broker realized P/L adopted",
            )
        )
    return Reconciliation(
        positions=sorted(theirs.values(), key=lambda p: p.symbol),
        realized_pnl=broker_pnl,
        actions=actions,
        discrepancies=found,
    )
