"""Every injected fault ends with the documented behaviour and exactly one order, no orphans.

The table these tests pin down is in docs/alpaca.md ("Fault behaviours").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest

from llm_advisor.alpaca.broker import AlpacaBroker
from llm_advisor.core.clock import ManualClock
from llm_advisor.core.errors import RejectedError, RetryableError
from llm_advisor.standins.alpaca_server import AlpacaStandIn
from tests.alpaca.spy_plan import PLAN, m

POST = "POST /v2/orders"


@pytest.fixture
def ready(standin: AlpacaStandIn, clock: ManualClock) -> AlpacaStandIn:
    standin.exchange.push_bar("SPY", m(0), 100.0, 100.2, 99.8, 100.0, 1000)
    clock.set(m(1) + timedelta(seconds=5))
    return standin


def parents(standin: AlpacaStandIn) -> list[str]:
    return [
        o.client_order_id
        for o in standin.exchange.list_orders(status="all", nested=True)
        if o.role == "entry"
    ]


def assert_clean_end_of_day(
    standin: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker
) -> None:
    """Flatten like EOD, then nothing may be left working or held."""
    broker.close_all_positions()
    clock.set(m(10))
    standin.exchange.push_bar("SPY", m(10), 100.0, 100.1, 99.9, 100.0, 1000)
    assert broker.list_positions() == []
    assert broker.list_orders("open") == []


@pytest.mark.parametrize(
    ("kind", "status", "after"),
    [
        ("status", 500, False),  # refused before taking effect
        ("status", 500, True),  # accepted, then the answer was lost
        ("status", 503, True),
        ("status", 504, True),  # the SDK's own retry resubmits: 422 duplicate -> lookup
        ("drop", 0, False),  # connection dropped before the server acted
        ("drop", 0, True),  # ... or after it acted
        ("timeout", 0, True),  # accepted, the response never came
    ],
)
def test_ambiguous_failures_end_with_exactly_one_order(
    ready: AlpacaStandIn,
    clock: ManualClock,
    make_broker: Callable[..., AlpacaBroker],
    kind: str,
    status: int,
    after: bool,
) -> None:
    broker = make_broker(ready.url, timeout=0.3)
    ready.inject(POST, kind, status=status, after=after, hang_seconds=2.0)  # type: ignore[arg-type]
    order = broker.submit_bracket(PLAN)
    assert order.client_order_id == PLAN.client_order_id
    assert parents(ready) == [PLAN.client_order_id]
    ready.exchange.push_bar("SPY", m(1), 100.1, 100.3, 100.0, 100.2, 1000)
    [pos] = broker.list_positions()
    assert pos.qty == 10  # one position, not two
    assert_clean_end_of_day(ready, clock, broker)


def test_throttling_is_retried_by_the_sdk_without_sleeping(
    ready: AlpacaStandIn, broker: AlpacaBroker
) -> None:
    ready.inject(POST, "status", status=429, count=2)
    broker.submit_bracket(PLAN)
    assert ready.count("POST", "/v2/orders") == 3
    assert parents(ready) == [PLAN.client_order_id]


def test_persistent_throttling_gives_up_retryably_and_a_later_retry_places_once(
    ready: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker
) -> None:
    ready.inject("*", "status", status=429, count=1000)
    with pytest.raises(RetryableError, match="a retry is safe"):
        broker.submit_bracket(PLAN)
    assert parents(ready) == []
    ready.clear_faults()
    broker.submit_bracket(PLAN)
    broker.submit_bracket(PLAN)  # the SQS redelivery of the same message
    assert parents(ready) == [PLAN.client_order_id]
    assert_clean_end_of_day(ready, clock, broker)


def test_failing_lookup_after_an_ambiguous_failure_still_ends_with_one_order(
    ready: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker
) -> None:
    ready.inject(POST, "status", status=500, after=True)
    ready.inject("GET /v2/orders:by_client_order_id", "status", status=500, count=2)
    broker.submit_bracket(PLAN)
    assert parents(ready) == [PLAN.client_order_id]
    assert_clean_end_of_day(ready, clock, broker)


def test_rejected_order_raises_rejected_and_leaves_nothing(
    ready: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker
) -> None:
    ready.inject(POST, "reject", message="insufficient buying power")
    with pytest.raises(RejectedError, match="insufficient buying power"):
        broker.submit_bracket(PLAN)
    assert parents(ready) == []
    assert ready.count("POST", "/v2/orders") == 1  # a rejection is not retried
    assert_clean_end_of_day(ready, clock, broker)


def test_invalid_bracket_is_rejected_not_retried(
    ready: AlpacaStandIn, broker: AlpacaBroker
) -> None:
    # The last trade moved above the take-profit: Alpaca answers 422 for such a bracket.
    ready.exchange.push_bar("SPY", m(1), 100.0, 102.0, 100.0, 101.9, 1000)
    with pytest.raises(RejectedError, match=r"take_profit\.limit_price"):
        broker.submit_bracket(PLAN)
    assert parents(ready) == []


def test_partial_fill_then_rest_fills_and_the_exit_covers_everything(
    ready: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker
) -> None:
    ready.exchange.partial_fill_next(0.4)
    broker.submit_bracket(PLAN)
    ready.exchange.push_bar("SPY", m(1), 100.1, 100.3, 100.0, 100.2, 1000)
    entry = broker.get_order(PLAN.client_order_id)
    assert entry is not None and (entry.status, entry.filled_qty) == ("partially_filled", 4)
    assert broker.list_positions()[0].qty == 4
    ready.exchange.push_bar("SPY", m(2), 100.3, 100.4, 100.2, 100.3, 1000)
    entry = broker.get_order(PLAN.client_order_id)
    assert entry is not None and entry.status == "filled" and entry.filled_qty == 10
    assert entry.filled_avg_price == Decimal("100.22")  # (4 x 100.1 + 6 x 100.3) / 10
    ready.exchange.push_bar("SPY", m(3), 100.5, 101.6, 100.5, 101.2, 1000)
    _, *legs = broker.get_bracket(PLAN.client_order_id)
    target = next(x for x in legs if x.leg == "target")
    assert (target.status, target.filled_qty) == ("filled", 10)
    assert broker.list_positions() == [] and broker.list_orders("open") == []


def test_exit_during_a_partial_fill_cancels_the_rest_no_orphan(
    ready: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker
) -> None:
    ready.exchange.partial_fill_next(0.5)
    broker.submit_bracket(PLAN)
    ready.exchange.push_bar("SPY", m(1), 100.1, 100.2, 98.5, 98.8, 1000)  # stop on entry bar
    entry, *legs = broker.get_bracket(PLAN.client_order_id)
    assert entry.status == "canceled" and entry.filled_qty == 5
    stop = next(x for x in legs if x.leg == "stop")
    assert (stop.status, stop.filled_qty) == ("filled", 5)
    assert broker.list_positions() == [] and broker.list_orders("open") == []


def test_timeout_on_reads_surfaces_as_a_request_error(
    ready: AlpacaStandIn, make_broker: Callable[..., AlpacaBroker]
) -> None:
    import requests

    broker = make_broker(ready.url, timeout=0.3)
    ready.inject("GET /v2/positions", "timeout", hang_seconds=2.0)
    with pytest.raises(requests.exceptions.Timeout):
        broker.list_positions()
    assert broker.list_positions() == []  # the next call works
