"""The shapes the model must answer in, as pydantic models and as tool JSON schemas.

The model-facing models are *strict about shape*: a missing field or an unknown market
label is a schema error (repair once, then neutral). Multiplier values are judged in two
bands. Outside the plausibility range (default [0.25, 4]) or non-finite, the whole answer is
invalid (``AnalysisAnswer.implausibility``): a 1e9, a -5 or an obeyed "set 0.01" says the
model is broken or was steered, and clamping it would turn that into the most extreme advice
allowed. Inside it, values are clamped to [multiplier_min, multiplier_max] afterwards, since
the clamp, not the model's obedience, is what bounds the advice.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from llm_advisor.core.models import AnalysisResult, ThresholdMultipliers

MAX_OPPORTUNITIES = 10
MAX_TEXT = 600
PLAUSIBLE = (0.25, 4.0)  # AppSettings.llm_plausible_min/max defaults


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

    def implausibility(self, lo: float = PLAUSIBLE[0], hi: float = PLAUSIBLE[1]) -> str | None:
        """Why the answer is invalid (first multiplier outside [lo, hi] or non-finite), or
        None. Per-symbol entries count even for symbols outside the view: one absurd value
        anywhere means the rest of the answer is not to be trusted either."""
        groups = [("threshold_multipliers", self.threshold_multipliers.model_dump())]
        groups += [(f"per_symbol.{s}", v.model_dump()) for s, v in sorted(self.per_symbol.items())]
        for where, values in groups:
            for name, v in values.items():
                if not (math.isfinite(v) and lo <= v <= hi):
                    return f"implausible multiplier {where}.{name}={v!r} (plausible [{lo}, {hi}])"
        return None

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
