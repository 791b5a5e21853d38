"""Fixtures: the Alpaca stand-in on an ephemeral port and the real alpaca-py clients on it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from llm_advisor.alpaca.broker import AlpacaBroker
from llm_advisor.alpaca.http import harden
from llm_advisor.alpaca.market_data import AlpacaMarketData
from llm_advisor.core.clock import ManualClock
from llm_advisor.standins.alpaca_server import AlpacaStandIn
from tests.alpaca.spy_plan import OPEN

KEY, SECRET = "standin-key", "standin-secret"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(OPEN)


@pytest.fixture
def standin(clock: ManualClock) -> Iterator[AlpacaStandIn]:
    server = AlpacaStandIn(clock=clock).start()
    try:
        yield server
    finally:
        server.stop()


def _make_broker(url: str, timeout: float = 5.0) -> AlpacaBroker:
    from alpaca.trading.client import TradingClient

    client = TradingClient(KEY, SECRET, paper=True, raw_data=True, url_override=url)
    harden(client, timeout=timeout, retry_wait_seconds=0)
    return AlpacaBroker(client, sleep=lambda s: None)


@pytest.fixture
def broker(standin: AlpacaStandIn) -> AlpacaBroker:
    return _make_broker(standin.url)


@pytest.fixture
def make_broker() -> object:
    """A fresh adapter (a restarted process) on the same stand-in."""
    return _make_broker


def _make_data(url: str, **kw: object) -> AlpacaMarketData:
    from alpaca.data.historical import StockHistoricalDataClient

    client = StockHistoricalDataClient(KEY, SECRET, raw_data=True, url_override=url)
    harden(client, timeout=2.0, retry_wait_seconds=0)
    return AlpacaMarketData(client, **kw)  # type: ignore[arg-type]


@pytest.fixture
def make_data() -> object:
    return _make_data


def minute(i: int) -> datetime:
    return OPEN + timedelta(minutes=i)
