"""The local day (real handlers, moto, the Alpaca stand-in) trades exactly like the replay.

One full session through every handler; the broker's fills are compared field by field with
``run_replay`` over the same bars, the same analyst and the same premarket inputs. Every SQS
batch is delivered to the executor twice on the way, so the same run also proves that
at-least-once delivery places one order per plan.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from llm_advisor.analysis.rules import RulesAnalyst
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import Trade
from llm_advisor.local.day import LocalDayResult, run_local_day, synthetic_day_bars
from llm_advisor.replay.premarket import PremarketInfo
from llm_advisor.replay.runner import run_replay

DAY = date(2024, 3, 12)
SYMBOLS = ("SPY", "QQQ", "IWM", "NVDA", "TSLA")
HISTORY = 12


def fill_key(t: Trade) -> tuple[Any, ...]:
    """What the broker did: the comparison contract of the parity test."""
    return (
        t.symbol,
        t.setup.value,
        t.side.value,
        t.signal_time,
        t.entry_time,
        t.entry_price,
        t.exit_time,
        t.exit_price,
        t.qty,
        t.exit_reason.value,
        t.pnl,
    )


@pytest.fixture(scope="module")
def local_day(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalDayResult, Any]:
    bars = synthetic_day_bars(DAY, SYMBOLS, 7, HISTORY)
    db = tmp_path_factory.mktemp("local") / "advisor.sqlite3"
    result = run_local_day(
        DAY,
        SYMBOLS,
        db_url=f"sqlite:///{db}",
        history_sessions=HISTORY,
        bars=bars,
        deliver_twice=True,
    )
    return result, bars


def test_broker_fills_equal_the_replay(local_day: tuple[LocalDayResult, Any]) -> None:
    result, bars = local_day
    cfg = StrategyConfig()
    replay = run_replay(
        cfg,
        bars,
        DAY,
        DAY,
        analyst=RulesAnalyst(cfg),
        premarket=lambda _day: PremarketInfo(biases=dict(result.daily_bias)),
    )
    expected = sorted(replay.trades, key=lambda t: (t.entry_time, t.symbol))
    assert len(expected) >= 4, "the parity day must trade"
    assert {t.exit_reason.value for t in expected} >= {"stop", "target"}
    assert [fill_key(t) for t in result.trades] == [fill_key(t) for t in expected]
    assert [t.client_order_id for t in result.trades] == [t.client_order_id for t in expected]
    assert result.summary["unclosed_entries"] == []
    pnl = sum((t.pnl for t in result.trades), start=0 * result.equity)
    assert result.equity == Decimal(str(cfg.starting_equity)) + pnl


def test_each_plan_is_one_order_although_delivered_twice(
    local_day: tuple[LocalDayResult, Any],
) -> None:
    result, _ = local_day
    assert result.plans and len(set(result.plans)) == len(result.plans)
    entries = [o.client_order_id for o in result.orders if o.leg == "entry"]
    assert sorted(entries) == sorted(result.plans)
    assert result.order_posts == len(result.plans)
    assert result.invocations["trade_executor"] >= 2
    assert result.summary["executor_failures"] == 0


def _row_counts(db: Path) -> dict[str, int]:
    import sqlite3

    with sqlite3.connect(db) as con:
        names = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {n: int(con.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0]) for n in names}


@pytest.fixture(scope="module")
def rerun(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same day twice on one database (a fresh broker and AWS each time, like
    ``make demo`` run twice)."""
    symbols = ("IWM", "NVDA")
    bars = synthetic_day_bars(DAY, symbols, 7, 3)
    db = tmp_path_factory.mktemp("rerun") / "advisor.sqlite3"
    url = f"sqlite:///{db}"
    first = run_local_day(DAY, symbols, db_url=url, history_sessions=3, bars=bars)
    counts = _row_counts(db)
    second = run_local_day(DAY, symbols, db_url=url, history_sessions=3, bars=bars)
    return {"first": first, "second": second, "before": counts, "after": _row_counts(db)}


def test_rerunning_the_day_trades_the_same_and_adds_no_rows(rerun: dict[str, Any]) -> None:
    first, second = rerun["first"], rerun["second"]
    assert first.trades, "the rerun day must trade"
    assert [fill_key(t) for t in second.trades] == [fill_key(t) for t in first.trades]
    before = {k: v for k, v in rerun["before"].items() if k != "order_status_history"}
    after = {k: v for k, v in rerun["after"].items() if k != "order_status_history"}
    assert before["orders"] > 0 and before["fills"] > 0
    assert after == before


def test_rerunning_the_day_adds_no_status_history(rerun: dict[str, Any]) -> None:
    assert rerun["after"]["order_status_history"] == rerun["before"]["order_status_history"]
