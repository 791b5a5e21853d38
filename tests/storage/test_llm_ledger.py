"""``SqlLedger`` answers like ``InMemoryLedger`` for the same calls, on both engines, and a
second ledger on the same database (a new Lambda container) sees the day's spend."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from llm_advisor.analysis.guards import DailyBudget
from llm_advisor.analysis.ledger import InMemoryLedger, LedgerPort, LLMCallRecord
from llm_advisor.core.clock import ManualClock
from llm_advisor.storage import Repository
from llm_advisor.storage.llm_ledger import SqlLedger

# 2024-03-10 is the spring-forward day in New York (23 hours: 05:00Z to 04:00Z next day).
DST_DAY = date(2024, 3, 10)


def _call(h: str, at: datetime, cost: str, error: str | None = None) -> LLMCallRecord:
    return LLMCallRecord(
        request_hash=h * 64,
        provider="bedrock",
        model="claude-x",
        request={"prompt": {"system": "s", "user": h}, "schema": {"type": "object"}},
        response=None if error else {"tool_input": {"market_assessment": "bullish", "x": [1]}},
        tokens_in=1200,
        tokens_out=80,
        cost_usd=Decimal(cost),
        latency_ms=640,
        error=error,
        decision_time=at - timedelta(seconds=2),
        created_at=at,
    )


CALLS = [
    _call("a", datetime(2024, 3, 9, 4, 59, tzinfo=UTC), "0.10"),  # Mar 8, 23:59 NY
    _call("a", datetime(2024, 3, 10, 5, 0, tzinfo=UTC), "0.000123", "throttled"),  # Mar 10 0:00
    _call("b", datetime(2024, 3, 10, 15, 0, tzinfo=UTC), "0.0042"),
    _call("a", datetime(2024, 3, 10, 16, 0, tzinfo=UTC), "0.0310"),  # retry: latest wins
    _call("c", datetime(2024, 3, 11, 3, 59, tzinfo=UTC), "1.5"),  # Mar 10, 23:59 EDT
    _call("c", datetime(2024, 3, 11, 4, 0, tzinfo=UTC), "2"),  # Mar 11, 00:00 EDT
]


def test_sql_ledger_answers_like_the_in_memory_ledger(repo: Repository) -> None:
    sql = SqlLedger(repo)
    mem = InMemoryLedger()
    assert isinstance(sql, LedgerPort)
    for call in CALLS:
        sql.record(call)
        mem.record(call)
        for h in "abcd":
            assert sql.lookup(h * 64) == mem.lookup(h * 64)
    assert sql.lookup("a" * 64) == CALLS[3]
    for d in (date(2024, 3, 8), date(2024, 3, 9), DST_DAY, date(2024, 3, 11)):
        assert sql.spent_usd(d) == mem.spent_usd(d), d
    assert sql.spent_usd(DST_DAY) == Decimal("1.535323")


def test_recording_the_same_call_twice_stores_it_once(repo: Repository) -> None:
    sql = SqlLedger(repo)
    sql.record(CALLS[2])
    sql.record(CALLS[2])  # a retried invocation re-recording its call
    assert repo.count("llm_calls") == 1
    assert sql.spent_usd(DST_DAY) == Decimal("0.0042")


def test_a_new_container_starts_from_the_days_spend(repo: Repository) -> None:
    SqlLedger(repo).record(CALLS[2])
    clock = ManualClock(datetime(2024, 3, 10, 17, 0, tzinfo=UTC))
    budget = DailyBudget(clock, Decimal("0.005"), SqlLedger(repo))  # a fresh process
    assert budget.spent == Decimal("0.0042") and budget.allows()
    budget.charge(Decimal("0.001"))
    assert not budget.allows()


def test_containers_share_the_ledger_through_the_database(tmp_path: Path) -> None:
    from llm_advisor.bootstrap import Container

    env = {"ADVISOR_DB_URL": f"sqlite:///{tmp_path / 'records.sqlite3'}"}
    first = Container(env)
    assert isinstance(first.ledger, SqlLedger)
    first.ledger.record(CALLS[2])
    second = Container(env)  # a new Lambda container, same database
    assert second.ledger.spent_usd(DST_DAY) == Decimal("0.0042")
    assert second.ledger.lookup("b" * 64) == CALLS[2]
    first.repository.close()
    second.repository.close()
