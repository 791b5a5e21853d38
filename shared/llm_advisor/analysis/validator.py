"""Trade validation: one yes/no review of a signal before its order.

``validate`` returns None (not False) when the model could not decide (failure, refusal,
schema error after repair, budget, breaker), so the engine, not this module, applies the
configured ``validation_failure_policy``: a broken LLM should not silently veto or approve.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from llm_advisor.analysis.gateway import ReplayMissError, StructuredLLM
from llm_advisor.analysis.ledger import LLMCallRecord
from llm_advisor.analysis.prompts import system_prompt, validation_prompt
from llm_advisor.analysis.schemas import ValidationVerdict, tool_schema
from llm_advisor.analysis.transports import LLMRequest
from llm_advisor.core.models import MarketView, Setup, Side, Signal

TOOL_NAME = "trade_verdict"
TOOL_DESCRIPTION = "Say whether this trade should be executed."


@dataclass(frozen=True)
class VerdictNote:
    """Who gave the last verdict and why: what an ``llm_validations`` row stores. Cost and
    latency come from the LLM call (its ``llm_calls`` row has the same ``request_hash``)."""

    provider: str
    model: str | None = None
    reasoning: str = ""
    confidence: float | None = None
    request_hash: str | None = None
    cost_usd: Decimal = Decimal(0)
    latency_ms: int = 0


def last_note(validator: object) -> VerdictNote:
    """The note of a validator's last ``validate`` call (a chain: the member that decided,
    or the last one tried, under the route's name, e.g. ``bedrock>rules``)."""
    from llm_advisor.analysis.chain import ChainValidator

    if isinstance(validator, ChainValidator):
        route = validator.last_route
        if not route:
            return VerdictNote("neutral", "neutral", "no member of the chain decides")
        note = last_note(dict(validator.members)[route[-1]])
        return replace(note, provider=">".join(route))
    fn = getattr(validator, "note", None)
    if callable(fn):
        got = fn()
        if isinstance(got, VerdictNote):
            return got
    name = type(validator).__name__
    return VerdictNote(name, name)


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

    def note(self) -> VerdictNote:
        v, rec = self.last_verdict, self.last_record
        why = v.reasoning if v is not None else (rec.error if rec and rec.error else "no answer")
        return VerdictNote(
            provider=rec.provider if rec is not None else self.llm.provider,
            model=rec.model if rec is not None else self.llm.model,
            reasoning=why or "",
            confidence=None if v is None else v.confidence,
            request_hash=None if rec is None else rec.request_hash,
            cost_usd=Decimal(0) if rec is None else rec.cost_usd,
            latency_ms=0 if rec is None else rec.latency_ms,
        )


class RulesValidator:
    """Offline validator: rejects mean-reversion trades against a confident, confirmed
    trend (daily and higher-timeframe biases agree against the trade); approves the rest."""

    def __init__(self, min_confidence: float = 65.0) -> None:
        # on the bias model's scale: a calibrated probability in percent (0-100)
        self.min_confidence = min_confidence
        self._why = ""

    def validate(self, signal: Signal, view: MarketView) -> bool | None:
        if signal.setup is not Setup.MR:
            self._why = "trend continuation: approved"
            return True
        mine = next((s for s in view.symbols if s.symbol == signal.symbol), None)
        if mine is None:
            self._why = "symbol not in the view: approved"
            return True
        against = "bearish" if signal.side is Side.LONG else "bullish"
        conf = mine.daily_bias_confidence or 0.0
        if mine.htf_bias == against and mine.daily_bias == against and conf >= self.min_confidence:
            self._why = f"mean reversion against a confirmed {against} trend ({conf:.0f}%)"
            return False
        self._why = "mean reversion not against a confirmed trend: approved"
        return True

    def note(self) -> VerdictNote:
        return VerdictNote("rules", "rules", self._why)


class AlwaysApprove:
    """The 'neutral' validator."""

    def validate(self, signal: Signal, view: MarketView) -> bool | None:
        return True

    def note(self) -> VerdictNote:
        return VerdictNote("neutral", "neutral", "approves every trade")
