"""The trade executor: one TradePlan -> at most one bracket order, however often it arrives.

SQS delivers at least once and the tick may publish a plan again after a crash, so every
message is handled as "make sure this order exists": the broker is asked first (by the
deterministic ``client_order_id``) and the order is submitted only when it does not know it;
a database row alone is not trusted (the database follows the broker, e.g. after a rerun of
the day against a fresh paper account or the local stand-in).

A plan is a market order meant for the minute after its signal bar. Placed late it fills at
another price (30 minutes late: 1.16 % away), and a plan of an earlier session (a DLQ redrive:
the DLQ keeps messages 14 days) would open a position on a day that never signalled it. So a
plan is refused unless it belongs to today's New York session and its signal bar closed at
most ``max_age`` ago, both judged on the *processing* time (``now``, from the caller's clock;
never the queue's SentTimestamp, which a redrive or a backlog leaves in the past or keeps).
Today's kill switch is checked as well as the plan's own session's.

Two executors racing on one plan both find nothing at the broker and both submit; the broker
keeps it to one order and tells the loser (``BrokerOrder.duplicate``), which then reports
``duplicate`` and writes nothing: the winner records the order, so its status history is
counted once (and the position monitor records every broker order of the day anyway).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from llm_advisor.core.calendar import NY
from llm_advisor.core.clock import require_utc
from llm_advisor.core.errors import RejectedError
from llm_advisor.core.models import TradePlan
from llm_advisor.core.ports import BrokerOrder, BrokerPort

log = logging.getLogger(__name__)
# Right for a real account (an order the broker lost is worth a warning); the local day,
# whose stand-in account starts empty on every run, counts these and says so once instead.
UNKNOWN_TO_BROKER = "order %s is in the database but unknown to the broker: placing it"

BAR = timedelta(minutes=1)  # ``signal_time`` is the signal bar's start; it closes a bar later
STALE_SESSION = "stale_session"
STALE_AGE = "stale_age"


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
    outcome: str  # submitted | duplicate | already_placed | blocked | stale | rejected
    broker_order_id: str | None = None
    status: str | None = None
    reason: str | None = None  # stale: stale_session | stale_age


def plan_age(plan: TradePlan, now: datetime) -> timedelta:
    """Time since the signal bar closed (the earliest moment the plan could exist)."""
    return require_utc(now, "now") - (plan.signal_time + BAR)


def staleness(plan: TradePlan, now: datetime, max_age: timedelta) -> str | None:
    """Why ``plan`` must not be placed at ``now`` (``stale_session``/``stale_age``), or None."""
    today = require_utc(now, "now").astimezone(NY).date()
    if plan.session_date != today.isoformat():
        return STALE_SESSION
    if plan_age(plan, now) > max_age:
        return STALE_AGE
    return None


def execute_plan(
    plan: TradePlan,
    now: datetime,
    broker: BrokerPort,
    orders: OrderBook,
    kill_switch: KillSwitch | None = None,
    *,
    max_age: timedelta,
    recorded_at: datetime | None = None,
) -> Execution:
    """Place ``plan`` unless its order already exists (idempotent) or it is stale.

    ``now`` is the processing time (the caller's clock): it decides staleness and which
    day's kill switch is "today's". ``recorded_at`` (default ``now``) stamps the order row;
    the handler passes the message's SentTimestamp so a redelivery records the same time.
    """
    now = require_utc(now, "now")
    at = now if recorded_at is None else require_utc(recorded_at, "recorded_at")
    cid = plan.client_order_id
    # The broker is the truth: a database row alone (e.g. from a rerun of the day against a
    # fresh paper account or the local stand-in) does not prove the order exists.
    existing = broker.get_order(cid)
    if existing is not None:
        _record(orders, plan, existing, at)
        return Execution(cid, "already_placed", existing.broker_order_id, existing.status)
    known = orders.get_order(cid)
    if known is not None and known.get("broker_order_id"):
        log.warning(UNKNOWN_TO_BROKER, cid)
    if kill_switch is not None and _kill_switch_raised(kill_switch, plan, now):
        orders.upsert_order(plan, at=at, status="blocked_kill_switch")
        log.warning("plan %s not placed: the daily-loss kill switch is active", cid)
        return Execution(cid, "blocked", None, "blocked_kill_switch")
    reason = staleness(plan, now, max_age)
    if reason is not None:
        status = f"refused_{reason}"
        orders.upsert_order(plan, at=at, status=status)
        log.warning(
            "plan %s refused (%s): session %s, signal bar closed %.0f s before %s (limit %.0f s)",
            cid,
            reason,
            plan.session_date,
            plan_age(plan, now).total_seconds(),
            now.isoformat(),
            max_age.total_seconds(),
        )
        return Execution(cid, "stale", None, status, reason)
    try:
        order = broker.submit_bracket(plan)
    except RejectedError as exc:
        # Final: record it and consume the message. Retrying a refused entry could place it
        # minutes late at another price; transient failures (RetryableError) still raise.
        orders.upsert_order(plan, at=at, status="rejected")
        log.error("plan %s rejected by the broker: %s", cid, exc)
        return Execution(cid, "rejected", None, "rejected")
    if order.duplicate:
        log.info("plan %s: another executor placed the order first", cid)
        return Execution(cid, "duplicate", order.broker_order_id, order.status)
    _record(orders, plan, order, at)
    return Execution(cid, "submitted", order.broker_order_id, order.status)


def _kill_switch_raised(kill_switch: KillSwitch, plan: TradePlan, now: datetime) -> bool:
    """Today's switch (the NY date of ``now``) or the plan's own session's."""
    today = now.astimezone(NY).date()
    if kill_switch(today):
        return True
    try:
        day = date.fromisoformat(plan.session_date)
    except ValueError:
        return False  # not a date: refused as not today's session right after
    return day != today and kill_switch(day)


def _record(orders: OrderBook, plan: TradePlan, order: BrokerOrder, at: datetime) -> None:
    orders.upsert_order(plan, at=at, status=order.status, broker_order_id=order.broker_order_id)
