"""Reconciliation (pure) and the tracker against the stand-in, including a mid-day restart."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from llm_advisor.alpaca.broker import AlpacaBroker
from llm_advisor.alpaca.reconcile import (
    AdoptPosition,
    CancelOrder,
    ClosePosition,
    Discrepancy,
    MarkClosed,
    OurPosition,
    UpdatePosition,
    realized_pnl,
    reconcile,
)
from llm_advisor.alpaca.tracker import TradeTracker
from llm_advisor.core.clock import ManualClock
from llm_advisor.core.models import Fill, Side
from llm_advisor.core.ports import BrokerOrder, BrokerPosition
from llm_advisor.standins.alpaca_server import AlpacaStandIn
from tests.alpaca.spy_plan import PLAN, m


def order(
    oid: str,
    leg: str,
    status: str,
    side: str = "buy",
    qty: int = 10,
    filled: int = 0,
    price: str | None = None,
    parent: str | None = None,
    cid: str | None = None,
    at: int = 0,
    symbol: str = "SPY",
) -> BrokerOrder:
    return BrokerOrder(
        broker_order_id=oid,
        client_order_id=cid or f"c-{oid}",
        symbol=symbol,
        side=side,
        qty=qty,
        filled_qty=filled,
        filled_avg_price=Decimal(price) if price else None,
        status=status,
        leg=leg,
        parent_id=parent,
        submitted_at=m(at),
        filled_at=m(at) if filled else None,
    )


def pos(qty: int, px: str, symbol: str = "SPY") -> BrokerPosition:
    return BrokerPosition(symbol=symbol, qty=qty, avg_entry_price=Decimal(px))


def bracket(
    entry_status: str = "filled", stop: str = "held", target: str = "new"
) -> list[BrokerOrder]:
    filled = 10 if entry_status == "filled" else 0
    return [
        order("e", "entry", entry_status, filled=filled, price="100" if filled else None, cid="E"),
        order("s", "stop", stop, side="sell", parent="e"),
        order("t", "target", target, side="sell", parent="e"),
    ]


OURS = [OurPosition("SPY", 10, Decimal("100"), "E")]


def test_agreement_is_clean_and_a_held_stop_counts_as_protection() -> None:
    r = reconcile(OURS, [pos(10, "100")], bracket())
    assert r.clean and r.actions == []


def test_broker_flat_but_we_hold_marks_closed_with_the_filled_leg() -> None:
    orders = [
        order("e", "entry", "filled", filled=10, price="100", cid="E", at=1),
        order("s", "stop", "filled", side="sell", filled=10, price="99", parent="e", at=5),
        order("t", "target", "canceled", side="sell", parent="e"),
    ]
    r = reconcile(OURS, [], orders)
    assert [d.kind for d in r.discrepancies] == ["missing_at_broker"]
    assert r.actions == [MarkClosed("SPY", "E", Decimal("99"), m(5), "stop")]
    assert r.realized_pnl == Decimal("-10")


def test_unknown_broker_position_is_adopted_with_its_order_id() -> None:
    r = reconcile([], [pos(10, "100")], bracket())
    assert [d.kind for d in r.discrepancies] == ["unknown_at_broker"]
    assert r.actions == [AdoptPosition("SPY", 10, Decimal("100"), "E")]


def test_quantity_and_price_follow_the_broker() -> None:
    r = reconcile(OURS, [pos(4, "100.2")], bracket())
    assert {d.kind for d in r.discrepancies} == {"qty_mismatch", "price_mismatch"}
    assert r.actions == [UpdatePosition("SPY", "E", 4, Decimal("100.2"))]


def test_open_leg_without_position_is_cancelled_as_orphan() -> None:
    r = reconcile([], [], bracket())
    assert [d.kind for d in r.discrepancies] == ["orphan_order", "orphan_order"]
    assert {a.broker_order_id for a in r.actions if isinstance(a, CancelOrder)} == {"s", "t"}


def test_held_legs_of_an_unfilled_entry_are_not_orphans() -> None:
    r = reconcile([], [], bracket(entry_status="new", stop="held", target="held"))
    assert r.clean


def test_unprotected_position_is_flattened_or_only_reported() -> None:
    lonely = [order("e", "entry", "filled", filled=10, price="100", cid="E")]
    r = reconcile(OURS, [pos(10, "100")], lonely)
    assert [d.kind for d in r.discrepancies] == ["unprotected_position"]
    assert r.actions == [ClosePosition("SPY", 10, "no working stop or target")]
    r = reconcile(OURS, [pos(10, "100")], lonely, flatten_unprotected=False)
    assert r.actions == [] and not r.clean


def test_a_working_liquidation_protects_the_position() -> None:
    orders = [
        order("e", "entry", "filled", filled=10, price="100", cid="E"),
        order("x", "other", "new", side="sell"),
    ]
    assert reconcile(OURS, [pos(10, "100")], orders).clean


def test_pnl_mismatch_reported_and_broker_value_returned() -> None:
    orders = [
        order("e", "entry", "filled", filled=10, price="100", cid="E", at=1),
        order("t", "target", "filled", side="sell", filled=10, price="101.5", parent="e", at=3),
    ]
    r = reconcile([], [], orders, our_realized=Decimal("14"))
    assert [d.kind for d in r.discrepancies] == ["pnl_mismatch"]
    assert r.realized_pnl == Decimal("15.0")


def test_realized_pnl_fifo_handles_shorts_and_partial_exits() -> None:
    orders = [
        order("a", "entry", "filled", side="sell", filled=10, price="50", at=1),
        order("b", "other", "filled", side="buy", filled=4, price="49", at=2),
        order("c", "other", "filled", side="buy", filled=6, price="51", at=3),
    ]
    assert realized_pnl(orders) == Decimal("4") + Decimal("-6")


# ---------------------------------------------------------------- tracker on the stand-in
def test_tracker_emits_each_fill_once_with_the_parent_id(
    standin: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker
) -> None:
    seen: list[Fill] = []
    tracker = TradeTracker(broker, on_fill=seen.append)
    standin.exchange.push_bar("SPY", m(0), 100.0, 100.2, 99.8, 100.0, 1000)
    clock.set(m(1) + timedelta(seconds=5))
    standin.exchange.partial_fill_next(0.3)
    broker.submit_bracket(PLAN)
    assert tracker.poll() == []
    standin.exchange.push_bar("SPY", m(1), 100.1, 100.3, 100.0, 100.2, 1000)
    tracker.poll()
    standin.exchange.push_bar("SPY", m(2), 100.3, 100.4, 100.2, 100.3, 1000)
    tracker.poll()
    tracker.poll()  # nothing new: no duplicate fills
    standin.exchange.push_bar("SPY", m(3), 100.4, 101.6, 100.4, 101.0, 1000)
    tracker.poll()
    assert [(f.leg, f.qty, f.price) for f in seen] == [
        ("entry", 3, Decimal("100.1")),
        ("entry", 7, Decimal("100.3")),
        ("target", 10, Decimal("101.5")),
    ]
    assert {f.client_order_id for f in seen} == {PLAN.client_order_id}
    assert tracker.open_brackets() == []


def test_restart_mid_day_reconciles_to_the_same_positions(
    standin: AlpacaStandIn,
    clock: ManualClock,
    broker: AlpacaBroker,
    make_broker: Callable[..., AlpacaBroker],
) -> None:
    standin.exchange.push_bar("SPY", m(0), 100.0, 100.2, 99.8, 100.0, 1000)
    standin.exchange.push_bar("QQQ", m(0), 400.0, 400.5, 399.5, 400.0, 1000)
    clock.set(m(1) + timedelta(seconds=5))
    before = TradeTracker(broker)
    broker.submit_bracket(PLAN)
    qqq = PLAN.model_copy(
        update={
            "client_order_id": "stdev-20240103-QQQ-TC-short-2024-01-03T14:30:00Z",
            "symbol": "QQQ",
            "side": Side.SHORT,
            "ref_price": 400.0,
            "stop_price": 402.0,
            "target_price": 397.0,
            "qty": 5,
        }
    )
    broker.submit_bracket(qqq)
    standin.exchange.push_bar("SPY", m(1), 100.1, 100.3, 100.0, 100.2, 1000)
    standin.exchange.push_bar("QQQ", m(1), 399.9, 400.2, 399.7, 400.0, 1000)
    before.poll()
    held_before = sorted((p.symbol, p.qty, p.entry_price) for p in before.our_positions())

    # The process dies; a new one starts with nothing in memory but the broker's view.
    clock.set(m(5))
    after = TradeTracker(make_broker(standin.url))
    after.poll()
    held_after = sorted((p.symbol, p.qty, p.entry_price) for p in after.our_positions())
    assert (
        held_after
        == held_before
        == [
            ("QQQ", -5, Decimal("399.9")),
            ("SPY", 10, Decimal("100.1")),
        ]
    )
    result = after.reconcile(after.our_positions())
    assert result.clean, result.discrepancies
    assert [(p.symbol, p.qty) for p in result.positions] == [("QQQ", -5), ("SPY", 10)]
    # Resubmitting what the dead process had sent opens nothing new.
    make_broker(standin.url).submit_bracket(PLAN)
    assert len(standin.exchange.list_orders(status="all", nested=True)) == 2


def test_reconcile_applies_broker_side_fixes_and_reports_through_the_hook(
    standin: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker
) -> None:
    reported: list[Discrepancy] = []
    tracker = TradeTracker(broker, on_discrepancy=reported.append)
    standin.exchange.push_bar("SPY", m(0), 100.0, 100.2, 99.8, 100.0, 1000)
    clock.set(m(1) + timedelta(seconds=5))
    broker.submit_bracket(PLAN)
    standin.exchange.push_bar("SPY", m(1), 100.1, 100.3, 100.0, 100.2, 1000)
    # Someone cancels the exit legs by hand: the position is now unprotected.
    _, *legs = broker.get_bracket(PLAN.client_order_id)
    broker.cancel_order(legs[0].broker_order_id)
    ours = [OurPosition("SPY", 10, Decimal("100.1"), PLAN.client_order_id)]
    result = tracker.reconcile(ours)
    assert [d.kind for d in reported] == ["unprotected_position"]
    assert result.actions == [ClosePosition("SPY", 10, "no working stop or target")]
    clock.set(m(2) + timedelta(seconds=1))
    standin.exchange.push_bar("SPY", m(2), 100.2, 100.3, 100.1, 100.2, 1000)
    assert broker.list_positions() == [] and broker.list_orders("open") == []
