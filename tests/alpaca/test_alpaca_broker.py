"""Bracket placement and fills through the real alpaca-py TradingClient and the stand-in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from llm_advisor.alpaca.broker import AlpacaBroker, use_paper
from llm_advisor.core.clock import ManualClock
from llm_advisor.core.config import AppSettings
from llm_advisor.core.models import Setup, Side, TradePlan
from llm_advisor.core.ports import BrokerPort
from llm_advisor.engine.fills import exit_fill
from llm_advisor.standins.alpaca_server import AlpacaStandIn

OPEN = datetime(2024, 1, 3, 14, 30, tzinfo=UTC)


def m(i: int) -> datetime:
    return OPEN + timedelta(minutes=i)


def plan(
    symbol: str = "SPY",
    side: Side = Side.LONG,
    qty: int = 10,
    ref: float = 100.0,
    stop: float = 99.0,
    target: float = 101.5,
    signal: int = 0,
) -> TradePlan:
    t = m(signal)
    return TradePlan(
        client_order_id=f"stdev-20240103-{symbol}-MR-{side.value}-{t:%Y-%m-%dT%H:%M:%SZ}",
        symbol=symbol,
        side=side,
        setup=Setup.MR,
        qty=qty,
        ref_price=ref,
        stop_price=stop,
        target_price=target,
        signal_time=t,
        session_date="2024-01-03",
    )


def signal_then_submit(
    standin: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker, p: TradePlan
) -> None:
    """Bar 0 completes at 09:31; the order goes in at 09:31:05 (like the tick)."""
    standin.exchange.push_bar(p.symbol, m(0), 100.0, 100.2, 99.8, p.ref_price, 1000)
    clock.set(m(1) + timedelta(seconds=5))
    broker.submit_bracket(p)


def test_adapter_satisfies_broker_port(broker: AlpacaBroker) -> None:
    assert isinstance(broker, BrokerPort)


def test_bracket_is_market_entry_with_stop_and_target_legs_day(
    standin: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker
) -> None:
    p = plan()
    signal_then_submit(standin, clock, broker, p)
    orders = broker.get_bracket(p.client_order_id)
    entry, *legs = orders
    assert entry.client_order_id == p.client_order_id
    assert (entry.leg, entry.order_type, entry.side, entry.qty) == ("entry", "market", "buy", 10)
    assert entry.status == "new"
    by_leg = {o.leg: o for o in legs}
    assert by_leg["stop"].stop_price == Decimal("99") and by_leg["stop"].side == "sell"
    assert by_leg["target"].limit_price == Decimal("101.5")
    assert all(o.parent_id == entry.broker_order_id for o in legs)
    assert all(o.status == "held" for o in legs)  # both held until the entry fills
    post = [q for meth, path, q in standin.requests if meth == "POST"]
    assert len(post) == 1


def test_prices_are_sent_to_the_cent_rounded_like_the_engine(
    standin: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker
) -> None:
    req = AlpacaBroker.bracket_request(plan(stop=98.996, target=101.509)).to_request_fields()
    assert req["stop_loss"]["stop_price"] == 98.99  # long: away from the entry
    assert req["take_profit"]["limit_price"] == 101.5  # long: toward it
    short = plan(side=Side.SHORT, stop=101.001, target=98.4449)
    req = AlpacaBroker.bracket_request(short).to_request_fields()
    assert req["stop_loss"]["stop_price"] == 101.01
    assert req["take_profit"]["limit_price"] == 98.45
    assert req["time_in_force"] == "day" and req["order_class"] == "bracket"


def test_entry_fills_at_next_bar_open_then_stop_leg_stays_held(
    standin: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker
) -> None:
    p = plan()
    signal_then_submit(standin, clock, broker, p)
    standin.exchange.push_bar("SPY", m(1), 100.10, 100.4, 99.9, 100.3, 1000)
    entry, *legs = broker.get_bracket(p.client_order_id)
    assert entry.status == "filled" and entry.filled_avg_price == Decimal("100.1")
    assert {o.leg: o.status for o in legs} == {"target": "new", "stop": "held"}
    [pos] = broker.list_positions()
    assert (pos.symbol, pos.qty, pos.avg_entry_price) == ("SPY", 10, Decimal("100.1"))


@pytest.mark.parametrize(
    ("bar", "expected"),
    [
        ((100.5, 101.6, 100.4, 101.0), (101.5, "target")),  # high through the target
        ((100.5, 100.6, 98.9, 99.5), (99.0, "stop")),  # low through the stop
        ((100.5, 101.7, 98.5, 100.0), (99.0, "stop")),  # both inside: the stop wins
        ((98.5, 99.2, 98.0, 98.7), (98.5, "stop")),  # gap through the stop: the open
        ((102.0, 102.5, 101.8, 102.2), (102.0, "target")),  # gap beyond the target: the open
    ],
)
def test_exit_follows_the_spec_fill_rules(
    standin: AlpacaStandIn,
    clock: ManualClock,
    broker: AlpacaBroker,
    bar: tuple[float, float, float, float],
    expected: tuple[float, str],
) -> None:
    p = plan()
    signal_then_submit(standin, clock, broker, p)
    standin.exchange.push_bar("SPY", m(1), 100.1, 100.4, 99.9, 100.3, 1000)  # entry only
    clock.set(m(2) + timedelta(seconds=5))
    o, h, low, c = bar
    standin.exchange.push_bar("SPY", m(2), o, h, low, c, 1000)
    assert exit_fill(1, 99.0, 101.5, o, h, low) == expected
    _, *legs = broker.get_bracket(p.client_order_id)
    filled = [x for x in legs if x.status == "filled"]
    cancelled = [x for x in legs if x.status == "canceled"]
    assert len(filled) == 1 and len(cancelled) == 1
    assert filled[0].leg == expected[1]
    assert filled[0].filled_avg_price == Decimal(str(expected[0]))
    assert broker.list_positions() == []
    assert broker.list_orders("open") == []


def test_exit_can_fill_on_the_entry_bar(
    standin: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker
) -> None:
    p = plan()
    signal_then_submit(standin, clock, broker, p)
    standin.exchange.push_bar("SPY", m(1), 100.1, 100.2, 98.7, 98.9, 1000)
    _, *legs = broker.get_bracket(p.client_order_id)
    stop = next(x for x in legs if x.leg == "stop")
    assert stop.status == "filled" and stop.filled_avg_price == Decimal("99")


def test_short_bracket_mirrors(
    standin: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker
) -> None:
    p = plan(side=Side.SHORT, stop=101.0, target=98.5)
    signal_then_submit(standin, clock, broker, p)
    standin.exchange.push_bar("SPY", m(1), 99.9, 100.0, 99.5, 99.6, 1000)
    [pos] = broker.list_positions()
    assert pos.qty == -10
    standin.exchange.push_bar("SPY", m(2), 99.0, 99.1, 98.4, 98.6, 1000)
    _, *legs = broker.get_bracket(p.client_order_id)
    target = next(x for x in legs if x.leg == "target")
    assert target.status == "filled" and target.filled_avg_price == Decimal("98.5")
    assert broker.account().equity == Decimal("100014.0")  # (99.9 - 98.5) x 10


def test_duplicate_submission_returns_the_existing_order(
    standin: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker
) -> None:
    p = plan()
    signal_then_submit(standin, clock, broker, p)
    again = broker.submit_bracket(p)
    assert again.client_order_id == p.client_order_id
    assert len(standin.exchange.list_orders(status="all", nested=True)) == 1
    assert standin.count("GET", "/v2/orders:by_client_order_id") >= 1


def test_close_all_and_cancel_all_for_kill_switch_and_eod(
    standin: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker
) -> None:
    p = plan()
    signal_then_submit(standin, clock, broker, p)
    standin.exchange.push_bar("SPY", m(1), 100.1, 100.4, 99.9, 100.3, 1000)
    pending = plan(symbol="QQQ", ref=100.0)
    standin.exchange.push_bar("QQQ", m(0), 100.0, 100.1, 99.9, 100.0, 100)
    broker.submit_bracket(pending)
    assert broker.close_all_positions() == 1
    assert broker.list_orders("open")  # the closing market order works until the next bar
    clock.set(m(2) + timedelta(seconds=1))
    standin.exchange.push_bar("SPY", m(2), 100.7, 100.9, 100.6, 100.8, 1000)
    assert broker.list_positions() == []
    qqq = broker.get_order(pending.client_order_id)
    assert qqq is not None and qqq.status == "canceled"  # cancel_orders=True took it too
    assert broker.list_orders("open") == []
    assert broker.account().equity == Decimal("100006.0")  # (100.7 - 100.1) x 10
    assert broker.cancel_all_orders() == 0


def test_account_clock_and_calendar(
    standin: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker
) -> None:
    acct = broker.account()
    assert acct.equity == acct.cash == Decimal("100000.0")
    assert acct.buying_power == Decimal("400000.0")
    assert broker.is_market_open()
    clock.set(datetime(2024, 1, 6, 15, 0, tzinfo=UTC))  # Saturday
    c = broker.clock()
    assert not c.is_open and c.next_open == datetime(2024, 1, 8, 14, 30, tzinfo=UTC)
    days = broker.calendar(date(2024, 7, 1), date(2024, 7, 5))
    assert [d.day.day for d in days] == [1, 2, 3, 5]
    assert days[2].close == datetime(2024, 7, 3, 17, 0, tzinfo=UTC)  # 13:00 early close


def test_live_needs_the_second_confirmation() -> None:
    assert use_paper(AppSettings())
    live = AppSettings(alpaca_paper=False, alpaca_live_confirm="I-UNDERSTAND-THIS-IS-REAL-MONEY")
    assert not use_paper(live)


def test_standin_json_parses_with_the_sdk_models(
    standin: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker
) -> None:
    from alpaca.trading.client import TradingClient
    from alpaca.trading.enums import QueryOrderStatus
    from alpaca.trading.requests import GetOrdersRequest

    p = plan()
    signal_then_submit(standin, clock, broker, p)
    standin.exchange.push_bar("SPY", m(1), 100.1, 100.4, 99.9, 100.3, 1000)
    typed = TradingClient("standin-key", "standin-secret", url_override=standin.url)
    [order] = typed.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, nested=True))
    assert order.legs is not None and len(order.legs) == 2  # type: ignore[union-attr]
    assert typed.get_all_positions()[0].qty == "10"  # type: ignore[index]
    assert typed.get_account().status == "ACTIVE"  # type: ignore[union-attr]
    closed = typed.close_all_positions(cancel_orders=True)
    assert len(closed) == 1


def test_wrong_keys_are_refused(
    standin: AlpacaStandIn, make_broker: Callable[..., AlpacaBroker]
) -> None:
    from alpaca.common.exceptions import APIError
    from alpaca.trading.client import TradingClient

    bad = AlpacaBroker(TradingClient("x", "y", raw_data=True, url_override=standin.url))
    with pytest.raises(APIError) as info:
        bad.account()
    assert info.value.status_code == 401
