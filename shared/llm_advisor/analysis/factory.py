"""Composition of analysts and validators by provider name or fallback chain.

The CLI, the Lambda handlers and the replay runner build advisors only through these
functions, so the guards (budget, breaker, rate limit, retries, timeouts) are wired the same
way everywhere. The provider names and what each needs are in ``providers.py``; chains in
``chain.py``. Pass the same clients (``make_llm`` for one provider, ``make_llms`` for a
chain) to both the analyst and the validator when they should share a budget and breakers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, Protocol

from llm_advisor.analysis.analyzer import MarketAnalyzer
from llm_advisor.analysis.chain import ChainAnalyst, ChainValidator
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
from llm_advisor.analysis.providers import (
    LLM_PROVIDERS,
    PROVIDER_NAMES,
    PROVIDERS,
    parse_chain,
)
from llm_advisor.analysis.providers import model_id_for as _model_id
from llm_advisor.analysis.providers import replay_models as _replay_models
from llm_advisor.analysis.rules import NeutralAnalyst, RulesAnalyst
from llm_advisor.analysis.transports import LLMTransport
from llm_advisor.analysis.validator import AlwaysApprove, RulesValidator, TradeValidator
from llm_advisor.core.clock import Clock
from llm_advisor.core.config import AppSettings, StrategyConfig, load_environment
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
    "make_llms",
    "make_validator",
    "model_id_for",
    "session_contamination",
]

ANALYST_NAMES = PROVIDER_NAMES
LLM_NAMES = frozenset((*LLM_PROVIDERS, "replay"))


class AnalystWithResult(AnalystPort, Protocol):
    def analyze_with_result(
        self, view: MarketView
    ) -> tuple[Advice, AnalysisResult, LLMCallRecord | None]: ...


def _chain(name: str, role: str = "analyst") -> tuple[str, ...]:
    try:
        return parse_chain(name)
    except ValueError as exc:
        raise ConfigError(f"{role}={name!r}: {exc}") from None


def model_id_for(name: str, settings: AppSettings) -> str:
    """The model id a provider (or a chain's first model) stands for: what contamination is
    judged by and what the ``market_analysis`` row names."""
    chain = _chain(name)
    first = next((n for n in chain if n in LLM_NAMES), chain[0])
    return _model_id(first, settings)


def session_contamination(name: str, settings: AppSettings, sessions: list[date]) -> dict[str, Any]:
    """What a report says about look-ahead through the models' training data (a chain: any
    of its models may answer, so a session is flagged when any of them knew it)."""
    models = list(dict.fromkeys(_model_id(n, settings) for n in _chain(name) if n in LLM_NAMES))
    cutoffs = [c for c in (knowledge_cutoff(m) for m in models) if c is not None]
    flagged = sorted({d for m in models for d in contaminated_sessions(sessions, m)})
    return {
        "analyst": name,
        "model": ",".join(models) or name,
        "knowledge_cutoff": max(cutoffs).isoformat()[:7] if cutoffs else None,
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
    budget: DailyBudget | None = None,
    env: Mapping[str, str] | None = None,
) -> StructuredLLM:
    """A guarded structured-LLM client for one provider of the registry (or ``replay``).

    Its breaker and rate limiter are its own; pass ``budget`` to share one daily dollar
    limit between providers (``make_llms`` does). ``env`` is where API keys are read
    (default: ``load_environment()``, ``.env`` included outside AWS)."""
    options = GatewayOptions(timeout_s=timeout_s, retry=retry or RetryPolicy())
    if name == "replay":
        return StructuredLLM(
            None,
            ledger,
            clock,
            mode="replay",
            replay_models=_replay_models(settings),
            strict_replay=strict_replay,
            options=options,
            sleep=sleep,
        )
    spec = PROVIDERS.get(name)
    if spec is None or spec.build is None:
        raise ConfigError(f"analyst={name!r} is not an LLM provider; known: {sorted(LLM_NAMES)}")
    transport: LLMTransport = spec.build(
        settings, endpoint_url, load_environment() if env is None else env
    )
    if budget is None:
        spend: SpendQuery | None = ledger if hasattr(ledger, "spent_usd") else None  # type: ignore[assignment]
        budget = DailyBudget(clock, settings.llm_daily_budget_usd, spend)
    return StructuredLLM(
        transport,
        ledger,
        clock,
        prices=prices,
        budget=budget,
        limiter=RateLimiter(clock, rate_per_minute=rate_per_minute),
        breaker=CircuitBreaker(clock, breaker_threshold, breaker_cooldown),
        options=options,
        sleep=sleep,
    )


def make_llms(
    chain: str | tuple[str, ...],
    settings: AppSettings,
    ledger: LedgerPort,
    clock: Clock,
    **llm_options: Any,
) -> dict[str, StructuredLLM]:
    """One guarded client per LLM member of a chain, all sharing one daily budget (pass the
    result to both ``make_analyst`` and ``make_validator`` to share it with the validator)."""
    names = _chain(chain) if isinstance(chain, str) else chain
    shared = llm_options.pop("budget", None)
    if shared is None:
        spend: SpendQuery | None = ledger if hasattr(ledger, "spent_usd") else None  # type: ignore[assignment]
        shared = DailyBudget(clock, settings.llm_daily_budget_usd, spend)
    return {
        n: make_llm(n, settings, ledger, clock, budget=shared, **llm_options)
        for n in names
        if n in LLM_NAMES
    }


def _llms_for(
    names: tuple[str, ...],
    settings: AppSettings,
    ledger: LedgerPort,
    clock: Clock,
    llm: StructuredLLM | Mapping[str, StructuredLLM] | None,
    llm_options: dict[str, Any],
) -> dict[str, StructuredLLM]:
    if isinstance(llm, StructuredLLM):
        members = [n for n in names if n in LLM_NAMES]
        if len(members) != 1:
            raise ValueError("llm= serves one provider; pass a mapping (make_llms) for a chain")
        return {members[0]: llm}
    have = dict(llm or {})
    missing = tuple(n for n in names if n in LLM_NAMES and n not in have)
    if missing:
        have.update(make_llms(missing, settings, ledger, clock, **llm_options))
    return have


def make_analyst(
    name: str,
    settings: AppSettings,
    config: StrategyConfig,
    ledger: LedgerPort,
    clock: Clock,
    *,
    endpoint_url: str | None = None,
    llm: StructuredLLM | Mapping[str, StructuredLLM] | None = None,
    **llm_options: Any,
) -> AnalystWithResult:
    """One provider of the registry, or a fallback chain (``"bedrock,anthropic,rules"``).

    No credential check here (tests point providers at stand-ins): entry points call
    ``providers.resolve_chain`` first and build what it leaves."""
    names = _chain(name)
    llms = _llms_for(
        names, settings, ledger, clock, llm, dict(llm_options, endpoint_url=endpoint_url)
    )
    plausible = (settings.llm_plausible_min, settings.llm_plausible_max)

    def one(n: str) -> AnalystWithResult:
        if n == "rules":
            return RulesAnalyst(config)
        if n == "neutral":
            return NeutralAnalyst(config)
        return MarketAnalyzer(llms[n], config, plausible=plausible)

    if len(names) == 1:
        return one(names[0])
    return ChainAnalyst([(n, one(n)) for n in names], config)


def make_validator(
    name: str,
    settings: AppSettings,
    config: StrategyConfig,
    ledger: LedgerPort,
    clock: Clock,
    *,
    endpoint_url: str | None = None,
    llm: StructuredLLM | Mapping[str, StructuredLLM] | None = None,
    **llm_options: Any,
) -> TradeValidatorPort | None:
    """The validator for a provider or chain; None when ``config.validation_enabled`` is
    false. Alone, ``neutral`` approves everything; at the end of a chain it means
    "undecided" (the engine's ``validation_failure_policy`` decides)."""
    if not config.validation_enabled:
        return None
    names = _chain(name, "validator")
    llms = _llms_for(
        names, settings, ledger, clock, llm, dict(llm_options, endpoint_url=endpoint_url)
    )

    def one(n: str) -> TradeValidatorPort:
        if n == "rules":
            return RulesValidator()
        if n == "neutral":
            return AlwaysApprove()
        return TradeValidator(llms[n])

    if len(names) == 1:
        return one(names[0])
    return ChainValidator([(n, one(n)) for n in names])
