"""A trade-validation verdict row stands alone: verdict, confidence, reasoning, model, prompt
hash, latency and exact cost, on both engines; a rerun of the tick rewrites the same row."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from llm_advisor.core.errors import DataError
from llm_advisor.live.validation import ValidationRecord
from llm_advisor.storage.repository import Repository

SIGNAL = datetime(2026, 3, 2, 15, 1, tzinfo=UTC)


def _record(**kw: object) -> ValidationRecord:
    base: dict[str, object] = {
        "client_order_id": "stdev-20260302-NVDA-MR-long-2026-03-02T15:01:00Z",
        "symbol": "NVDA",
        "signal_time": SIGNAL,
        "verdict": "reject",
        "decided_at": SIGNAL.replace(minute=2),
        "provider": "bedrock",
        "model": "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        "request_hash": "ab" * 32,
        "reasoning": "against a confirmed downtrend",
        "confidence": 72.5,
        "cost_usd": Decimal("0.000865"),
        "latency_ms": 812,
    }
    base.update(kw)
    return ValidationRecord(**base)  # type: ignore[arg-type]


def test_a_verdict_row_keeps_confidence_latency_and_exact_cost(repo: Repository) -> None:
    assert repo.save_validations([_record()]) == 1
    (row,) = repo.get_validations()
    assert row["verdict"] == "reject" and row["confidence"] == 72.5
    assert row["latency_ms"] == 812 and row["cost_usd"] == Decimal("0.000865")
    assert row["request_hash"] == "ab" * 32 and row["model"].endswith("v1:0")


def test_a_rerun_rewrites_the_same_row(repo: Repository) -> None:
    repo.save_validations([_record()])
    repo.save_validations([_record(verdict="approve", confidence=None, cost_usd=Decimal(0))])
    (row,) = repo.get_validations()
    assert row["verdict"] == "approve" and row["confidence"] is None
    assert row["cost_usd"] == Decimal(0)


def test_a_negative_cost_is_refused_naming_the_column(repo: Repository) -> None:
    with pytest.raises(DataError, match="cost_usd"):
        repo.save_validations([_record(cost_usd=Decimal("-1"))])
