"""The optional LLM premarket paragraph: through the guarded, ledgered gateway, into the
context and ``daily_bias``; the headline digest whenever the LLM is off, idle or failing."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from llm_advisor.analysis.gateway import StructuredLLM
from llm_advisor.analysis.ledger import InMemoryLedger
from llm_advisor.analysis.transports import LLMReply, LLMRequest
from llm_advisor.core.clock import ManualClock
from llm_advisor.premarket.narrative import LLMContextWriter
from llm_advisor.premarket.news.models import NewsItem
from llm_advisor.premarket.pipeline import build_premarket_context
from llm_advisor.premarket.volatility import Volatility
from llm_advisor.premarket.writers import save_context
from llm_advisor.storage.repository import open_repository

DAY = date(2026, 3, 16)
NOW = datetime(2026, 3, 16, 12, 45, tzinfo=UTC)


class ScriptedTransport:
    """An LLM transport answering each request with a paragraph naming who it was for."""

    provider = "anthropic"
    model = "claude-haiku-4-5"

    def __init__(self, fail: bool = False) -> None:
        self.requests: list[LLMRequest] = []
        self.fail = fail

    def send(self, request: LLMRequest, timeout_s: float) -> LLMReply:
        self.requests.append(request)
        if self.fail:
            return LLMReply(None, "I cannot help with that.", "refusal", 10, 5)
        who = request.user.split("Premarket context for ", 1)[1].split(".", 1)[0]
        return LLMReply({"paragraph": f"Paragraph for {who}."}, "", "tool_use", 120, 30)


def _news() -> list[NewsItem]:
    at = datetime(2026, 3, 15, 18, 0, tzinfo=UTC)
    return [
        NewsItem(published_utc=at, headline="Nvidia unveils Rubin Ultra", symbols=("NVDA",)),
        NewsItem(published_utc=at, headline="Stock futures rise before Fed", symbols=("SPY",)),
    ]


def _writer(transport: ScriptedTransport, **kw: Any) -> tuple[LLMContextWriter, InMemoryLedger]:
    ledger = InMemoryLedger()
    clock = ManualClock(NOW)
    llm = StructuredLLM(transport, ledger, clock, sleep=lambda s: None)
    return LLMContextWriter(llm, clock, "anthropic", **kw), ledger


def test_llm_paragraphs_reach_the_context_the_ledger_and_daily_bias(
    real_bars, real_daily, model, tmp_path: Path
):
    transport = ScriptedTransport()
    writer, ledger = _writer(transport)
    vol = Volatility(((date(2026, 3, 13), 27.19),), "cboe", True)
    ctx = build_premarket_context(
        DAY, ["NVDA", "QQQ"], real_bars, real_daily, _news(), model, writer=writer, volatility=vol
    )
    nvda, qqq, m = ctx.symbols["NVDA"], ctx.symbols["QQQ"], ctx.market_context
    assert (nvda.news_summary, nvda.summary_source) == ("Paragraph for NVDA.", "llm:anthropic")
    assert (m.news_summary, m.summary_source) == (
        "Paragraph for the overall US market.",
        "llm:anthropic",
    )
    # QQQ had no headline: no call, the digest says so
    assert qqq.summary_source == "rules" and qqq.news_summary == "No news before the run time."
    assert len(transport.requests) == 2 == len(ledger.records())
    market_prompt = transport.requests[1].user
    assert "VIX 27.2 (source cboe)" in market_prompt and "<untrusted" in market_prompt
    assert "daily bias model:" in transport.requests[0].user
    repo = open_repository(f"sqlite:///{tmp_path / 'db.sqlite3'}", migrate_schema=True)
    save_context(repo, ctx)
    with sqlite3.connect(tmp_path / "db.sqlite3") as con:
        summary, features = con.execute(
            "SELECT news_summary, features FROM daily_bias WHERE symbol = 'NVDA'"
        ).fetchone()
    assert summary == "Paragraph for NVDA."
    assert json.loads(features)["summary_source"] == "llm:anthropic"


def test_a_failing_llm_falls_back_to_the_headline_digest(real_bars, real_daily, model):
    writer, _ledger = _writer(ScriptedTransport(fail=True))
    ctx = build_premarket_context(
        DAY, ["NVDA"], real_bars, real_daily, _news(), model, writer=writer
    )
    nvda = ctx.symbols["NVDA"]
    assert nvda.summary_source == "rules" and "Nvidia unveils Rubin Ultra" in nvda.news_summary


def test_calls_per_run_are_capped(real_bars, real_daily, model):
    transport = ScriptedTransport()
    writer, _ledger = _writer(transport, max_calls=1)
    ctx = build_premarket_context(
        DAY, ["NVDA"], real_bars, real_daily, _news(), model, writer=writer
    )
    assert len(transport.requests) == 1
    assert ctx.symbols["NVDA"].summary_source == "llm:anthropic"
    assert ctx.market_context.summary_source == "rules"
