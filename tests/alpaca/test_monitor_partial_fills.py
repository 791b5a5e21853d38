"""Partial fills are stored once per execution: the broker reports an order's CUMULATIVE
filled qty and average price every minute, and the fills table must hold each execution
once, so that summing an order's fills gives the broker's qty and notional (not 40 + 100
for an order that filled 40, then 100 in all). Through ``run_monitor`` (what the monitor
Lambda calls), on SQLite and PostgreSQL: the Alpaca stand-in filling an entry in two parts,
and a scripted broker for the cases the stand-in does not produce."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import pytest

from llm_advisor.alpaca.broker import AlpacaBroker
from llm_advisor.alpaca.reconcile import Discrepancy
from llm_advisor.core.clock import ManualClock
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import Fill
from llm_advisor.core.ports import Account, BrokerOrder, BrokerPosition
from llm_advisor.execution.monitor import PRICE_QUANTUM, MonitorResult, run_monitor
from llm_advisor.local.stores import MemoryStateStore
from llm_advisor.standins.alpaca_server import AlpacaStandIn
from llm_advisor.storage import Repository
from tests.alpaca.spy_plan import CID, PLAN, m


@pytest.fixture
def repo(repo_on_each_engine: Repository) -> Repository:
    """The test's repository, on each engine (``tests/conftest.py``)."""
    return repo_on_each_engine


def _totals(fills: list[Fill], cid: str) -> tuple[int, Decimal]:
    mine = [f for f in fills if f.client_order_id == cid]
    return sum(f.qty for f in mine), sum((f.qty * f.price for f in mine), Decimal(0))


class Monitor:
    """run_monitor as the Lambda calls it, with the discrepancies it reports."""

    def __init__(self, broker: Any, repo: Repository) -> None:
        self.broker, self.repo = broker, repo
        self.state = MemoryStateStore()
        self.seen: list[Discrepancy] = []

    def __call__(self, now: datetime) -> MonitorResult:
        return run_monitor(
            now, self.broker, self.repo, self.state, StrategyConfig(), self.seen.append
        )


# ---------------------------------------------------------------- the Alpaca stand-in
def test_an_entry_filled_in_two_parts_is_stored_as_two_executions(
    standin: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker, repo: Repository
) -> None:
    standin.exchange.push_bar("SPY", m(0), 100.0, 100.2, 99.8, 100.0, 1000)
    standin.exchange.partial_fill_next(0.4)
    clock.set(m(1) + timedelta(seconds=5))
    broker.submit_bracket(PLAN)
    standin.exchange.push_bar("SPY", m(1), 100.1, 100.3, 100.0, 100.2, 1000)  # 4 @ 100.1
    clock.set(m(2))
    monitor = Monitor(broker, repo)
    first = monitor(m(2))
    (entry,) = [o for o in broker.list_orders("all") if o.client_order_id == CID]
    assert (entry.status, entry.filled_qty, entry.filled_avg_price) == (
        "partially_filled",
        4,
        Decimal("100.1"),
    )
    assert [(f.qty, f.price, f.timestamp) for f in first.fills] == [(4, Decimal("100.1"), m(1))]

    standin.exchange.push_bar("SPY", m(2), 100.35, 100.5, 100.3, 100.4, 1000)  # 6 @ 100.35
    clock.set(m(3))
    second = monitor(m(3))
    (entry,) = [o for o in broker.list_orders("all") if o.client_order_id == CID]
    assert (entry.status, entry.filled_qty) == ("filled", 10)
    assert entry.filled_avg_price is not None
    assert [(f.qty, f.price, f.timestamp) for f in second.fills] == [(6, Decimal("100.35"), m(2))]
    stored = repo.get_fills()
    assert [(f.qty, f.price) for f in stored] == [(4, Decimal("100.1")), (6, Decimal("100.35"))]
    qty, notional = _totals(stored, CID)
    assert qty == entry.filled_qty
    # the stand-in averages in floats (100.2499999999999...): the last execution's price is
    # rounded to the micro-dollar, so the notional is the broker's within half a quantum
    assert abs(notional - qty * entry.filled_avg_price) <= 6 * PRICE_QUANTUM / 2

    again = monitor(m(3))  # a retried invocation: nothing new
    assert again.fills == []
    assert repo.count("fills") == 2
    assert monitor.seen == []


# ---------------------------------------------------------------- a scripted broker
NOW = datetime(2024, 3, 12, 14, 40, tzinfo=UTC)  # Tue 10:40 New York, mid-session
COID = "stdev-20240312-SPY-MR-long-2024-03-12T14:30:00Z"


def entry(filled: int, avg: str | None, filled_at: datetime | None) -> BrokerOrder:
    return BrokerOrder(
        broker_order_id="b-entry",
        client_order_id=COID,
        symbol="SPY",
        side="buy",
        qty=10,
        filled_qty=filled,
        filled_avg_price=None if avg is None else Decimal(avg),
        status="filled" if filled == 10 else "partially_filled",
        leg="entry",
        submitted_at=NOW - timedelta(minutes=10),
        filled_at=filled_at,
    )


class ScriptedBroker:
    """One entry order whose cumulative fill the test sets; the position follows it."""

    def __init__(self) -> None:
        self.order = entry(0, None, None)

    def list_orders(self, status: Literal["open", "closed", "all"] = "all") -> list[BrokerOrder]:
        return [self.order]

    def list_positions(self) -> list[BrokerPosition]:
        o = self.order
        if o.filled_qty == 0 or o.filled_avg_price is None:
            return []
        return [BrokerPosition(symbol="SPY", qty=o.filled_qty, avg_entry_price=o.filled_avg_price)]

    def account(self) -> Account:
        return Account(equity=Decimal(100_000), cash=Decimal(100_000), buying_power=Decimal(0))

    def cancel_all_orders(self) -> int:
        return 0

    def close_all_positions(self) -> int:
        return 0


def test_a_partial_fill_without_filled_at_is_timed_by_the_run(repo: Repository) -> None:
    """Alpaca may leave ``filled_at`` empty until the order is filled: the execution gets
    the monitor's ``now``; the rest gets the broker's time."""
    broker = ScriptedBroker()
    monitor = Monitor(broker, repo)
    broker.order = entry(4, "100.1", None)
    monitor(NOW)
    monitor(NOW + timedelta(minutes=1))  # unchanged: nothing new
    broker.order = entry(10, "100.25", NOW + timedelta(minutes=1, seconds=30))
    monitor(NOW + timedelta(minutes=2))
    monitor(NOW + timedelta(minutes=3))
    stored = repo.get_fills()
    assert [(f.qty, f.price, f.timestamp) for f in stored] == [
        (4, Decimal("100.1"), NOW),
        (6, Decimal("100.35"), NOW + timedelta(minutes=1, seconds=30)),
    ]
    assert _totals(stored, COID) == (10, Decimal("1002.5"))
    assert {f.leg for f in stored} == {"entry"}


def test_an_inexact_delta_price_is_rounded_to_the_micro_dollar_without_drift(
    repo: Repository,
) -> None:
    broker = ScriptedBroker()
    monitor = Monitor(broker, repo)
    broker.order = entry(1, "100", NOW)
    monitor(NOW)
    broker.order = entry(4, "100.01", NOW + timedelta(minutes=1))  # 3 more @ 100.01333...
    monitor(NOW + timedelta(minutes=2))
    broker.order = entry(10, "100.02", NOW + timedelta(minutes=2))  # 6 more
    monitor(NOW + timedelta(minutes=3))
    stored = repo.get_fills()
    assert [(f.qty, f.price) for f in stored] == [
        (1, Decimal("100")),
        (3, Decimal("100.013333")),  # (400.04 - 100) / 3, half-even at 1e-6
        (6, Decimal("100.026667")),  # (1000.2 - 400.039999) / 6 = 100.0266668333...
    ]
    qty, notional = _totals(stored, COID)
    assert qty == 10
    # the last execution absorbs the earlier rounding: off by at most half a quantum a share
    assert abs(notional - Decimal("1000.2")) <= 6 * PRICE_QUANTUM / 2


def test_more_stored_than_the_broker_reports_records_nothing_and_says_so(
    repo: Repository,
) -> None:
    broker = ScriptedBroker()
    monitor = Monitor(broker, repo)
    broker.order = entry(10, "100.25", NOW)
    monitor(NOW)
    broker.order = entry(4, "100.1", NOW)  # cannot happen: a broker's fills only grow
    result = monitor(NOW + timedelta(minutes=1))
    assert result.fills == []
    assert [(f.qty, f.price) for f in repo.get_fills()] == [(10, Decimal("100.25"))]
    # (the scripted broker has no exit orders: reconciliation reports that too)
    fill_issues = [d for d in monitor.seen if d.resolution == "fill not recorded"]
    assert [(d.kind, d.client_order_id) for d in fill_issues] == [("qty_mismatch", COID)]
    assert fill_issues[0] in result.discrepancies


def test_stored_fills_sums_per_order_and_leg(repo: Repository) -> None:
    def fill(cid: str, leg: Literal["entry", "stop"], qty: int, price: str, i: int) -> Fill:
        return Fill(
            client_order_id=cid,
            symbol="SPY",
            side="buy" if leg == "entry" else "sell",
            qty=qty,
            price=Decimal(price),
            timestamp=NOW + timedelta(minutes=i),
            leg=leg,
        )

    repo.save_fills(
        [
            fill("a", "entry", 4, "100.1", 0),
            fill("a", "entry", 6, "100.35", 1),
            fill("a", "stop", 10, "99", 2),
            fill("b", "entry", 1, "50.005", 0),
        ]
    )
    got = repo.stored_fills([("a", "entry"), ("b", "entry"), ("c", "entry")])
    assert got == {("a", "entry"): (10, Decimal("1002.5")), ("b", "entry"): (1, Decimal("50.005"))}
    assert repo.stored_fills([]) == {}
