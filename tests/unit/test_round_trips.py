"""Trades booked from the broker's orders (monitor, local day)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from llm_advisor.core.ports import BrokerOrder
from llm_advisor.execution.round_trips import broker_trades, parse_client_order_id

T = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
FLATTEN = datetime(2026, 3, 2, 20, 50, tzinfo=UTC)
COID = "stdev-20260302-SPY-MR-long-2026-03-02T14:59:00Z"


def order(
    oid: str,
    leg: str,
    side: str,
    px: str,
    at: datetime,
    parent: str | None = None,
    coid: str = COID,
) -> BrokerOrder:
    return BrokerOrder(
        broker_order_id=oid,
        client_order_id=coid if leg == "entry" else f"x-{oid}",
        symbol="SPY",
        side=side,
        qty=10,
        filled_qty=10,
        filled_avg_price=Decimal(px),
        status="filled",
        leg=leg,  # type: ignore[arg-type]
        parent_id=parent,
        submitted_at=at,
        filled_at=at,
    )


def test_client_order_id_carries_setup_side_and_signal_time() -> None:
    setup, side, t = parse_client_order_id(COID) or (None, None, None)
    assert (setup and setup.value, side and side.value, t) == (
        "MR",
        "long",
        T - timedelta(minutes=1),
    )
    assert parse_client_order_id("manual-123") is None


def test_a_filled_bracket_leg_closes_the_trade() -> None:
    (t,) = broker_trades(
        [
            order("e", "entry", "buy", "100", T),
            order("s", "stop", "sell", "99.5", T + timedelta(minutes=5), "e"),
        ],
        FLATTEN,
    )
    assert (t.exit_reason.value, t.pnl, t.qty) == ("stop", Decimal("-5.0"), 10)


def test_liquidation_after_flatten_is_eod_and_before_it_kill_switch() -> None:
    entry = order("e", "entry", "buy", "100", T)
    eod = order("c", "other", "sell", "101", FLATTEN + timedelta(minutes=1))
    (t,) = broker_trades([entry, eod], FLATTEN)
    assert t.exit_reason.value == "eod" and t.pnl == Decimal("10")
    kill = order("k", "other", "sell", "99", T + timedelta(minutes=30))
    (t2,) = broker_trades([entry, kill], FLATTEN)
    assert t2.exit_reason.value == "kill_switch"


def test_an_open_position_books_no_trade_yet() -> None:
    assert broker_trades([order("e", "entry", "buy", "100", T)], FLATTEN) == []
