"""The broker side of the experiments: the Alpaca stand-in's exchange behind the executor's
``BrokerPort`` slice, an in-memory order book, and the checks on what reached the broker.

The exchange keeps Alpaca's client-order-id rule, so "at most one order per plan" is
counted where it matters: in the broker's own order list, by id and by signal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from llm_advisor.core.calendar import NY
from llm_advisor.core.errors import RejectedError
from llm_advisor.core.models import TradePlan
from llm_advisor.core.ports import BrokerOrder

from .harness import MAX_PLAN_AGE, Tally


def signal_key(plan: TradePlan) -> tuple[str, str, str, datetime]:
    """One signal, whatever id it was given."""
    return (plan.symbol, plan.setup.value, plan.side.value, plan.signal_time)


class ExchangeBroker:
    """``BrokerPort`` (the executor's slice) on the Alpaca stand-in's ``SimExchange``, in
    process: the same client-order-id rule as Alpaca (a second submission of an id answers
    "client order id must be unique", mapped to ``duplicate`` as ``AlpacaBroker`` does).
    ``race`` makes the next lookups miss (a racing executor looked before the other
    submitted)."""

    def __init__(self, start: datetime) -> None:
        from llm_advisor.core.clock import ManualClock
        from llm_advisor.standins.alpaca_exchange import SimExchange

        self.clock = ManualClock(start)
        self.exchange = SimExchange(self.clock, starting_cash=1e9)
        self.plans: dict[str, TradePlan] = {}
        self.race = 0

    def _order(self, o: Any, duplicate: bool = False) -> BrokerOrder:
        return BrokerOrder(
            broker_order_id=o.id,
            client_order_id=o.client_order_id,
            symbol=o.symbol,
            side="buy" if o.side == "buy" else "sell",
            qty=o.qty,
            status=o.status,
            submitted_at=o.submitted_at,
            duplicate=duplicate,
        )

    def get_order(self, client_order_id: str) -> BrokerOrder | None:
        from llm_advisor.standins.alpaca_exchange import ExchangeError

        if self.race > 0:
            self.race -= 1
            return None
        try:
            return self._order(self.exchange.get_by_client_id(client_order_id))
        except ExchangeError:
            return None

    def submit_bracket(self, plan: TradePlan) -> BrokerOrder:
        from llm_advisor.standins.alpaca_exchange import DUPLICATE_CLIENT_ID, ExchangeError

        long = plan.side.value == "long"
        payload = {
            "symbol": plan.symbol,
            "qty": str(plan.qty),
            "side": "buy" if long else "sell",
            "type": "market",
            "time_in_force": "day",
            "order_class": "bracket",
            "client_order_id": plan.client_order_id,
            "take_profit": {"limit_price": f"{plan.target_price:.2f}"},
            "stop_loss": {"stop_price": f"{plan.stop_price:.2f}"},
        }
        try:
            order = self.exchange.submit(payload)
        except ExchangeError as exc:
            if DUPLICATE_CLIENT_ID in str(exc):
                existing = self.exchange.get_by_client_id(plan.client_order_id)
                return self._order(existing, duplicate=True)
            raise RejectedError(str(exc)) from exc
        self.plans[order.id] = plan
        return self._order(order)

    def entries(self) -> list[Any]:
        """Every entry order the exchange holds (the legs are not orders of a plan)."""
        return [o for o in self.exchange.orders.values() if o.role == "entry"]


class OrderBook:
    """The executor's order rows, in memory (one row per client order id)."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    def get_order(self, client_order_id: str) -> dict[str, Any] | None:
        return self.rows.get(client_order_id)

    def upsert_order(
        self,
        order: Any,
        *,
        at: datetime,
        status: str | None = None,
        broker_order_id: str | None = None,
    ) -> None:
        row = self.rows.setdefault(order.client_order_id, {"history": []})
        row["status"] = status
        row["broker_order_id"] = broker_order_id or row.get("broker_order_id")
        row["history"].append((status, at))


def fresh(plan: TradePlan, at: datetime, max_age: timedelta = MAX_PLAN_AGE) -> bool:
    """The executor's rule, restated: today's New York session and signal bar closed at
    most ``max_age`` ago (the oracle the delivery experiments judge by)."""
    today = at.astimezone(NY).date().isoformat()
    return plan.session_date == today and at - (plan.signal_time + timedelta(minutes=1)) <= max_age


def deliver(
    plans: Sequence[TradePlan],
    at: datetime,
    broker: ExchangeBroker,
    book: OrderBook,
    first_fresh: dict[str, bool],
) -> list[Any]:
    """Hand ``plans`` to the real executor at ``at``; note whether each plan was fresh the
    first time it was delivered (then it must be placed)."""
    from llm_advisor.execution.executor import execute_plan

    broker.clock.set(at)
    port: Any = broker  # the executor's slice of ``BrokerPort``: lookup and submit
    out = []
    for p in plans:
        first_fresh.setdefault(p.client_order_id, fresh(p, at))
        out.append(execute_plan(p, at, port, book, max_age=MAX_PLAN_AGE))
    return out


def check_broker(
    tally: Tally,
    trial: int,
    broker: ExchangeBroker,
    first_fresh: Mapping[str, bool],
    allowed: set[str] | None = None,
) -> None:
    """At most one order per plan (by id and by signal), only fresh plans placed, and every
    plan that was fresh at its first delivery placed."""
    entries = broker.entries()
    tally.count("broker orders", len(entries))
    by_id: dict[str, int] = {}
    by_signal: dict[tuple[str, str, str, datetime], int] = {}
    for o in entries:
        by_id[o.client_order_id] = by_id.get(o.client_order_id, 0) + 1
        plan = broker.plans.get(o.id)
        if plan is not None:
            k = signal_key(plan)
            by_signal[k] = by_signal.get(k, 0) + 1
            tally.check(
                fresh(plan, o.submitted_at),
                trial,
                f"{o.client_order_id} placed while stale at {o.submitted_at:%H:%M:%S}",
            )
    for cid, n in by_id.items():
        tally.check(n == 1, trial, f"{n} broker orders for {cid}")
        if allowed is not None:
            tally.check(cid in allowed, trial, f"broker order {cid} of no reference plan")
    for k, n in by_signal.items():
        tally.check(n == 1, trial, f"{n} broker orders for one signal {k}")
    for cid, was_fresh in first_fresh.items():
        if was_fresh:
            tally.check(cid in by_id, trial, f"{cid} fresh at its first delivery, never placed")
