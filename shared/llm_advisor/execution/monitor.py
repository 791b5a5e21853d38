"""The position monitor: the broker is the truth; the database follows it.

Every minute it copies the broker's orders (entries and bracket legs), positions and fills
into the database, turns each closed bracket into a trade with its realized P/L, records an
equity point, and enforces the two account-level exits that must not depend on the engine:
the end-of-day flatten and the daily-loss kill switch (cancel everything, close everything,
raise the flag the executor checks before placing anything new).

It is also the one reconciliation routine (``reconcile_broker``): the Lambda monitor, the
local day and ``live --paper`` all run it. It compares the position book (table
``position_history``) with the broker's positions and orders through the pure
:func:`llm_advisor.alpaca.reconcile.reconcile`, writes the book (every open position with
its legs and unrealized P/L; a row closed when the broker is flat), cancels exit orders that
protect nothing, flattens a position without a working exit, and reports every discrepancy.
What our own orders explain since the last run (our entry filled, our bracket leg or
liquidation closed it) is the book moving, not a discrepancy; a strict run (the paper loop's
start-up check) reports those too.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any, Literal, Protocol, runtime_checkable

from llm_advisor.alpaca.reconcile import (
    CancelOrder,
    ClosedPosition,
    ClosePosition,
    Discrepancy,
    HeldPosition,
    MarkClosed,
    OurPosition,
    Reconciliation,
    reconcile,
)
from llm_advisor.core.calendar import NY, is_session
from llm_advisor.core.clock import require_utc
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import ConflictError
from llm_advisor.core.models import Fill, Trade
from llm_advisor.core.ports import (
    OPEN_ORDER_STATUSES,
    BrokerOrder,
    BrokerPort,
    BrokerPosition,
    PositionRow,
    StateStorePort,
)
from llm_advisor.engine import session_for_config
from llm_advisor.execution.position_book import closed_position, explained, held_position
from llm_advisor.execution.round_trips import broker_trades

log = logging.getLogger(__name__)
FILLED = "filled"


def kill_switch_key(day: date) -> str:
    return f"killswitch#{day.isoformat()}"


def day_start_key(day: date) -> str:
    return f"daystart#{day.isoformat()}"


def kill_switch_active(state: StateStorePort, day: date) -> bool:
    return state.load(kill_switch_key(day)) is not None


class MonitorRecords(Protocol):
    """The slice of the repository the monitor writes."""

    def get_order(self, client_order_id: str) -> dict[str, Any] | None: ...

    def upsert_order(self, order: Any, *, at: datetime, status: str | None = None) -> None: ...

    def stored_fills(
        self, keys: Sequence[tuple[str, str]]
    ) -> Mapping[tuple[str, str], tuple[int, Decimal]]:
        """Per ``(client_order_id, leg)`` of ``keys``: the qty and notional (sum of qty *
        price, exact) the fills table already holds; keys without fills may be absent."""
        ...

    def save_fills(self, fills: Iterable[Fill]) -> int: ...

    def save_trades(self, trades: Iterable[Trade]) -> int: ...

    def save_equity_snapshots(self, points: Iterable[tuple[datetime, Decimal]]) -> int: ...


@runtime_checkable
class PositionBook(Protocol):
    """Records that keep the position book (the repository). Optional: records without it
    (a replay, a test double) still get orders, fills, trades and equity."""

    def open_positions(self) -> list[PositionRow]: ...

    def sync_positions(
        self, held: Sequence[HeldPosition], closed: Sequence[ClosedPosition], at: datetime
    ) -> None: ...


@runtime_checkable
class ExitControl(Protocol):
    """The broker calls the reconciliation's fixes need (Alpaca has them; a broker without
    them gets its discrepancies reported only)."""

    def cancel_order(self, broker_order_id: str) -> bool: ...

    def close_position(self, symbol: str) -> bool: ...


Report = Callable[[Discrepancy], None]


@dataclass
class MonitorResult:
    status: str  # closed | reconciled
    now: datetime
    orders: int = 0
    positions: int = 0
    fills: list[Fill] = field(default_factory=list)
    trades: list[Trade] = field(default_factory=list)
    equity: Decimal | None = None
    flattened: bool = False
    kill_switch: bool = False
    discrepancies: list[Discrepancy] = field(default_factory=list)
    closed_positions: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "now": self.now.isoformat(),
            "orders": self.orders,
            "positions": self.positions,
            "fills": len(self.fills),
            "trades": len(self.trades),
            "equity": None if self.equity is None else str(self.equity),
            "flattened": self.flattened,
            "kill_switch": self.kill_switch,
            "closed_positions": self.closed_positions,
            "discrepancies": [str(d) for d in self.discrepancies],
        }


# A delta's price is rounded half-even to the micro-dollar (the store's money unit,
# ``pnl_micros``; an exact quotient with fewer places stays as it is). The next delta is
# priced against the stored notional, so the rounding never accumulates: an order's stored
# notional is the broker's cum_qty * cum_avg within half a micro-dollar per share of its
# last execution (under a cent below 20,000 shares).
PRICE_QUANTUM = Decimal("0.000001")


def _leg(o: BrokerOrder) -> Literal["entry", "stop", "target", "manual"]:
    return "manual" if o.leg == "other" else o.leg


def _new_fills(
    orders: Sequence[BrokerOrder],
    stored: Mapping[tuple[str, str], tuple[int, Decimal]],
    now: datetime,
) -> tuple[list[Fill], list[Discrepancy]]:
    """The executions the fills table does not hold yet, one row each.

    The broker reports an order's CUMULATIVE filled qty and average price; storing that every
    run would count a 40-then-100 order as 140. The new execution is the difference between
    the broker's cumulative figures and what is stored for the same (order, leg): stateless
    (the Lambda keeps nothing between runs) and idempotent (a rerun finds no difference).
    Its time is the broker's ``filled_at`` when set (a broker may leave it empty on a partly
    filled order; the stand-in sets it on each fill), else this run's ``now``. Stored more
    than the broker reports, or a delta that prices at or below zero: nothing is recorded
    and the discrepancy says why.
    """
    fills: list[Fill] = []
    found: list[Discrepancy] = []
    for o in orders:
        if o.filled_qty <= 0 or o.filled_avg_price is None:
            continue
        leg = _leg(o)
        have_qty, have_notional = stored.get((o.client_order_id, leg), (0, Decimal(0)))
        qty = o.filled_qty - have_qty
        if qty == 0:
            continue
        ours = f"{have_qty} filled for {have_notional}"
        broker = f"{o.filled_qty} filled @ {o.filled_avg_price}"
        if qty < 0:
            found.append(
                Discrepancy(
                    "qty_mismatch", o.symbol, ours, broker, "fill not recorded", o.client_order_id
                )
            )
            continue
        price = o.filled_avg_price
        if have_qty:
            with localcontext() as ctx:
                ctx.prec = 60
                exact = (o.filled_qty * o.filled_avg_price - have_notional) / qty
            price = exact.quantize(PRICE_QUANTUM, rounding=ROUND_HALF_EVEN).normalize()
            if price.as_tuple().exponent > 0:  # type: ignore[operator]  # 1E+2 -> 100
                price = price.quantize(Decimal(1))
        if price <= 0:
            found.append(
                Discrepancy(
                    "price_mismatch", o.symbol, ours, broker, "fill not recorded", o.client_order_id
                )
            )
            continue
        fills.append(
            Fill(
                client_order_id=o.client_order_id,
                symbol=o.symbol,
                side=o.side,
                qty=qty,
                price=price,
                timestamp=o.filled_at or now,
                leg=leg,
                broker_order_id=o.broker_order_id,
            )
        )
    return fills, found


def run_monitor(
    now: datetime,
    broker: BrokerPort,
    records: MonitorRecords,
    state: StateStorePort,
    config: StrategyConfig,
    report: Report | None = None,
) -> MonitorResult:
    now = require_utc(now, "now")
    day = now.astimezone(NY).date()
    if not is_session(day):
        return MonitorResult("closed", now)
    session = session_for_config(day, config)
    result = MonitorResult("reconciled", now)
    # The broker lists every order ever placed; only today's are today's business (an earlier
    # day's round trip booked against today's flatten time would turn its EOD exit into a
    # kill-switch exit, overwriting the correct row).
    orders = [o for o in broker.list_orders("all") if _order_day(o) in (day, None)]
    for o in orders:
        records.upsert_order(o, at=now, status=o.status)
    result.orders = len(orders)
    filled = [(o.client_order_id, _leg(o)) for o in orders if o.filled_qty > 0]
    stored = records.stored_fills(filled) if filled else {}
    result.fills, fill_issues = _new_fills(orders, stored, now)
    for d in fill_issues:
        log.warning("fills: %s", d)
        if report is not None:
            report(d)
    # every closed round trip: bracket legs, and the EOD / kill-switch liquidations
    result.trades = broker_trades(orders, session.flatten)
    if result.fills:
        records.save_fills(result.fills)
    if result.trades:
        records.save_trades(result.trades)
    positions = broker.list_positions()
    result.positions = len(positions)
    account = broker.account()
    result.equity = account.equity
    records.save_equity_snapshots([(now, account.equity)])

    start = state.load(day_start_key(day))
    if start is None:
        with contextlib.suppress(ConflictError):
            state.save(day_start_key(day), json.dumps(str(account.equity)).encode(), None)
        start_equity = account.equity
    else:
        start_equity = Decimal(json.loads(start[0]))
    limit = start_equity * Decimal(str(config.daily_loss_limit_pct)) / 100
    breached = start_equity - account.equity >= limit
    if breached and not kill_switch_active(state, day):
        with contextlib.suppress(ConflictError):
            state.save(kill_switch_key(day), json.dumps({"at": now.isoformat()}).encode(), None)
        log.error("daily-loss kill switch: equity %s vs start %s", account.equity, start_equity)
    result.kill_switch = kill_switch_active(state, day)
    eod = now >= session.flatten
    flatten = (result.kill_switch or eod) and bool(positions or any(_open(o) for o in orders))
    book = records if isinstance(records, PositionBook) else None
    synced = reconcile_broker(
        now,
        broker,
        book.open_positions() if book is not None else [],
        orders,
        positions,
        result.trades,
        kill_switch=result.kill_switch,
        act=not flatten,  # everything is being cancelled and closed anyway
        report=report,
    )
    if book is not None:
        book.sync_positions(synced.held, synced.closed, now)
    result.discrepancies = fill_issues + synced.discrepancies
    result.closed_positions = len(synced.closed)
    if flatten:
        broker.cancel_all_orders()
        broker.close_all_positions()
        result.flattened = True
    return result


# ---------------------------------------------------------------- the one reconciliation
@dataclass
class BrokerSync:
    """One reconciliation: the pure result, the book to write, what was reported."""

    reconciliation: Reconciliation
    held: list[HeldPosition]
    closed: list[ClosedPosition]
    discrepancies: list[Discrepancy]


def reconcile_broker(
    now: datetime,
    broker: Any,
    recorded: Sequence[PositionRow],
    orders: Sequence[BrokerOrder],
    positions: Sequence[BrokerPosition],
    trades: Sequence[Trade] = (),
    *,
    kill_switch: bool = False,
    strict: bool = False,
    act: bool = True,
    report: Report | None = None,
) -> BrokerSync:
    """Compare the book (``recorded``: its open rows) with the broker, say what to write,
    apply the broker-side fixes (when ``act`` and the broker can) and report discrepancies.

    ``trades`` are the day's round trips from the broker's orders: a closed row takes its
    exit from its trade, so the book's history and the trades agree. Our bracket entries
    carry held legs from submission until they fill: those are legs, not orphans.
    """
    ours = [
        OurPosition(
            r.symbol,
            int(r.qty) * (1 if r.side == "long" else -1),
            r.entry_price,
            r.client_order_id or "",
        )
        for r in recorded
    ]
    rec = reconcile(ours, positions, orders, flatten_unprotected=True)
    by_symbol = {r.symbol: r for r in recorded}
    trade_of = {t.client_order_id: t for t in trades}
    held = [held_position(p, orders, by_symbol.get(p.symbol), now) for p in rec.positions]
    closed = [
        closed_position(a, by_symbol.get(a.symbol), orders, trade_of, kill_switch, now)
        for a in rec.actions
        if isinstance(a, MarkClosed)
    ]
    reasons = {c.symbol: c.exit_reason for c in closed}
    found = [
        d
        for d in rec.discrepancies
        if strict or not explained(d, orders, positions, reasons.get(d.symbol))
    ]
    if not isinstance(broker, ExitControl):  # nothing to fix it with: say so
        found = [
            Discrepancy(d.kind, d.symbol, d.ours, d.broker, "reported only", d.client_order_id)
            if d.kind in ("unprotected_position", "orphan_order")
            else d
            for d in found
        ]
    elif act:
        for action in rec.actions:
            if isinstance(action, CancelOrder):
                broker.cancel_order(action.broker_order_id)
            elif isinstance(action, ClosePosition):
                broker.close_position(action.symbol)
    for d in found:
        log.warning("reconciliation: %s", d)
        if report is not None:
            report(d)
    return BrokerSync(rec, held, closed, found)


def todays_trades(
    orders: Sequence[BrokerOrder], now: datetime, config: StrategyConfig | None
) -> list[Trade]:
    """The round trips of ``now``'s session in the broker's orders (none outside one)."""
    day = now.astimezone(NY).date()
    if not is_session(day):
        return []
    session = session_for_config(day, config or StrategyConfig())
    return broker_trades([o for o in orders if _order_day(o) in (day, None)], session.flatten)


def _order_day(o: BrokerOrder) -> date | None:
    at = o.submitted_at or o.filled_at
    return None if at is None else at.astimezone(NY).date()


def _open(o: BrokerOrder) -> bool:
    return o.status in OPEN_ORDER_STATUSES
