"""The paper loop's structure: start-up reconciliation against the broker, clean stop."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from llm_advisor.alpaca.broker import AlpacaBroker
from llm_advisor.alpaca.reconcile import Discrepancy
from llm_advisor.cli.live import PaperLoop
from llm_advisor.core.clock import ManualClock
from llm_advisor.core.models import Setup, Side, TradePlan
from llm_advisor.standins.alpaca_server import AlpacaStandIn

OPEN = datetime(2024, 1, 3, 14, 30, tzinfo=UTC)


class Records:
    def __init__(self, rows: list[Any]) -> None:
        self.rows = rows

    def open_positions(self) -> list[Any]:
        return self.rows


def test_startup_reconciles_then_stops_cleanly(
    standin: AlpacaStandIn,
    clock: ManualClock,
    broker: AlpacaBroker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    standin.exchange.push_bar("SPY", OPEN, 100.0, 100.2, 99.8, 100.0, 1000)
    clock.set(OPEN + timedelta(minutes=1, seconds=5))
    broker.submit_bracket(
        TradePlan(
            client_order_id="stdev-20240103-SPY-MR-long-2024-01-03T14:30:00Z",
            symbol="SPY",
            side=Side.LONG,
            setup=Setup.MR,
            qty=10,
            ref_price=100.0,
            stop_price=99.0,
            target_price=101.5,
            signal_time=OPEN,
            session_date="2024-01-03",
        )
    )
    standin.exchange.push_bar("SPY", OPEN + timedelta(minutes=1), 100.1, 100.3, 100.0, 100.2, 10)
    # The database lost the position (say, a crash before the fill was recorded).
    container = SimpleNamespace(broker=broker, repository=Records([]))
    seen: list[Discrepancy] = []
    loop = PaperLoop(container, on_discrepancy=seen.append)
    stop = threading.Event()
    steps: list[datetime] = []

    def fake_step(now: datetime) -> dict[str, Any]:
        steps.append(now)
        stop.set()  # Ctrl-C during the first minute
        return {"tick": {}}

    monkeypatch.setattr(loop, "step", fake_step)
    assert loop.run(clock, stop, lag=timedelta(0)) == 0
    assert [d.kind for d in seen] == ["unknown_at_broker"]
    assert loop.tracker.our_positions()[0].entry_price == Decimal("100.1")
    assert len(steps) == 1


def test_transient_errors_skip_the_minute_but_bugs_stop_the_loop(
    standin: AlpacaStandIn,
    clock: ManualClock,
    broker: AlpacaBroker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from llm_advisor.core.errors import RetryableError

    loop = PaperLoop(SimpleNamespace(broker=broker, repository=Records([])))
    stop = threading.Event()
    calls = {"n": 0}

    def flaky(now: datetime) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RetryableError("429 for a while")
        if calls["n"] == 2:
            raise KeyError("a bug")
        return {}

    waits: list[float] = []

    def wait(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    monkeypatch.setattr(loop, "step", flaky)
    with pytest.raises(KeyError):
        loop.run(clock, stop, lag=timedelta(seconds=3), wait=wait)
    assert calls["n"] == 2
    assert waits == [63.0]  # from 09:30:00 to 09:31:03, the next minute plus the lag
