"""Ledger records and hashing; retry, rate limiter, circuit breaker and budget on a manual
clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llm_advisor.analysis.guards import CircuitBreaker, DailyBudget, RateLimiter, RetryPolicy
from llm_advisor.analysis.ledger import (
    InMemoryLedger,
    JsonlLedger,
    LedgerPort,
    LLMCallRecord,
    request_hash,
)
from llm_advisor.analysis.pricing import PriceTable, contaminated_sessions, knowledge_cutoff
from llm_advisor.core.clock import ManualClock
from llm_advisor.core.errors import DataError

from .conftest import T0


def rec(h: str = "a" * 64, cost: str = "0.01", at: datetime = T0, **kw: object) -> LLMCallRecord:
    data: dict[str, object] = {
        "request_hash": h,
        "provider": "bedrock",
        "model": "m",
        "request": {"prompt": "x"},
        "response": {"tool_input": {"a": 1}},
        "tokens_in": 10,
        "tokens_out": 2,
        "cost_usd": Decimal(cost),
        "latency_ms": 5,
        "decision_time": at,
        "created_at": at,
    }
    data.update(kw)
    return LLMCallRecord.model_validate(data)


def test_hash_is_canonical_and_sensitive_to_each_part() -> None:
    h = request_hash("m", {"system": "s", "user": "u"}, {"type": "object", "a": 1})
    assert h == request_hash("m", {"user": "u", "system": "s"}, {"a": 1, "type": "object"})
    assert len(h) == 64
    assert h != request_hash("m2", {"system": "s", "user": "u"}, {"type": "object", "a": 1})
    assert h != request_hash("m", {"system": "s", "user": "u!"}, {"type": "object", "a": 1})
    assert h != request_hash("m", {"system": "s", "user": "u"}, {"type": "object", "a": 2})


@given(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=6))
def test_hash_depends_on_content_not_key_order(d: dict[str, object]) -> None:
    assert request_hash("m", d, {}) == request_hash("m", dict(reversed(list(d.items()))), {})


def test_records_reject_naive_times() -> None:
    with pytest.raises(ValueError, match="naive"):
        rec(at=datetime(2026, 3, 2, 15, 0))


def test_jsonl_ledger_round_trips_and_reports_corruption(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    led = JsonlLedger(path)
    assert isinstance(led, LedgerPort)
    led.record(rec("a" * 64))
    led.record(rec("b" * 64, cost="0.02", error="HTTP 500", response=None))
    again = JsonlLedger(path)
    assert again.lookup("a" * 64) == rec("a" * 64)
    assert again.lookup("b" * 64) is not None and again.lookup("b" * 64).error == "HTTP 500"  # type: ignore[union-attr]
    assert again.lookup("c" * 64) is None
    assert again.spent_usd(T0.date()) == Decimal("0.03")
    path.write_text(path.read_text() + "{broken\n")
    with pytest.raises(DataError, match=r"calls\.jsonl:3"):
        JsonlLedger(path)


def test_spend_is_per_new_york_day() -> None:
    late = datetime(2026, 3, 3, 3, 0, tzinfo=UTC)  # 22:00 on March 2 in New York
    led = InMemoryLedger([rec(at=T0), rec(h="b" * 64, at=late)])
    assert led.spent_usd(T0.date()) == Decimal("0.02")


def test_price_table_and_cutoffs() -> None:
    prices = PriceTable()
    assert prices.cost("us.anthropic.claude-haiku-4-5-20251001-v1:0", 1_000_000, 0) == 1
    assert prices.cost("claude-sonnet-4-5", 0, 1_000_000) == 15
    assert prices.cost("some-unknown-model", 1_000_000, 0) == 3  # the dearest known price
    assert knowledge_cutoff("claude-haiku-4-5") is not None
    days = [datetime(2025, m, 3, tzinfo=UTC).date() for m in (1, 2, 3, 6)]
    assert contaminated_sessions(days, "us.anthropic.claude-haiku-4-5-20251001-v1:0") == days[:2]
    assert contaminated_sessions(days, "rules") == []
    assert contaminated_sessions(days, "mystery-model") == days


def test_retry_backoff_is_exponential_and_capped() -> None:
    p = RetryPolicy(max_retries=5, base_delay_s=0.5, max_delay_s=3.0)
    assert [p.delay(i) for i in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_rate_limiter_refills_with_the_clock() -> None:
    clock = ManualClock(T0)
    lim = RateLimiter(clock, rate_per_minute=6, burst=2)  # one token per 10 s
    assert lim.reserve() == 0 and lim.reserve() == 0
    assert lim.reserve() == pytest.approx(10.0)
    clock.advance(timedelta(seconds=30))
    assert lim.reserve() == 0


def test_circuit_breaker_opens_half_opens_and_closes() -> None:
    clock = ManualClock(T0)
    br = CircuitBreaker(clock, failure_threshold=2, cooldown=timedelta(minutes=5))
    br.failure()
    assert br.state == "closed"
    br.failure()
    assert br.state == "open" and not br.allow()
    clock.advance(timedelta(minutes=5))
    assert br.state == "half-open" and br.allow()
    br.failure()  # the trial failed: open again for a full cooldown
    assert br.state == "open"
    clock.advance(timedelta(minutes=5))
    br.success()
    assert br.state == "closed"


def test_budget_fails_closed_and_resets_on_a_new_day() -> None:
    clock = ManualClock(T0)
    led = InMemoryLedger([rec(cost="0.04")])
    b = DailyBudget(clock, Decimal("0.05"), led)
    assert b.spent == Decimal("0.04") and b.allows()
    b.charge(Decimal("0.01"))
    assert not b.allows()
    clock.advance(timedelta(days=1))
    assert b.allows() and b.spent == 0
    assert not DailyBudget(clock, 0).allows()
