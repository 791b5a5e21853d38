"""The dated price table: per (provider, model) rows, caching prices, the gateway's charge,
and the caching simulation of ``cost_model``."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from llm_advisor.analysis.cost_model import CallTokens, Scenario, price_calls
from llm_advisor.analysis.gateway import StructuredLLM
from llm_advisor.analysis.ledger import InMemoryLedger, LLMCallRecord
from llm_advisor.analysis.price_table import AS_OF, ROWS, PriceRow
from llm_advisor.analysis.pricing import (
    PROVIDER_PRICES,
    Price,
    PriceTable,
    knowledge_cutoff,
    price_provider,
)
from llm_advisor.analysis.schemas import AnalysisAnswer, tool_schema
from llm_advisor.analysis.transports import LLMReply, LLMRequest
from llm_advisor.core.clock import ManualClock

from .conftest import GOOD, T0

HAIKU_US = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
M = 1_000_000


def test_every_row_parses_is_dated_sourced_and_cache_reads_are_cheaper() -> None:
    assert isinstance(AS_OF, date) and AS_OF.year >= 2025
    assert len({(r.provider, r.family) for r in ROWS}) == len(ROWS)  # one row per key
    for r in ROWS:
        p = Price.of_row(r)
        assert r.status in ("verified", "derived", "unverified") and r.source
        assert p.input_per_mtok > 0 and p.output_per_mtok > p.input_per_mtok
        assert p.cache_read_per_mtok is not None and p.cache_read_per_mtok < p.input_per_mtok
        assert p.min_cache_tokens >= 1024
        if p.cache_write_5m_per_mtok is not None:  # Anthropic-style: writes cost extra
            assert p.cache_write_1h_per_mtok is not None
            assert p.input_per_mtok < p.cache_write_5m_per_mtok < p.cache_write_1h_per_mtok
    wanted = {
        (prov, fam)
        for prov in ("anthropic", "bedrock", "bedrock-global")
        for fam in ("claude-haiku-4-5", "claude-sonnet-4-5")
    } | {("openai", "gpt-4o-mini")}
    assert wanted <= PROVIDER_PRICES.keys()


def test_bedrock_and_api_are_distinct_rows_and_the_provider_picks_one() -> None:
    api = PROVIDER_PRICES[("anthropic", "claude-haiku-4-5")]
    regional = PROVIDER_PRICES[("bedrock", "claude-haiku-4-5")]
    assert (api.input_per_mtok, api.output_per_mtok) == (1, 5)
    assert (regional.input_per_mtok, regional.output_per_mtok) == (Decimal("1.1"), Decimal("5.5"))
    t = PriceTable()
    assert t.cost(HAIKU_US, M, 0, provider="bedrock") == Decimal("1.1")  # geo profile
    assert t.cost(HAIKU_US, M, 0, provider="bedrock-converse") == Decimal("1.1")
    assert t.cost("global.anthropic.claude-haiku-4-5-20251001-v1:0", M, 0, "bedrock") == 1
    assert t.cost(HAIKU_US, M, 0) == 1  # no provider: the vendor's API price, as before
    assert t.cost("claude-haiku-4-5", M, 0, provider="anthropic") == 1
    assert t.cost("claude-sonnet-4-5-20250929", 0, M) == 15
    assert t.cost("gpt-4o-mini", M, M, provider="openai") == Decimal("0.75")
    assert price_provider(None, "gpt-4o-mini-2024-07-18") == "openai"
    assert knowledge_cutoff("gpt-4o-mini") == date(2023, 10, 1)


def test_unknown_models_cost_the_dearest_known_price() -> None:
    t = PriceTable()
    dearest = max(PROVIDER_PRICES.values(), key=lambda p: (p.output_per_mtok, p.input_per_mtok))
    assert dearest == PROVIDER_PRICES[("bedrock", "claude-sonnet-4-5")]
    for model, provider in (("mystery", "anthropic"), ("mystery", "openai"), ("us.x", "bedrock")):
        assert t.price(model, provider) == dearest
    assert t.cost("mystery", M, 0) == 3  # no provider: the dearest API price, as before
    # a known model on a cloud without a row: its dearest row, never the cheapest
    assert t.cost("claude-haiku-4-5@20251001", M, 0, provider="vertex") == Decimal("1.1")


def test_a_custom_table_stays_provider_free() -> None:
    t = PriceTable({"m": Price(Decimal(2), Decimal(4))})
    assert t.cost("m", M, 0, provider="bedrock") == 2 == t.cost("m", M, 0)
    assert t.cost("other", 0, M) == 4


class _Transport:
    def __init__(self, provider: str, model: str) -> None:
        self.provider, self.model = provider, model

    def send(self, request: LLMRequest, timeout_s: float) -> LLMReply:
        return LLMReply(dict(GOOD), "", "tool_use", tokens_in=M, tokens_out=M // 10)


CHARGES = [
    ("bedrock", HAIKU_US, "1.65"),  # 1.10 + 0.1 x 5.50
    ("bedrock-converse", HAIKU_US, "1.65"),
    ("bedrock", "global.anthropic.claude-haiku-4-5-20251001-v1:0", "1.5"),
    ("anthropic", "claude-haiku-4-5", "1.5"),
    ("anthropic", "claude-sonnet-4-5", "4.5"),
]


def _gateway_row(provider: str, model: str) -> tuple[LLMCallRecord, InMemoryLedger]:
    ledger = InMemoryLedger()
    llm = StructuredLLM(_Transport(provider, model), ledger, ManualClock(T0))
    req = LLMRequest("s", "u", "market_analysis", "d", tool_schema(AnalysisAnswer))
    assert llm.ask(req, AnalysisAnswer, T0).answer is not None
    return ledger.records()[0], ledger


@pytest.mark.parametrize(("provider", "model", "usd"), CHARGES)
def test_a_gateway_row_prices_at_its_providers_price(provider: str, model: str, usd: str) -> None:
    row, _ = _gateway_row(provider, model)
    assert row.provider == provider
    assert PriceTable().cost(row.model, row.tokens_in, row.tokens_out, row.provider) == Decimal(usd)


@pytest.mark.parametrize(("provider", "model", "usd"), CHARGES[:2])  # Bedrock regional
def test_the_gateway_charges_the_providers_price(provider: str, model: str, usd: str) -> None:
    row, ledger = _gateway_row(provider, model)
    assert row.cost_usd == Decimal(usd)
    assert ledger.spent_usd(T0.date()) == Decimal(usd)


ROW = PriceRow("anthropic", "fam", "1", "5", "0.1", "1.25", "2", 1000, "verified", "test")
OPEN = PriceRow("openai", "fam", "1", "5", "0.5", None, None, 1024, "unverified", "test")


def _calls(prefix: int, every_min: int, n: int = 6) -> list[CallTokens]:
    return [
        CallTokens(
            "market_analysis", T0 + timedelta(minutes=every_min * i), T0.date(), "k", prefix,
            prefix + 500, 100,
        )
        for i in range(n)
    ]  # fmt: skip


def _usd(calls: list[CallTokens], row: PriceRow, caching: str, ttl_min: int | None) -> Decimal:
    ttl = timedelta(minutes=ttl_min) if ttl_min else None
    return price_calls(calls, Scenario(row, caching, ttl)).usd


def test_caching_pays_only_above_the_minimum_and_within_the_ttl() -> None:
    every15 = _calls(2000, 15)
    none = _usd(every15, ROW, "none", None)
    assert none == Decimal(6 * 2500 + 6 * 100 * 5) / M
    # 1 h TTL: one write (2x), then five reads (0.1x) of the 2,000-token prefix
    assert (
        _usd(every15, ROW, "1h", 60)
        == (Decimal(6 * 500 + 2000 * 2) + Decimal("0.1") * 2000 * 5 + 6 * 100 * 5) / M
    )
    assert _usd(every15, ROW, "1h", 60) < none
    # 5 min TTL and a call every 15 min: every call writes again, dearer than no caching
    assert _usd(every15, ROW, "5m", 5) > none
    assert _usd(_calls(2000, 4), ROW, "5m", 5) < none  # the TTL restarts on every hit
    below = _calls(900, 1)  # under the 1,000-token minimum: nothing is cached
    assert _usd(below, ROW, "1h", 60) == _usd(below, ROW, "none", None)
    # OpenAI: no write premium, hits cached in 128-token steps (2,000 -> 1,920)
    d = price_calls(_calls(2000, 1, 2), Scenario(OPEN, "auto", timedelta(minutes=5)))
    assert (d.cache_write_tokens, d.cache_read_tokens) == (1920, 1920)
    assert d.usd == (Decimal(2 * 2500 - 1920) + Decimal("0.5") * 1920 + 2 * 100 * 5) / M
