"""The market analyzer: a ``MarketView`` in, bounded ``Advice`` out, never an exception.

Whatever the model says, the advice that reaches the engine is clamped to
[multiplier_min, multiplier_max], and any failure (timeout, malformed reply, refusal, schema
error after one repair, a multiplier outside the plausibility range or non-finite, budget,
open breaker) is neutral advice whose ``source`` says why; the gateway has already written
the failure into the ledger and the breaker. The only exception that escapes is a strict
replay miss, because a replay that silently differs from the recorded run would be worse
than one that stops.
"""

from __future__ import annotations

import math

from llm_advisor.analysis.gateway import ReplayMissError, StructuredLLM
from llm_advisor.analysis.ledger import LLMCallRecord
from llm_advisor.analysis.prompts import DEFAULT_USER_BUDGET_TOKENS, analysis_prompt, system_prompt
from llm_advisor.analysis.schemas import PLAUSIBLE, AnalysisAnswer, tool_schema
from llm_advisor.analysis.transports import LLMRequest
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import Advice, AnalysisResult, MarketView

TOOL_NAME = "market_analysis"
TOOL_DESCRIPTION = "Report the market assessment and the four threshold multipliers."


class MarketAnalyzer:
    """``AnalystPort`` backed by a structured LLM (Bedrock, Anthropic or the ledger)."""

    def __init__(
        self,
        llm: StructuredLLM,
        config: StrategyConfig,
        *,
        budget_tokens: int = DEFAULT_USER_BUDGET_TOKENS,
        max_output_tokens: int = 400,
        plausible: tuple[float, float] = PLAUSIBLE,
    ) -> None:
        lo, hi = plausible
        if not (0 < lo < 1 < hi and math.isfinite(hi)):
            raise ValueError(f"plausible={plausible}: need 0 < min < 1 < max, finite")
        self.llm = llm
        self.config = config
        self.plausible = (float(lo), float(hi))
        self.budget_tokens = budget_tokens
        self.max_output_tokens = max_output_tokens
        self._schema = tool_schema(AnalysisAnswer)

    @property
    def provider(self) -> str:
        return self.llm.provider

    def request(self, view: MarketView) -> LLMRequest:
        return LLMRequest(
            system=system_prompt("analysis"),
            user=analysis_prompt(view, self.config, self.budget_tokens),
            tool_name=TOOL_NAME,
            tool_description=TOOL_DESCRIPTION,
            schema=self._schema,
            max_tokens=self.max_output_tokens,
        )

    def _plausible(self, answer: AnalysisAnswer) -> str | None:
        return answer.implausibility(*self.plausible)

    def _neutral(self, view: MarketView, why: str) -> tuple[Advice, AnalysisResult]:
        reason = " ".join(why.split())[:160]
        advice = Advice(
            as_of=view.as_of,
            interval_minutes=self.config.analysis_interval_minutes,
            source=f"{self.provider}:neutral:{reason}",
        )
        return advice, AnalysisResult(reasoning=f"neutral fallback: {reason}")

    def analyze_with_result(
        self, view: MarketView
    ) -> tuple[Advice, AnalysisResult, LLMCallRecord | None]:
        try:
            outcome = self.llm.ask(
                self.request(view), AnalysisAnswer, view.as_of, check=self._plausible
            )
        except ReplayMissError:
            raise
        except Exception as exc:  # never let the advisor take the engine down
            advice, result = self._neutral(view, f"{type(exc).__name__}: {exc}")
            return advice, result, None
        record = outcome.last_record
        if outcome.answer is None:
            advice, result = self._neutral(view, outcome.error or "no answer")
            return advice, result, record
        result = outcome.answer.to_result(
            {s.symbol for s in view.symbols}, self.config.multiplier_min, self.config.multiplier_max
        )
        advice = Advice(
            as_of=view.as_of,
            interval_minutes=self.config.analysis_interval_minutes,
            multipliers=result.threshold_multipliers,
            per_symbol=dict(result.per_symbol),
            source=self.provider + (":repaired" if outcome.repaired else ""),
        )
        return advice, result, record

    def analyze(self, view: MarketView) -> Advice:
        return self.analyze_with_result(view)[0]
