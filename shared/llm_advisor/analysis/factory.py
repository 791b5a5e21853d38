"""Composition of analysts and validators by name (``--analyst rules|bedrock|...``).

The CLI, the Lambda handlers and the replay runner build advisors only through these
functions, so the guards (budget, breaker, rate limit, retries, timeouts) are wired the same
way everywhere. Pass one ``StructuredLLM`` (``make_llm``) to both the analyst and the
validator when they should share a budget and a breaker.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal, Protocol

from llm_advisor.analysis.analyzer import MarketAnalyzer
from llm_advisor.analysis.gateway import GatewayOptions, StructuredLLM
from llm_advisor.analysis.guards import (
    CircuitBreaker,
    DailyBudget,
    RateLimiter,
    RetryPolicy,
    Sleep,
    SpendQuery,
    real_sleep,
)
from llm_advisor.analysis.ledger import LedgerPort, LLMCallRecord
from llm_advisor.analysis.pricing import (
    PriceTable,
    contaminated_sessions,
    knowledge_cutoff,
)
from llm_advisor.analysis.rules import NeutralAnalyst, RulesAnalyst
from llm_advisor.analysis.transports import (
    AnthropicMessagesTransport,
    BedrockConverseTransport,
    LLMTransport,
    anthropic_api_factory,
    anthropic_bedrock_factory,
)
from llm_advisor.analysis.validator import AlwaysApprove, RulesValidator, TradeValidator
from llm_advisor.core.clock import Clock
from llm_advisor.core.config import AppSettings, StrategyConfig
from llm_advisor.core.errors import ConfigError
from llm_advisor.core.models import Advice, AnalysisResult, MarketView
from llm_advisor.core.ports import AnalystPort, TradeValidatorPort

__all__ = [
    "ANALYST_NAMES",
    "AnalystWithResult",
    "contaminated_sessions",
    "knowledge_cutoff",
    "make_analyst",
    "make_llm",
    "make_validator",
    "model_id_for",
    "session_contamination",
]

ANALYST_NAMES = ("rules", "bedrock", "bedrock-converse", "anthropic", "replay", "neutral")
LLM_NAMES = frozenset({"bedrock", "bedrock-converse", "anthropic", "replay"})


class AnalystWithResult(AnalystPort, Protocol):
    def analyze_with_result(
        self, view: MarketView
    ) -> tuple[Advice, AnalysisResult, LLMCallRecord | None]: ...


def model_id_for(name: str, settings: AppSettings) -> str:
    """The model id an analyst name stands for (what contamination is judged by)."""
    if name in ("bedrock", "bedrock-converse", "replay"):
        return settings.bedrock_model_id
    if name == "anthropic":
        return settings.anthropic_model
    return name


def session_contamination(name: str, settings: AppSettings, sessions: list[date]) -> dict[str, Any]:
    """What a report says about look-ahead through the model's training data."""
    model = model_id_for(name, settings)
    cutoff = knowledge_cutoff(model) if name in LLM_NAMES else None
    flagged = contaminated_sessions(sessions, model) if name in LLM_NAMES else []
    return {
        "analyst": name,
        "model": model,
        "knowledge_cutoff": cutoff.isoformat()[:7] if cutoff else None,
        "contaminated_sessions": [d.isoformat() for d in flagged],
    }


def make_llm(
    name: str,
    settings: AppSettings,
    ledger: LedgerPort,
    clock: Clock,
    *,
    endpoint_url: str | None = None,
    sleep: Sleep = real_sleep,
    strict_replay: bool = True,
    timeout_s: float = 20.0,
    retry: RetryPolicy | None = None,
    prices: PriceTable | None = None,
    rate_per_minute: float = 30.0,
    breaker_threshold: int = 3,
    breaker_cooldown: timedelta = timedelta(minutes=5),
) -> StructuredLLM:
    """A guarded structured-LLM client for ``bedrock``, ``bedrock-converse``,
    ``anthropic`` or ``replay``."""
    options = GatewayOptions(timeout_s=timeout_s, retry=retry or RetryPolicy())
    if name == "replay":
        return StructuredLLM(
            None,
            ledger,
            clock,
            mode="replay",
            replay_models=(settings.bedrock_model_id, settings.anthropic_model),
            strict_replay=strict_replay,
            options=options,
            sleep=sleep,
        )
    transport: LLMTransport
    if name == "bedrock":
        transport = AnthropicMessagesTransport(
            "bedrock",
            settings.bedrock_model_id,
            anthropic_bedrock_factory(settings.aws_region, endpoint_url),
        )
    elif name == "bedrock-converse":
        transport = BedrockConverseTransport(
            settings.bedrock_model_id, settings.aws_region, endpoint_url
        )
    elif name == "anthropic":
        transport = AnthropicMessagesTransport(
            "anthropic", settings.anthropic_model, anthropic_api_factory(endpoint_url)
        )
    else:
        raise ConfigError(f"analyst={name!r} is not an LLM provider; known: {sorted(LLM_NAMES)}")
    spend: SpendQuery | None = ledger if hasattr(ledger, "spent_usd") else None  # type: ignore[assignment]
    return StructuredLLM(
        transport,
        ledger,
        clock,
        prices=prices,
        budget=DailyBudget(clock, settings.llm_daily_budget_usd, spend),
        limiter=RateLimiter(clock, rate_per_minute=rate_per_minute),
        breaker=CircuitBreaker(clock, breaker_threshold, breaker_cooldown),
        options=options,
        sleep=sleep,
    )


def make_analyst(
    name: str,
    settings: AppSettings,
    config: StrategyConfig,
    ledger: LedgerPort,
    clock: Clock,
    *,
    endpoint_url: str | None = None,
    llm: StructuredLLM | None = None,
    **llm_options: Any,
) -> AnalystWithResult:
    """``rules`` | ``neutral`` | ``bedrock`` | ``bedrock-converse`` | ``anthropic`` | ``replay``."""
    if name == "rules":
        return RulesAnalyst(config)
    if name == "neutral":
        return NeutralAnalyst(config)
    if name not in LLM_NAMES:
        raise ConfigError(f"analyst={name!r} is unknown; choose one of {', '.join(ANALYST_NAMES)}")
    if llm is None:
        llm = make_llm(name, settings, ledger, clock, endpoint_url=endpoint_url, **llm_options)
    return MarketAnalyzer(llm, config)


def make_validator(
    name: str,
    settings: AppSettings,
    config: StrategyConfig,
    ledger: LedgerPort,
    clock: Clock,
    *,
    endpoint_url: str | None = None,
    llm: StructuredLLM | None = None,
    **llm_options: Any,
) -> TradeValidatorPort | None:
    """The validator for ``name``; None when ``config.validation_enabled`` is false."""
    if not config.validation_enabled:
        return None
    if name == "rules":
        return RulesValidator()
    if name == "neutral":
        return AlwaysApprove()
    if name not in LLM_NAMES:
        raise ConfigError(
            f"validator={name!r} is unknown; choose one of {', '.join(ANALYST_NAMES)}"
        )
    if llm is None:
        llm = make_llm(name, settings, ledger, clock, endpoint_url=endpoint_url, **llm_options)
    return TradeValidator(llm)


Provider = Literal["rules", "bedrock", "bedrock-converse", "anthropic", "replay", "neutral"]
