"""Fixtures for the executor tests: a plan factory, a broker fake, a SQLite order book."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from llm_advisor.core.models import Setup, Side, TradePlan
from llm_advisor.core.ports import BrokerOrder

# Tue 2024-03-12, 10:40 New York (EDT): the signal bar; it closes at 10:41.
SIGNAL = datetime(2024, 3, 12, 14, 40, tzinfo=UTC)
CLOSE = SIGNAL + timedelta(minutes=1)
DAY = date(2024, 3, 12)


def make_plan(signal: datetime = SIGNAL, symbol: str = "SPY") -> TradePlan:
    from llm_advisor.core.calendar import NY

    day = signal.astimezone(NY).date()
    return TradePlan(
        client_order_id=f"stdev-{day:%Y%m%d}-{symbol}-MR-long-{signal:%Y-%m-%dT%H:%M:%SZ}",
        symbol=symbol,
        side=Side.LONG,
        setup=Setup.MR,
        qty=10,
        ref_price=100.0,
        stop_price=99.0,
        target_price=101.5,
        signal_time=signal,
        session_date=day.isoformat(),
    )


@dataclass
class FakeBroker:
    """Keeps orders by client order id like Alpaca; counts submissions."""

    orders: dict[str, BrokerOrder] = field(default_factory=dict)
    submits: int = 0
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def submit_bracket(self, plan: TradePlan) -> BrokerOrder:
        self.submits += 1
        if plan.client_order_id in self.orders:
            return self.orders[plan.client_order_id].model_copy(update={"duplicate": True})
        order = BrokerOrder(
            broker_order_id=f"b-{next(self._ids)}",
            client_order_id=plan.client_order_id,
            symbol=plan.symbol,
            side="buy",
            qty=plan.qty,
            status="accepted",
        )
        self.orders[plan.client_order_id] = order
        return order

    def get_order(self, client_order_id: str) -> BrokerOrder | None:
        return self.orders.get(client_order_id)


@pytest.fixture
def broker() -> FakeBroker:
    return FakeBroker()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'orders.sqlite3'}"


@pytest.fixture
def repo(db_url: str) -> Iterator[Any]:
    from llm_advisor.storage.repository import open_repository

    r = open_repository(db_url, migrate_schema=True)
    try:
        yield r
    finally:
        r.close()
