"""Trade validation: one yes/no review of a signal before its order.

``validate`` returns None (not False) when the model could not decide (failure, refusal,
schema error after repair, budget, breaker), so the engine, not this module, applies the
configured ``validation_failure_policy``: a broken LLM should not silently veto or approve.
"""

from __future__ import annotations

from llm_advisor.analysis.gateway import ReplayMissError, StructuredLLM
from llm_advisor.analysis.ledger import LLMCallRecord
from llm_advisor.analysis.prompts import system_prompt, validation_prompt
from llm_advisor.analysis.schemas import ValidationVerdict, tool_schema
from llm_advisor.analysis.transports import LLMRequest
from llm_advisor.core.models import MarketView, Setup, Side, Signal

TOOL_NAME = "trade_verdict"
TOOL_DESCRIPTION = "Say whether this trade should be executed."


class TradeValidator:
    """``TradeValidatorPort`` backed by a structured LLM."""

    def __init__(self, llm: StructuredLLM, *, max_output_tokens: int = 200) -> None:
        self.llm = llm
        self.max_output_tokens = max_output_tokens
        self._schema = tool_schema(ValidationVerdict)
        self.last_verdict: ValidationVerdict | None = None
        self.last_record: LLMCallRecord | None = None

    def request(self, signal: Signal, view: MarketView) -> LLMRequest:
        return LLMRequest(
            system=system_prompt("validation"),
            user=validation_prompt(signal, view),
            tool_name=TOOL_NAME,
            tool_description=TOOL_DESCRIPTION,
            schema=self._schema,
            max_tokens=self.max_output_tokens,
        )

    def verdict(self, signal: Signal, view: MarketView) -> ValidationVerdict | None:
        try:
            outcome = self.llm.ask(self.request(signal, view), ValidationVerdict, view.as_of)
        except ReplayMissError:
            raise
        except Exception:  # the port's contract: None means "could not decide"
            self.last_verdict, self.last_record = None, None
            return None
        self.last_verdict, self.last_record = outcome.answer, outcome.last_record
        return outcome.answer

    def validate(self, signal: Signal, view: MarketView) -> bool | None:
        v = self.verdict(signal, view)
        return None if v is None else v.should_execute


class RulesValidator:
    """Offline validator: rejects mean-reversion trades against a confident, confirmed
    trend (daily and higher-timeframe biases agree against the trade); approves the rest."""

    def __init__(self, min_confidence: float = 65.0) -> None:
        # on the bias model's scale: a calibrated probability in percent (0-100)
        self.min_confidence = min_confidence

    def validate(self, signal: Signal, view: MarketView) -> bool | None:
        if signal.setup is not Setup.MR:
            return True
        mine = next((s for s in view.symbols if s.symbol == signal.symbol), None)
        if mine is None:
            return True
        against = "bearish" if signal.side is Side.LONG else "bullish"
        confident = (mine.daily_bias_confidence or 0.0) >= self.min_confidence
        return not (mine.htf_bias == against and mine.daily_bias == against and confident)


class AlwaysApprove:
    """The 'neutral' validator."""

    def validate(self, signal: Signal, view: MarketView) -> bool | None:
        return True
