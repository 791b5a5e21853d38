"""Fixtures of the analysis tests: a manual clock, views, and the LLM stand-in server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from llm_advisor.analysis.gateway import GatewayOptions, StructuredLLM
from llm_advisor.analysis.guards import RetryPolicy
from llm_advisor.analysis.ledger import InMemoryLedger
from llm_advisor.core.clock import ManualClock
from llm_advisor.core.config import AppSettings, StrategyConfig
from llm_advisor.core.models import MarketView, State, SymbolView

try:  # tests/ is a rootdir-relative package in some layouts and a sys.path entry in others
    from tests.standins.llm_server import LLMStandIn, Reply
except ImportError:  # pragma: no cover - depends on how pytest inserted paths
    from standins.llm_server import LLMStandIn, Reply  # type: ignore[no-redef]

__all__ = ["LLMStandIn", "Reply"]

T0 = datetime(2026, 3, 2, 15, 15, tzinfo=UTC)  # 10:15 New York

GOOD = {
    "market_assessment": "bullish",
    "opportunities": ["NVDA", "ZZZZ"],
    "confidence": 72,
    "threshold_multipliers": {"mr_arm": 1.2, "mr_trigger": 1.0, "tc_arm": 0.8, "tc_trigger": 1.0},
    "per_symbol": {"TSLA": {"mr_arm": 1.4}, "NOPE": {"tc_arm": 0.6}},
    "reasoning": "Broad strength; favour continuation.",
}


def sym(symbol: str, **kw: Any) -> SymbolView:
    base: dict[str, Any] = {
        "symbol": symbol,
        "last_close": 100.0,
        "z": 0.5,
        "mu": 99.8,
        "sigma": 0.4,
        "atr_5m": 0.35,
        "state": State.IDLE,
        "htf_bias": "neutral",
        "atr_percentile": 50.0,
        "daily_bias": None,
        "daily_bias_confidence": None,
        "interval_return_pct": 0.1,
        "interval_high": 100.3,
        "interval_low": 99.7,
        "trades_today": 0,
    }
    base.update(kw)
    return SymbolView(**base)


def five_symbol_view(as_of: datetime = T0, news: str = "") -> MarketView:
    return MarketView(
        as_of=as_of,
        session_date="2026-03-02",
        symbols=[
            sym(
                "SPY",
                last_close=598.12,
                z=1.31,
                htf_bias="bullish",
                atr_percentile=62.0,
                daily_bias="bullish",
                daily_bias_confidence=71.0,
                interval_return_pct=0.21,
                interval_high=598.5,
                interval_low=596.4,
                state=State.MR_ARMED,
            ),
            sym(
                "QQQ",
                last_close=512.4,
                z=0.88,
                htf_bias="bullish",
                atr_percentile=58.0,
                daily_bias="bullish",
                daily_bias_confidence=64.0,
                interval_return_pct=0.3,
                interval_high=512.9,
                interval_low=510.7,
            ),
            sym(
                "IWM",
                last_close=221.05,
                z=-0.42,
                htf_bias="bearish",
                atr_percentile=71.0,
                daily_bias="choppy",
                daily_bias_confidence=55.0,
                interval_return_pct=-0.12,
                interval_high=221.6,
                interval_low=220.8,
            ),
            sym(
                "NVDA",
                last_close=131.77,
                z=2.05,
                htf_bias="bullish",
                atr_percentile=88.0,
                daily_bias="bearish",
                daily_bias_confidence=60.0,
                interval_return_pct=0.95,
                interval_high=131.9,
                interval_low=130.2,
                state=State.TC_ARMED,
                trades_today=1,
            ),
            sym(
                "TSLA",
                last_close=402.3,
                z=None,
                htf_bias="neutral",
                atr_percentile=93.0,
                interval_return_pct=None,
                interval_high=None,
                interval_low=None,
            ),
        ],
        news_summary=news,
        vix=17.4,
        open_positions=1,
        realized_pnl_today=Decimal("-125.5"),
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def sleeps(clock: ManualClock) -> tuple[list[float], Callable[[float], None]]:
    """A sleep that records its argument and advances the manual clock instead of waiting."""
    calls: list[float] = []

    def sleep(s: float) -> None:
        calls.append(s)
        clock.advance(timedelta(seconds=s))

    return calls, sleep


@pytest.fixture
def standin() -> Iterator[LLMStandIn]:
    s = LLMStandIn().start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def config() -> StrategyConfig:
    return StrategyConfig()


@pytest.fixture
def settings() -> AppSettings:
    return AppSettings(llm_daily_budget_usd=1.0)


@pytest.fixture
def ledger() -> InMemoryLedger:
    return InMemoryLedger()


def options(timeout_s: float = 5.0, retries: int = 2) -> GatewayOptions:
    return GatewayOptions(timeout_s=timeout_s, retry=RetryPolicy(max_retries=retries))


def gateway_kinds() -> list[str]:
    return ["bedrock", "anthropic", "bedrock-converse"]


LLM = StructuredLLM
