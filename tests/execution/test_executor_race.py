"""Issue 11, item 6: executors racing on one plan - one ``submitted``, the rest ``duplicate``.

Each racer is a separate "container": its own alpaca-py ``TradingClient`` (through the real
``AlpacaBroker``) on one Alpaca stand-in, and its own connection to one SQLite database. A
barrier after the broker lookup makes every racer find nothing and submit, which is the
race SQS at-least-once delivery produces; the stand-in keeps it to one order and answers the
others "client order id must be unique".
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from llm_advisor.alpaca.broker import AlpacaBroker
from llm_advisor.alpaca.http import harden
from llm_advisor.core.clock import ManualClock
from llm_advisor.core.models import TradePlan
from llm_advisor.core.ports import BrokerOrder
from llm_advisor.execution.executor import Execution, execute_plan
from llm_advisor.standins.alpaca_server import AlpacaStandIn

from .conftest import CLOSE, SIGNAL, make_plan

RACERS = 4
NOW = CLOSE + timedelta(seconds=2)


@pytest.fixture
def standin() -> Iterator[AlpacaStandIn]:
    server = AlpacaStandIn(clock=ManualClock(NOW)).start()
    server.exchange.push_bar("SPY", SIGNAL, 100.0, 100.2, 99.8, 100.0, 1000)
    try:
        yield server
    finally:
        server.stop()


def _broker(standin: AlpacaStandIn) -> AlpacaBroker:
    from alpaca.trading.client import TradingClient

    client = TradingClient(
        standin.api_key, standin.secret_key, paper=True, raw_data=True, url_override=standin.url
    )
    harden(client, timeout=10.0, retry_wait_seconds=0)
    return AlpacaBroker(client, sleep=lambda s: None)


class _AfterLookup:
    """The racer's broker: every racer has looked the order up before any submits."""

    def __init__(self, broker: AlpacaBroker, barrier: threading.Barrier) -> None:
        self.broker = broker
        self.barrier = barrier

    def get_order(self, client_order_id: str) -> BrokerOrder | None:
        found = self.broker.get_order(client_order_id)
        self.barrier.wait(timeout=30)
        return found

    def submit_bracket(self, plan: TradePlan) -> BrokerOrder:
        return self.broker.submit_bracket(plan)


def test_racing_executors_place_one_order_and_only_one_reports_it(
    standin: AlpacaStandIn, db_url: str
) -> None:
    from llm_advisor.storage.repository import open_repository

    plan = make_plan()
    barrier = threading.Barrier(RACERS)
    open_repository(db_url, migrate_schema=True).close()
    racers = [
        (_AfterLookup(_broker(standin), barrier), open_repository(db_url)) for _ in range(RACERS)
    ]

    def run(racer: tuple[Any, Any]) -> Execution:
        broker, repo = racer
        return execute_plan(plan, NOW, broker, repo, max_age=timedelta(seconds=90))

    try:
        with ThreadPoolExecutor(RACERS) as pool:
            done = list(pool.map(run, racers))
        outcomes = sorted(d.outcome for d in done)
        assert outcomes == ["duplicate"] * (RACERS - 1) + ["submitted"]
        assert standin.count("POST", "/v2/orders") == RACERS  # every racer did submit
        (parent,) = standin.exchange.list_orders(status="all", nested=True)
        assert {d.broker_order_id for d in done} == {parent.id}
        row = racers[0][1].get_order(plan.client_order_id)
        assert row["broker_order_id"] == parent.id
        assert [h[0] for h in row["history"]] == ["new"]  # recorded once, by the winner
    finally:
        for _, repo in racers:
            repo.close()


def test_adapter_marks_a_submission_that_met_an_existing_id_as_duplicate(
    standin: AlpacaStandIn,
) -> None:
    plan = make_plan()
    first = _broker(standin).submit_bracket(plan)
    second = _broker(standin).submit_bracket(plan)  # another container, same plan
    assert first.duplicate is False
    assert second.duplicate is True
    assert second.broker_order_id == first.broker_order_id
    lookup = _broker(standin).get_order(plan.client_order_id)
    assert lookup is not None and lookup.duplicate is False  # only submits carry the mark


def test_a_sequential_redelivery_is_already_placed_not_duplicate(
    standin: AlpacaStandIn, db_url: str
) -> None:
    from llm_advisor.storage.repository import open_repository

    plan = make_plan()
    repo = open_repository(db_url, migrate_schema=True)
    try:
        first = execute_plan(plan, NOW, _broker(standin), repo, max_age=timedelta(seconds=90))
        again = execute_plan(plan, NOW, _broker(standin), repo, max_age=timedelta(seconds=90))
        assert (first.outcome, again.outcome) == ("submitted", "already_placed")
        assert [h[0] for h in repo.get_order(plan.client_order_id)["history"]] == ["new"]
    finally:
        repo.close()
