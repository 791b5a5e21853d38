"""The position book: every monitor run records what the broker holds, closes what it no
longer holds, and both entry points (the Lambda monitor, ``live --paper``) reconcile with the
same routine. Real alpaca-py adapter on the stand-in, real SQLite repository."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from llm_advisor.alpaca.broker import AlpacaBroker
from llm_advisor.alpaca.reconcile import Discrepancy
from llm_advisor.cli.live import PaperLoop
from llm_advisor.core.clock import ManualClock
from llm_advisor.core.config import StrategyConfig
from llm_advisor.execution import monitor as monitor_mod
from llm_advisor.execution.monitor import MonitorResult, run_monitor
from llm_advisor.local.stores import MemoryStateStore
from llm_advisor.standins.alpaca_server import AlpacaStandIn
from llm_advisor.storage import Repository, open_repository
from tests.alpaca.spy_plan import CID, PLAN, m

DAY = date(2024, 1, 3)


@pytest.fixture
def repo(tmp_path: Path) -> Any:
    r = open_repository(f"sqlite:///{tmp_path / 'book.sqlite3'}", migrate_schema=True)
    yield r
    r.close()


class Monitor:
    """run_monitor as the Lambda calls it, with the discrepancies it reports."""

    def __init__(self, broker: AlpacaBroker, repo: Repository) -> None:
        self.broker, self.repo = broker, repo
        self.state = MemoryStateStore()
        self.seen: list[Discrepancy] = []

    def __call__(self, now: datetime) -> MonitorResult:
        return run_monitor(
            now, self.broker, self.repo, self.state, StrategyConfig(), self.seen.append
        )


def _filled_bracket(standin: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker) -> None:
    standin.exchange.push_bar("SPY", m(0), 100.0, 100.2, 99.8, 100.0, 1000)
    clock.set(m(1) + timedelta(seconds=5))
    broker.submit_bracket(PLAN)
    standin.exchange.push_bar("SPY", m(1), 100.1, 100.3, 100.0, 100.2, 1000)  # entry @ 100.1
    clock.set(m(2))


def test_open_position_is_recorded_with_its_held_stop_and_a_rerun_adds_nothing(
    standin: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker, repo: Repository
) -> None:
    _filled_bracket(standin, clock, broker)
    monitor = Monitor(broker, repo)
    monitor(m(2))
    monitor(m(2))  # the same minute again (a retried invocation)
    (row,) = repo.open_positions()
    assert (row.symbol, row.side, row.qty, row.entry_price) == ("SPY", "long", 10, Decimal("100.1"))
    assert (row.mark_price, row.unrealized_pnl) == (Decimal("100.2"), Decimal("1.0"))
    # Alpaca keeps the stop of a filled bracket 'held' next to the working target: a leg
    assert (row.stop_price, row.stop_status) == (Decimal("99"), "held")
    assert (row.target_price, row.target_status) == (Decimal("101.5"), "new")
    assert (row.client_order_id, row.setup, row.entry_time) == (CID, "MR", m(1))
    assert repo.count("position_history") == 1
    assert monitor.seen == []  # our own entry filling is the book moving, not a discrepancy


def test_held_legs_of_an_unfilled_entry_are_left_alone(
    standin: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker, repo: Repository
) -> None:
    standin.exchange.push_bar("SPY", m(0), 100.0, 100.2, 99.8, 100.0, 1000)
    clock.set(m(1) + timedelta(seconds=5))
    broker.submit_bracket(PLAN)
    monitor = Monitor(broker, repo)
    monitor(m(1) + timedelta(seconds=10))
    assert repo.open_positions() == [] and monitor.seen == []
    assert sorted(o.status for o in broker.list_orders("open")) == ["held", "held", "new"]


def test_target_fill_closes_the_row_like_the_trade(
    standin: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker, repo: Repository
) -> None:
    _filled_bracket(standin, clock, broker)
    monitor = Monitor(broker, repo)
    monitor(m(2))
    standin.exchange.push_bar("SPY", m(2), 100.4, 101.6, 100.4, 101.0, 1000)  # target 101.5
    clock.set(m(3))
    monitor(m(3))
    monitor(m(3))
    assert repo.open_positions() == []
    (row,) = repo.closed_positions(DAY)
    (trade,) = repo.get_trades()
    assert (row.status, row.exit_reason, row.closed_at) == ("closed", "target", trade.exit_time)
    assert (row.qty, row.entry_price, row.exit_price, row.realized_pnl) == (
        trade.qty,
        trade.entry_price,
        trade.exit_price,
        trade.pnl,
    )
    assert row.realized_pnl == Decimal("14.0") and row.unrealized_pnl is None
    assert repo.count("position_history") == 1 and monitor.seen == []


def test_a_manual_close_at_the_broker_closes_the_row_and_is_reported(
    standin: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker, repo: Repository
) -> None:
    _filled_bracket(standin, clock, broker)
    monitor = Monitor(broker, repo)
    monitor(m(2))
    # Someone closes the position by hand: cancels the bracket's legs, then liquidates.
    _, *legs = broker.get_bracket(CID)
    broker.cancel_order(legs[0].broker_order_id)
    broker.close_position("SPY")
    standin.exchange.push_bar("SPY", m(2), 100.3, 100.4, 100.2, 100.3, 1000)
    clock.set(m(3))
    monitor(m(3))
    assert repo.open_positions() == []
    (row,) = repo.closed_positions(DAY)
    assert (row.exit_reason, row.exit_price, row.realized_pnl) == (
        "manual",
        Decimal("100.3"),
        Decimal("2.0"),
    )
    assert [d.kind for d in monitor.seen] == ["missing_at_broker"]
    assert "manual" in monitor.seen[0].resolution


def test_a_position_none_of_our_orders_opened_is_reported_recorded_and_flattened(
    standin: AlpacaStandIn, clock: ManualClock, broker: AlpacaBroker, repo: Repository
) -> None:
    standin.exchange.push_bar("SPY", m(0), 100.0, 100.2, 99.8, 100.0, 1000)
    clock.set(m(1) + timedelta(seconds=5))
    standin.exchange.submit(
        {"symbol": "SPY", "qty": "5", "side": "buy", "type": "market", "time_in_force": "day"}
    )
    standin.exchange.push_bar("SPY", m(1), 100.1, 100.3, 100.0, 100.2, 1000)
    monitor = Monitor(broker, repo)
    monitor(m(2))
    assert [d.kind for d in monitor.seen] == ["unknown_at_broker", "unprotected_position"]
    (row,) = repo.open_positions()
    assert (row.qty, row.client_order_id, row.stop_price) == (5, None, None)
    standin.exchange.push_bar("SPY", m(2), 100.2, 100.3, 100.1, 100.2, 1000)  # our flatten
    monitor(m(3))
    assert repo.open_positions() == [] and broker.list_positions() == []
    assert len(repo.closed_positions(DAY)) == 1


def test_paper_loop_and_monitor_run_one_reconciliation(
    standin: AlpacaStandIn,
    clock: ManualClock,
    broker: AlpacaBroker,
    repo: Repository,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    shared = monitor_mod.reconcile_broker

    def spy(*args: Any, **kw: Any) -> Any:
        calls.append("strict" if kw.get("strict") else "monitor")
        return shared(*args, **kw)

    monkeypatch.setattr(monitor_mod, "reconcile_broker", spy)
    _filled_bracket(standin, clock, broker)
    seen: list[Discrepancy] = []
    container = SimpleNamespace(broker=broker, repository=repo, config=StrategyConfig())
    loop = PaperLoop(container, on_discrepancy=seen.append)
    loop.reconcile(m(2))  # start-up: the database is behind the broker (strict: reported)
    assert [d.kind for d in seen] == ["unknown_at_broker"]
    (row,) = repo.open_positions()  # ... and the book is written, as the monitor writes it
    assert (row.client_order_id, row.stop_status) == (CID, "held")
    run_monitor(m(2), broker, repo, MemoryStateStore(), StrategyConfig(), seen.append)
    assert calls == ["strict", "monitor"]
    assert len(seen) == 1 and repo.count("position_history") == 1
