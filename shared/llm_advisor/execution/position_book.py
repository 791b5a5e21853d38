"""The position book's pure rules: what the monitor records for each broker position, how
a recorded position ended, and which differences our own orders explain.

Kept apart from the monitor so each rule is a unit test without a broker or a database.
The broker is the truth: an open row takes the broker's quantity, average entry, mark and
unrealized P/L; the stop and target are the entry's *working* legs (a stop Alpaca reports
as ``held`` next to a working target is still the stop); the plan is the entry's
``client_order_id``. A closed row takes its round trip from the broker's orders
(``round_trips.broker_trades``), so the book's history and the trades table agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from llm_advisor.alpaca.reconcile import (
    EPOCH,
    PRICE_TOLERANCE,
    ClosedPosition,
    Discrepancy,
    HeldPosition,
    MarkClosed,
)
from llm_advisor.core.models import ExitReason, Trade
from llm_advisor.core.ports import OPEN_ORDER_STATUSES, BrokerOrder, BrokerPosition, PositionRow
from llm_advisor.execution.round_trips import parse_client_order_id


def entry_of(
    symbol: str, qty: int, orders: Sequence[BrokerOrder], cid: str | None
) -> BrokerOrder | None:
    """The bracket entry a position came from: the recorded one while the broker still
    lists it, else the latest filled entry on the symbol in the position's direction."""
    side = "buy" if qty > 0 else "sell"
    entries = [
        o
        for o in orders
        if o.leg == "entry" and o.symbol == symbol and o.filled_qty > 0 and o.side == side
    ]
    for o in entries:
        if cid and o.client_order_id == cid:
            return o
    return max(entries, key=lambda o: o.filled_at or o.submitted_at or EPOCH, default=None)


def held_position(
    p: BrokerPosition, orders: Sequence[BrokerOrder], row: PositionRow | None, now: datetime
) -> HeldPosition:
    entry = entry_of(p.symbol, p.qty, orders, row.client_order_id if row else None)
    parent = entry.broker_order_id if entry is not None else None
    legs = {
        o.leg: o
        for o in orders
        if parent is not None and o.parent_id == parent and o.status in OPEN_ORDER_STATUSES
    }
    stop, target = legs.get("stop"), legs.get("target")
    mark = p.current_price
    if mark is None and p.market_value is not None and p.qty:
        mark = abs(p.market_value / p.qty)
    cid = entry.client_order_id if entry is not None else None
    parsed = parse_client_order_id(cid) if cid else None
    return HeldPosition(
        symbol=p.symbol,
        side="long" if p.qty > 0 else "short",
        qty=abs(p.qty),
        entry_price=p.avg_entry_price,
        opened_at=(entry.filled_at if entry is not None else None) or now,
        current_price=mark if mark is None or mark > 0 else None,
        unrealized_pnl=p.unrealized_pl,
        stop_price=stop.stop_price if stop is not None else None,
        stop_status=stop.status if stop is not None else None,
        target_price=target.limit_price if target is not None else None,
        target_status=target.status if target is not None else None,
        client_order_id=cid,
        setup=parsed[0].value if parsed else None,
    )


def closed_position(
    mark: MarkClosed,
    row: PositionRow | None,
    orders: Sequence[BrokerOrder],
    trade_of: dict[str, Trade],
    kill_switch: bool,
    now: datetime,
) -> ClosedPosition:
    """How a recorded position ended: its round trip when the broker's orders show one
    (so the book agrees with the trades), else the last liquidation on the symbol."""
    trade = trade_of.get(mark.client_order_id) if mark.client_order_id else None
    if trade is not None:
        reason = trade.exit_reason.value
        if trade.exit_reason is ExitReason.KILL_SWITCH and not kill_switch:
            reason = "manual"  # a liquidation before the flatten that we did not send
        return ClosedPosition(
            mark.symbol,
            trade.exit_time,
            trade.exit_price,
            trade.pnl,
            reason,
            trade.qty,
            trade.entry_price,
        )
    since = row.entry_time if row is not None else None
    closers = [
        o
        for o in orders
        if o.symbol == mark.symbol
        and o.leg == "other"
        and o.filled_qty > 0
        and o.filled_avg_price is not None
        and (since is None or o.filled_at is None or o.filled_at >= since)
    ]
    last = max(closers, key=lambda o: o.filled_at or EPOCH, default=None)
    exit_price = mark.exit_price if mark.exit_price is not None else None
    exit_time = mark.exit_time
    reason = mark.reason if mark.reason in ("stop", "target") else "unknown"
    if last is not None and reason == "unknown":
        exit_price, exit_time = last.filled_avg_price, last.filled_at
        reason = "kill_switch" if kill_switch else "manual"
    pnl = None
    if exit_price is not None and row is not None:
        sign = 1 if row.side == "long" else -1
        pnl = (exit_price - row.entry_price) * row.qty * sign
    return ClosedPosition(mark.symbol, exit_time or now, exit_price, pnl, reason)


def explained(
    d: Discrepancy,
    orders: Sequence[BrokerOrder],
    positions: Sequence[BrokerPosition],
    close_reason: str | None,
) -> bool:
    """A difference our own orders account for: the book is a run behind, not wrong."""
    if d.kind == "unknown_at_broker":  # our bracket entry filled since the last run
        cid = d.client_order_id
        return cid is not None and parse_client_order_id(cid) is not None
    if d.kind == "missing_at_broker":  # closed by our leg or our liquidation
        return close_reason in ("stop", "target", "eod", "kill_switch")
    if d.kind in ("qty_mismatch", "price_mismatch") and d.client_order_id:
        # our entry filled further (a partial fill completing): the broker's position is
        # exactly what the entry's fills minus its legs' fills leave
        held = next((p for p in positions if p.symbol == d.symbol), None)
        entry = next((o for o in orders if o.client_order_id == d.client_order_id), None)
        if held is None or entry is None or entry.filled_avg_price is None:
            return False
        out = sum(o.filled_qty for o in orders if o.parent_id == entry.broker_order_id)
        net = (entry.filled_qty - out) * (1 if entry.side == "buy" else -1)
        close = abs(held.avg_entry_price - entry.filled_avg_price) <= PRICE_TOLERANCE
        return held.qty == net and close
    return False
