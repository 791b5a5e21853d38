"""The paper loop's structure: start-up reconciliation against the broker, clean stop."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from llm_advisor.alpaca.broker import AlpacaBroker
from llm_advisor.alpaca.reconcile import Discrepancy
from llm_advisor.cli.live import PaperLoop
from llm_advisor.core.clock import ManualClock
from llm_advisor.standins.alpaca_server import AlpacaStandIn
from tests.alpaca.spy_plan import OPEN, PLAN


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
    broker.submit_bracket(PLAN)
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


def test_paper_loop_analyses_at_the_session_analysis_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Started at 09:31, stepping at :03 past each minute, the loop must analyse at 09:45 and
    10:00 like replay; counting 15 minutes from its first step analysed at 09:31/09:46 (and,
    with the service gated to the schedule, never)."""
    from llm_advisor.core.calendar import minute_floor
    from llm_advisor.core.config import StrategyConfig
    from llm_advisor.live import tick as tick_mod
    from llm_advisor.live.engine import session_for_config
    from llm_advisor.live.tick import AnalysisOutcome, TickResult

    config = StrategyConfig()
    session = session_for_config(OPEN.date(), config)
    grid = {session.open + timedelta(minutes=15 + 15 * k) for k in range(26)}
    analysed: list[datetime] = []

    def fake_analysis(now: datetime, deps: Any) -> AnalysisOutcome:
        if minute_floor(now) not in grid:
            return AnalysisOutcome("not_scheduled", now)
        analysed.append(minute_floor(now))
        return AnalysisOutcome("analysed", now)

    monkeypatch.setattr(
        tick_mod, "run_tick", lambda now, deps: TickResult("stepped", now, session.day)
    )
    monkeypatch.setattr(tick_mod, "run_market_analysis", fake_analysis)
    import llm_advisor.execution.monitor as monitor_mod

    monkeypatch.setattr(monitor_mod, "run_monitor", lambda *a: SimpleNamespace(summary=dict))
    container = SimpleNamespace(
        config=config,
        tick_deps=lambda: None,
        analysis_deps=lambda: None,
        plans=SimpleNamespace(drain=lambda: []),
        broker=None,
        repository=None,
        state=None,
    )
    loop = PaperLoop(container, reconcile_every=timedelta(days=1))
    loop.last_reconcile = OPEN
    for i in range(1, 32):  # 09:31:03 .. 10:01:03
        loop.step(OPEN + timedelta(minutes=i, seconds=3))
    assert analysed == [OPEN + timedelta(minutes=15), OPEN + timedelta(minutes=30)]
