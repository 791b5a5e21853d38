"""The offline analyst: the same answer schema, filled by fixed rules from the features.

It is the default when no credentials are set, the demo's analyst and the baseline an LLM
must beat in ``replay --compare``. The rules encode the system prompt's guidance with
continuous (not step) responses so that a typical day actually moves the multipliers:
- volatility (median daily ATR percentile, VIX, and the last interval's range in units of
  the 5-minute ATR) raises every arm threshold when high and lowers them when quiet;
- an extended one-way tape (mean signed z across the universe) raises the MR arm and lowers
  the TC arm: the move is more likely to continue than to snap back;
- a one-sided universe (higher-timeframe biases agreeing) raises MR thresholds (fading a
  trend is costly) and lowers the TC arm (trends continue);
- daily biases that contradict the higher-timeframe bias raise the TC thresholds;
- per symbol: daily and HTF biases agreeing with confidence lower that symbol's TC arm,
  disagreeing raise it, an extreme ATR percentile raises its MR arm.
"""

from __future__ import annotations

import math
import statistics

from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import (
    Advice,
    AnalysisResult,
    MarketView,
    State,
    SymbolView,
    ThresholdMultipliers,
)

_DIR = {"bullish": 1, "bearish": -1}


def _r(x: float) -> float:
    return round(x, 2)


def _symbol_adjustments(s: SymbolView) -> tuple[float, float, float] | None:
    """(mr_arm, tc_arm, tc_trigger) deltas for one symbol, or None when nothing stands out."""
    htf = _DIR.get(s.htf_bias, 0)
    daily = _DIR.get(s.daily_bias or "", 0)
    # confidence is the bias model's calibrated probability in percent (0-100)
    conf = s.daily_bias_confidence if s.daily_bias_confidence is not None else 50.0
    d_mr = d_tc = d_tct = 0.0
    if htf and daily:
        if htf == daily and conf >= 60.0:
            d_tc -= 0.15
            d_mr += 0.10
        elif htf != daily:
            d_tc += 0.20
            d_tct += 0.10
    if s.atr_percentile >= 80:
        d_mr += 0.15
    if d_mr == 0 and d_tc == 0 and d_tct == 0:
        return None
    return d_mr, d_tc, d_tct


def rules_analysis(view: MarketView, config: StrategyConfig) -> AnalysisResult:
    lo, hi = config.multiplier_min, config.multiplier_max
    syms = view.symbols
    if not syms:
        return AnalysisResult(reasoning="no symbols in view")
    atrp_vals = [s.atr_percentile for s in syms if math.isfinite(s.atr_percentile)]
    atrp = statistics.median(atrp_vals) if atrp_vals else 50.0
    vol = (atrp - 50.0) / 100.0 * 0.6  # -0.3 .. +0.3
    if view.vix is not None and math.isfinite(view.vix):
        vol += min(0.2, max(-0.1, (view.vix - 20.0) / 50.0))
    dirs = [_DIR.get(s.htf_bias, 0) for s in syms]
    n = len(syms)
    agree = abs(sum(dirs)) / n  # 0 (split) .. 1 (all one way)
    pairs = [
        (_DIR[s.htf_bias], _DIR[s.daily_bias or ""])
        for s in syms
        if s.htf_bias in _DIR and (s.daily_bias or "") in _DIR
    ]
    disagree = sum(1 for a, b in pairs if a != b) / len(pairs) if pairs else 0.0
    rets = [
        s.interval_return_pct
        for s in syms
        if s.interval_return_pct is not None and math.isfinite(s.interval_return_pct)
    ]
    move = statistics.fmean(abs(r) for r in rets) if rets else 0.0
    # Realized intraday volatility: the interval's close range over the 5-minute ATR
    # (about 1.2 on a typical interval of 15 minutes).
    ranges = [
        (s.interval_high - s.interval_low) / s.atr_5m
        for s in syms
        if s.interval_high is not None
        and s.interval_low is not None
        and s.atr_5m is not None
        and s.atr_5m > 0
    ]
    if ranges:
        vol += min(0.15, max(-0.15, (statistics.median(ranges) - 1.2) * 0.3))
    zs = [s.z for s in syms if s.z is not None and math.isfinite(s.z)]
    trend = min(1.0, abs(statistics.fmean(zs)) / 1.5) if zs else 0.0

    base = ThresholdMultipliers(
        mr_arm=_r(1.0 + vol + 0.20 * agree + 0.25 * trend),
        mr_trigger=_r(1.0 + vol / 2.0),
        tc_arm=_r(1.0 + vol / 2.0 - 0.25 * agree - 0.20 * trend + 0.25 * disagree),
        tc_trigger=_r(1.0 + 0.10 * disagree),
    ).clamped(lo, hi)

    per: dict[str, ThresholdMultipliers] = {}
    for s in syms:
        adj = _symbol_adjustments(s)
        if adj is None:
            continue
        d_mr, d_tc, d_tct = adj
        m = ThresholdMultipliers(
            mr_arm=_r(base.mr_arm + d_mr),
            mr_trigger=base.mr_trigger,
            tc_arm=_r(base.tc_arm + d_tc),
            tc_trigger=_r(base.tc_trigger + d_tct),
        ).clamped(lo, hi)
        if m != base:
            per[s.symbol] = m

    net = sum(dirs)
    if atrp >= 75 or (view.vix is not None and view.vix >= 28):
        assessment = "volatile"
    elif agree >= 0.5 or trend >= 0.5:
        lean = net if agree >= 0.5 else (statistics.fmean(zs) if zs else 0.0)
        assessment = "bullish" if lean > 0 else "bearish"
    elif agree < 0.2 and move < 0.15:
        assessment = "choppy"
    else:
        assessment = "neutral"
    armed = [
        s.symbol
        for s in sorted(syms, key=lambda s: (-abs(s.z or 0.0), s.symbol))
        if s.state in (State.MR_ARMED, State.TC_ARMED, State.TC_PULLBACK)
    ][:3]
    return AnalysisResult(
        market_assessment=assessment,
        opportunities=armed,
        confidence=round(40.0 + 40.0 * max(agree, disagree), 1),
        threshold_multipliers=base,
        per_symbol=per,
        reasoning=(
            f"rules: median atr_pct {atrp:.0f}, htf agreement {agree:.2f}, "
            f"daily/htf disagreement {disagree:.2f}, one-way extension {trend:.2f}, "
            f"interval range/ATR {statistics.median(ranges) if ranges else float('nan'):.2f}, "
            f"mean |interval move| {move:.2f}%"
        ),
    )


class RulesAnalyst:
    """``AnalystPort`` over ``rules_analysis`` (pure, no I/O, never raises)."""

    provider = "rules"

    def __init__(self, config: StrategyConfig) -> None:
        self.config = config

    def analyze_with_result(self, view: MarketView) -> tuple[Advice, AnalysisResult, None]:
        try:
            result = rules_analysis(view, self.config)
            source = "rules"
        except Exception as exc:  # the port's contract: never raise, degrade to neutral
            result = AnalysisResult(reasoning=f"rules failed: {type(exc).__name__}")
            source = f"rules:neutral:{type(exc).__name__}"
        advice = Advice(
            as_of=view.as_of,
            interval_minutes=self.config.analysis_interval_minutes,
            multipliers=result.threshold_multipliers,
            per_symbol=dict(result.per_symbol),
            source=source,
        )
        return advice, result, None

    def analyze(self, view: MarketView) -> Advice:
        return self.analyze_with_result(view)[0]


class NeutralAnalyst:
    """Multipliers 1.0 always: the baseline of attribution and the fail-safe."""

    provider = "neutral"

    def __init__(self, config: StrategyConfig) -> None:
        self.config = config

    def analyze_with_result(self, view: MarketView) -> tuple[Advice, AnalysisResult, None]:
        advice = Advice(
            as_of=view.as_of,
            interval_minutes=self.config.analysis_interval_minutes,
            source="neutral",
        )
        return advice, AnalysisResult(reasoning="neutral analyst"), None

    def analyze(self, view: MarketView) -> Advice:
        return self.analyze_with_result(view)[0]
