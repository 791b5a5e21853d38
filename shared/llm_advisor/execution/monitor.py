"""The position monitor: the broker is the truth; the database follows it.

Every minute it copies the broker's orders (entries and bracket legs), positions and fills
into the database, turns each closed bracket into a trade with its realized P/L, records an
equity point, and enforces the two account-level exits that must not depend on the engine:
the end-of-day flatten and the daily-loss kill switch (cancel everything, close everything,
raise the flag the executor checks before placing anything new).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from llm_advisor.core.calendar import NY, is_session
from llm_advisor.core.clock import require_utc
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import ConflictError
from llm_advisor.core.models import Fill, Trade
from llm_advisor.core.ports import OPEN_ORDER_STATUSES, BrokerOrder, BrokerPort, StateStorePort
from llm_advisor.execution.round_trips import broker_trades
from llm_advisor.live.engine import session_for_config

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

    def save_fills(self, fills: Iterable[Fill]) -> int: ...

    def save_trades(self, trades: Iterable[Trade]) -> int: ...

    def save_equity_snapshots(self, points: Iterable[tuple[datetime, Decimal]]) -> int: ...


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
        }


def _fill_of(o: BrokerOrder, leg: str) -> Fill | None:
    if o.filled_qty <= 0 or o.filled_avg_price is None or o.filled_at is None:
        return None
    return Fill(
        client_order_id=o.client_order_id,
        symbol=o.symbol,
        side=o.side,
        qty=o.filled_qty,
        price=o.filled_avg_price,
        timestamp=o.filled_at,
        leg=leg,
        broker_order_id=o.broker_order_id,
    )


def _fills(orders: list[BrokerOrder]) -> list[Fill]:
    """A fill record for every order the broker reports as (partly) filled."""
    fills: list[Fill] = []
    for o in orders:
        f = _fill_of(o, o.leg if o.leg in ("entry", "stop", "target") else "manual")
        if f is not None:
            fills.append(f)
    return fills


def run_monitor(
    now: datetime,
    broker: BrokerPort,
    records: MonitorRecords,
    state: StateStorePort,
    config: StrategyConfig,
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
    result.fills = _fills(orders)
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
    if (result.kill_switch or eod) and (positions or any(_open(o) for o in orders)):
        broker.cancel_all_orders()
        broker.close_all_positions()
        result.flattened = True
    return result


def _order_day(o: BrokerOrder) -> date | None:
    at = o.submitted_at or o.filled_at
    return None if at is None else at.astimezone(NY).date()


def _open(o: BrokerOrder) -> bool:
    return o.status in OPEN_ORDER_STATUSES
