"""The trade executor: one TradePlan -> at most one bracket order, however often it arrives.

SQS delivers at least once and the tick may publish a plan again after a crash, so every
message is handled as "make sure this order exists": the broker is asked first (by the
deterministic ``client_order_id``) and the order is submitted only when it does not know it;
a database row alone is not trusted (the database follows the broker, e.g. after a rerun of
the day against a fresh paper account or the local stand-in). The broker adapter itself
turns Alpaca's "client order id must be unique" into a
lookup, which closes the race between two concurrent deliveries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from llm_advisor.core.clock import require_utc
from llm_advisor.core.errors import RejectedError
from llm_advisor.core.models import TradePlan
from llm_advisor.core.ports import BrokerOrder, BrokerPort

log = logging.getLogger(__name__)


class OrderBook(Protocol):
    """The slice of the repository the executor uses."""

    def get_order(self, client_order_id: str) -> dict[str, Any] | None: ...

    def upsert_order(
        self,
        order: Any,
        *,
        at: datetime,
        status: str | None = None,
        broker_order_id: str | None = None,
    ) -> None: ...


KillSwitch = Callable[[date], bool]


@dataclass(frozen=True)
class Execution:
    client_order_id: str
    outcome: str  # submitted | already_placed | blocked | rejected
    broker_order_id: str | None = None
    status: str | None = None


def execute_plan(
    plan: TradePlan,
    now: datetime,
    broker: BrokerPort,
    orders: OrderBook,
    kill_switch: KillSwitch | None = None,
) -> Execution:
    """Place ``plan`` unless its order already exists (idempotent)."""
    now = require_utc(now, "now")
    cid = plan.client_order_id
    # The broker is the truth: a database row alone (e.g. from a rerun of the day against a
    # fresh paper account or the local stand-in) does not prove the order exists.
    existing = broker.get_order(cid)
    if existing is not None:
        _record(orders, plan, existing, now)
        return Execution(cid, "already_placed", existing.broker_order_id, existing.status)
    known = orders.get_order(cid)
    if known is not None and known.get("broker_order_id"):
        log.warning("order %s is in the database but unknown to the broker: placing it", cid)
    if kill_switch is not None and kill_switch(date.fromisoformat(plan.session_date)):
        orders.upsert_order(plan, at=now, status="blocked_kill_switch")
        log.warning("plan %s not placed: the daily-loss kill switch is active", cid)
        return Execution(cid, "blocked", None, "blocked_kill_switch")
    try:
        order = broker.submit_bracket(plan)
    except RejectedError as exc:
        # Final: record it and consume the message. Retrying a refused entry could place it
        # minutes late at another price; transient failures (RetryableError) still raise.
        orders.upsert_order(plan, at=now, status="rejected")
        log.error("plan %s rejected by the broker: %s", cid, exc)
        return Execution(cid, "rejected", None, "rejected")
    _record(orders, plan, order, now)
    return Execution(cid, "submitted", order.broker_order_id, order.status)


def _record(orders: OrderBook, plan: TradePlan, order: BrokerOrder, now: datetime) -> None:
    orders.upsert_order(plan, at=now, status=order.status, broker_order_id=order.broker_order_id)
