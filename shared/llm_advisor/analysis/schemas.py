"""The shapes the model must answer in, as pydantic models and as tool JSON schemas.

The model-facing models are deliberately *lenient about values* and *strict about shape*:
a missing field or an unknown market label is a schema error (repair once, then neutral),
but an out-of-range or non-finite multiplier is accepted here and clamped afterwards, since
the clamp, not the model's obedience, is what bounds the advice.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from llm_advisor.core.models import AnalysisResult, ThresholdMultipliers

MAX_OPPORTUNITIES = 10
MAX_TEXT = 600


def _clip_text(v: Any) -> Any:
    return v[:MAX_TEXT] if isinstance(v, str) else v


def _confidence(v: Any) -> Any:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return v
    if not math.isfinite(f):
        return 0.0
    return min(100.0, max(0.0, f))


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class MultipliersAnswer(_Answer):
    mr_arm: float
    mr_trigger: float
    tc_arm: float
    tc_trigger: float


class SymbolMultipliersAnswer(_Answer):
    mr_arm: float = 1.0
    mr_trigger: float = 1.0
    tc_arm: float = 1.0
    tc_trigger: float = 1.0


class AnalysisAnswer(_Answer):
    """What the market analysis tool call must contain."""

    market_assessment: Literal["bullish", "bearish", "choppy", "volatile", "neutral"]
    opportunities: list[str] = Field(default_factory=list, description="symbols, best first")
    confidence: float = Field(description="0-100")
    threshold_multipliers: MultipliersAnswer
    per_symbol: dict[str, SymbolMultipliersAnswer] = Field(
        default_factory=dict, description="optional, few symbols"
    )
    reasoning: str = Field(description="one sentence")

    _conf = field_validator("confidence", mode="before")(_confidence)
    _text = field_validator("reasoning", mode="before")(_clip_text)

    @field_validator("opportunities", mode="before")
    @classmethod
    def _opps(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [str(x)[:40] for x in v[:MAX_OPPORTUNITIES]]
        return v

    def to_result(self, symbols: set[str], lo: float, hi: float) -> AnalysisResult:
        """Clamp into the domain record; per-symbol advice only for symbols in the view."""
        m = ThresholdMultipliers(**self.threshold_multipliers.model_dump()).clamped(lo, hi)
        per = {
            s: ThresholdMultipliers(**v.model_dump()).clamped(lo, hi)
            for s, v in sorted(self.per_symbol.items())
            if s in symbols
        }
        return AnalysisResult(
            market_assessment=self.market_assessment,
            opportunities=[o for o in self.opportunities if o in symbols],
            confidence=self.confidence,
            threshold_multipliers=m,
            per_symbol=per,
            reasoning=self.reasoning,
        )


class ValidationVerdict(_Answer):
    """What the trade validation tool call must contain."""

    should_execute: bool
    confidence: float = Field(description="0-100")
    reasoning: str = Field(description="one sentence")

    _conf = field_validator("confidence", mode="before")(_confidence)
    _text = field_validator("reasoning", mode="before")(_clip_text)


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            name = str(node["$ref"]).rsplit("/", 1)[-1]
            return _inline(defs[name], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k not in ("$defs", "title")}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def tool_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with ``$ref``s inlined (providers differ in $defs support),
    without titles and docstrings: every schema byte is paid for on every call."""
    raw = model.model_json_schema()
    out = dict(_inline(raw, raw.get("$defs", {})))
    out.pop("description", None)
    return out
