"""Failure sequences of the live trading path found in review: each test is one bug's repro."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import requests
from alpaca.common.exceptions import APIError

from llm_advisor.alpaca.broker import AlpacaBroker
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import Fill, Setup, Side, Trade, TradePlan
from llm_advisor.core.ports import Account, BrokerOrder, BrokerPosition
from llm_advisor.execution.monitor import run_monitor
from llm_advisor.execution.round_trips import broker_trades
from llm_advisor.local.stores import MemoryStateStore

# Tue 2024-03-12 (EDT): open 13:30Z, flatten 19:50Z
OPEN = datetime(2024, 3, 12, 13, 30, tzinfo=UTC)
FLATTEN = datetime(2024, 3, 12, 19, 50, tzinfo=UTC)
COID = "stdev-20240312-SPY-MR-long-2024-03-12T14:00:00Z"


def order(
    oid: str,
    leg: str,
    side: str,
    px: str,
    at: datetime,
    *,
    qty: int = 100,
    filled: int = 100,
    parent: str | None = None,
    coid: str = COID,
    status: str = "filled",
) -> BrokerOrder:
    return BrokerOrder(
        broker_order_id=oid,
        client_order_id=coid if leg == "entry" else f"x-{oid}",
        symbol="SPY",
        side=side,  # type: ignore[arg-type,unused-ignore]
        qty=qty,
        filled_qty=filled,
        filled_avg_price=Decimal(px) if filled else None,
        status=status,
        leg=leg,  # type: ignore[arg-type,unused-ignore]
        order_class="bracket" if leg == "entry" else "simple",
        parent_id=parent,
        submitted_at=at,
        filled_at=at if filled else None,
    )


# ---------------------------------------------------------------- duplicate client order id
class _DuplicateClient:
    """Alpaca after a lost response: the order exists, a resubmission gets HTTP 422."""

    def __init__(self) -> None:
        self.submits = 0
        self.raw = {
            "id": "b-1",
            "client_order_id": COID,
            "symbol": "SPY",
            "side": "buy",
            "qty": "10",
            "filled_qty": "0",
            "status": "accepted",
            "order_type": "market",
            "order_class": "bracket",
            "submitted_at": "2024-03-12T14:01:05Z",
            "legs": [],
        }

    def submit_order(self, request: Any) -> dict[str, Any]:
        self.submits += 1
        response = requests.Response()
        response.status_code = 422
        body = json.dumps({"code": 40010001, "message": "client_order_id must be unique"})
        raise APIError(body, requests.HTTPError(response=response))  # type: ignore[no-untyped-call]

    def get_order_by_client_id(self, cid: str) -> dict[str, Any]:
        return self.raw


def test_alpacas_duplicate_client_order_id_refusal_returns_the_existing_order() -> None:
    """Alpaca spells it ``client_order_id must be unique``; taking that for a rejection made
    the executor record a live order as ``rejected`` and drop the message."""
    plan = TradePlan(
        client_order_id=COID,
        symbol="SPY",
        side=Side.LONG,
        setup=Setup.MR,
        qty=10,
        ref_price=100.0,
        stop_price=99.0,
        target_price=101.5,
        signal_time=OPEN + timedelta(minutes=30),
        session_date="2024-03-12",
    )
    client = _DuplicateClient()
    got = AlpacaBroker(client, sleep=lambda s: None).submit_bracket(plan)
    assert (got.client_order_id, got.broker_order_id, client.submits) == (COID, "b-1", 1)


# ---------------------------------------------------------------- partial exit + liquidation
def test_a_partly_filled_target_then_the_eod_liquidation_books_every_share() -> None:
    """Target leg fills 30 of 100, the EOD flatten sells the other 70: the trade must carry
    all 100 shares and the P/L of both exits, not just the leg's 30."""
    entry = order("e", "entry", "buy", "100", OPEN + timedelta(minutes=31))
    target = order(
        "t",
        "target",
        "sell",
        "102",
        FLATTEN - timedelta(minutes=2),
        parent="e",
        filled=30,
        status="canceled",
    )
    stop = order("s", "stop", "sell", "0", FLATTEN, parent="e", filled=0, status="canceled")
    eod = order("c", "other", "sell", "101", FLATTEN + timedelta(seconds=2), filled=70, qty=70)
    (t,) = broker_trades([entry, target, stop, eod], FLATTEN)
    assert t.qty == 100
    assert t.pnl == Decimal("30") * 2 + Decimal("70") * 1  # 130, every cent
    assert t.exit_reason.value == "eod"  # what finally closed the position
    assert t.exit_time == eod.filled_at
    assert t.exit_price == Decimal("101.3")  # (30 x 102 + 70 x 101) / 100


def test_a_fully_filled_leg_still_books_only_the_leg() -> None:
    entry = order("e", "entry", "buy", "100", OPEN + timedelta(minutes=31))
    stop = order("s", "stop", "sell", "99.5", OPEN + timedelta(minutes=40), parent="e")
    (t,) = broker_trades([entry, stop], FLATTEN)
    assert (t.qty, t.pnl, t.exit_reason.value, t.exit_price) == (
        100,
        Decimal("-50.0"),
        "stop",
        Decimal("99.5"),
    )


# ---------------------------------------------------------------- monitor: earlier days
class _Broker:
    def __init__(self, orders: list[BrokerOrder]) -> None:
        self.orders = orders

    def list_orders(self, status: Literal["open", "closed", "all"] = "all") -> list[BrokerOrder]:
        return list(self.orders)

    def list_positions(self) -> list[BrokerPosition]:
        return []

    def account(self) -> Account:
        return Account(equity=Decimal(100_000), cash=Decimal(100_000), buying_power=Decimal(0))

    def cancel_all_orders(self) -> int:
        return 0

    def close_all_positions(self) -> int:
        return 0


class _Records:
    def __init__(self) -> None:
        self.trades: list[Trade] = []
        self.orders: list[Any] = []

    def get_order(self, client_order_id: str) -> dict[str, Any] | None:
        return None

    def upsert_order(self, order: Any, *, at: datetime, status: str | None = None) -> None:
        self.orders.append(order)

    def stored_fills(
        self, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[int, Decimal]]:
        return {}

    def save_fills(self, fills: Iterable[Fill]) -> int:
        return len(list(fills))

    def save_trades(self, trades: Iterable[Trade]) -> int:
        self.trades.extend(trades)
        return len(self.trades)

    def save_equity_snapshots(self, points: Iterable[tuple[datetime, Decimal]]) -> int:
        return len(list(points))


def test_monitor_does_not_rebook_yesterdays_eod_exit_as_a_kill_switch() -> None:
    """The broker lists every order ever; booking yesterday's round trip with today's flatten
    time turned its EOD liquidation (sent before today's 15:50) into ``kill_switch``, and
    the upsert overwrote yesterday's correct row every minute."""
    day = timedelta(days=1)
    y_coid = "stdev-20240311-SPY-MR-long-2024-03-11T14:00:00Z"
    y_entry = order("ye", "entry", "buy", "100", OPEN - day + timedelta(minutes=31), coid=y_coid)
    y_eod = order("yc", "other", "sell", "101", FLATTEN - day + timedelta(seconds=2))
    t_entry = order("te", "entry", "buy", "100", OPEN + timedelta(minutes=31))
    t_stop = order("ts", "stop", "sell", "99", OPEN + timedelta(minutes=45), parent="te")
    records = _Records()
    now = OPEN + timedelta(minutes=50)
    result = run_monitor(
        now,
        _Broker([t_stop, t_entry, y_eod, y_entry]),  # type: ignore[arg-type]
        records,
        MemoryStateStore(),
        StrategyConfig(),
    )
    assert [(t.client_order_id, t.exit_reason.value) for t in result.trades] == [(COID, "stop")]
    assert all(t.exit_reason.value != "kill_switch" for t in records.trades)
