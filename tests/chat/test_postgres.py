"""The chat over PostgreSQL answers the examples exactly as over SQLite."""

from __future__ import annotations

import os
from datetime import date

import pytest

from llm_advisor.chat.numbers import money
from llm_advisor.chat.service import ChatService
from llm_advisor.core.clock import ManualClock
from tests.api.dbs import seeded_postgres
from tests.chat.conftest import NOW

PG = os.environ.get("LLM_ADVISOR_PG_URL")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG, reason="LLM_ADVISOR_PG_URL not set (run `make pg-start`)"),
]


def test_examples_on_postgres() -> None:
    from llm_advisor.storage import open_repository

    assert PG is not None
    with seeded_postgres(PG) as (url, exp):
        repo = open_repository(url)
        try:
            chat = ChatService(repo, ManualClock(NOW))
            pnl = chat.ask("What is the P/L of the paper trading account over the last 5 days?")
            assert money(exp.total_pnl, signed=True) in pnl.answer
            week = chat.ask("Show me all trades executed in the last week")
            assert len([c for c in week.citations if c.kind == "trade"]) == len(exp.trades)
            bias = chat.ask("bias for SPY on March 8")
            assert "SPY bullish" in bias.answer and bias.citations[0].date == date(2024, 3, 8)
            why = chat.ask("why did we trade NVDA this week?")
            assert [c.kind for c in why.citations][:2] == ["trade", "signal"]
        finally:
            repo.close()
