"""Fallback chains: ask each provider in order until one gives a usable answer.

Each member is a complete analyst (or validator) with its own guards, so each failure is
recorded where it happened: its own ``llm_calls`` row(s) with provider, model and error,
its own circuit breaker (an open Bedrock breaker records a skipped row without any call and
the chain moves to the next provider at once) and its own rate limiter. The daily budget is
one dollar limit shared by every member (the factory passes the same ``DailyBudget``): a
chain must not multiply the day's spend by its length.

The advice says who answered and who was passed over: its ``source`` is the route, e.g.
``bedrock>anthropic`` (Bedrock failed, Anthropic answered), ``bedrock>rules`` or, when no
member answered, ``bedrock>anthropic:neutral:<each member's reason>``. A trailing
``neutral`` in the chain only makes that last case explicit. For the validator, a trailing
``neutral`` means "undecided": ``None``, so the engine applies its
``validation_failure_policy`` (a broken LLM should not silently approve).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from llm_advisor.analysis.gateway import ReplayMissError
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import Advice, AnalysisResult, MarketView, Signal
from llm_advisor.core.ports import TradeValidatorPort


class _Member(Protocol):
    def analyze_with_result(self, view: MarketView) -> tuple[Advice, AnalysisResult, Any]: ...

    def analyze(self, view: MarketView) -> Advice: ...


def failure_reason(advice: Advice) -> str | None:
    """Why a member's advice is its neutral fallback (``<provider>:neutral:<why>``), or None
    for a real answer."""
    head, sep, why = advice.source.partition(":neutral:")
    if not sep or ":" in head:
        return None
    return why or "no answer"


class ChainAnalyst:
    """``AnalystPort`` over analysts tried in order; neutral when none of them answers."""

    def __init__(
        self,
        members: Sequence[tuple[str, _Member]],
        config: StrategyConfig,
    ) -> None:
        if not members:
            raise ValueError("a chain needs at least one member")
        self.members = list(members)
        self.config = config

    @property
    def provider(self) -> str:
        return ">".join(name for name, _ in self.members)

    def analyze_with_result(self, view: MarketView) -> tuple[Advice, AnalysisResult, Any]:
        route: list[str] = []
        reasons: list[str] = []
        record: Any = None
        for name, member in self.members:
            if name == "neutral":
                break  # the explicit end of the chain: the neutral advice below
            try:
                advice, result, rec = member.analyze_with_result(view)
            except ReplayMissError:
                raise
            except Exception as exc:  # a member's bug is that member's failure
                advice, result, rec = self._neutral(view, [name], [f"{type(exc).__name__}"])
            route.append(name)
            record = rec if rec is not None else record
            why = failure_reason(advice)
            if why is None:
                suffix = advice.source.partition(":")[2]
                source = ">".join(route) + (f":{suffix}" if suffix else "")
                return advice.model_copy(update={"source": source}), result, rec
            reasons.append(f"{name}: {why}")
        advice, result, _ = self._neutral(view, route or ["neutral"], reasons)
        return advice, result, record

    def _neutral(
        self, view: MarketView, route: list[str], reasons: list[str]
    ) -> tuple[Advice, AnalysisResult, None]:
        why = " ".join("; ".join(reasons).split())[:300] or "no answer"
        advice = Advice(
            as_of=view.as_of,
            interval_minutes=self.config.analysis_interval_minutes,
            source=f"{'>'.join(route)}:neutral:{why}",
        )
        return advice, AnalysisResult(reasoning=f"neutral fallback: {why}"), None

    def analyze(self, view: MarketView) -> Advice:
        return self.analyze_with_result(view)[0]


class ChainValidator:
    """``TradeValidatorPort`` over validators tried in order: the first decision wins;
    ``None`` (undecided) when none decides, so the engine's failure policy applies."""

    def __init__(self, members: Sequence[tuple[str, TradeValidatorPort]]) -> None:
        self.members = [(n, v) for n, v in members if n != "neutral"]
        self.last_route: list[str] = []

    def validate(self, signal: Signal, view: MarketView) -> bool | None:
        self.last_route = []
        for name, member in self.members:
            self.last_route.append(name)
            try:
                verdict = member.validate(signal, view)
            except ReplayMissError:
                raise
            except Exception:  # the port's contract: a failure is "could not decide"
                verdict = None
            if verdict is not None:
                return verdict
        return None
