"""The daily-bias confidence reaches the analysts on the bias model's 0-100 scale.

The bias model, the premarket context, ``daily_bias`` and both engines' ``market_view``
carry confidence as 0-100 (a calibrated probability in percent). The rules analyst and the
rules validator must gate on that scale: a 40 % call is not a confident one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from llm_advisor.analysis.rules import rules_analysis
from llm_advisor.analysis.validator import RulesValidator
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import MarketView, Setup, Side

from .conftest import sym
from .test_prompts import signal

T = datetime(2026, 3, 2, 15, 15, tzinfo=UTC)


def _view(conf: float) -> MarketView:
    return MarketView(
        as_of=T,
        session_date="2026-03-02",
        symbols=[sym("NVDA", htf_bias="bearish", daily_bias="bearish", daily_bias_confidence=conf)],
    )


def test_rules_validator_needs_a_confident_daily_call_on_the_0_100_scale() -> None:
    v = RulesValidator()
    mr_long = signal().model_copy(update={"setup": Setup.MR, "side": Side.LONG})
    assert v.validate(mr_long, _view(80.0)) is False
    # a 40 % call (barely above a three-class coin toss) does not veto the trade
    assert v.validate(mr_long, _view(40.0)) is True


def test_rules_per_symbol_agreement_needs_a_confident_daily_call() -> None:
    cfg = StrategyConfig()
    confident = rules_analysis(_view(80.0), cfg)
    weak = rules_analysis(_view(40.0), cfg)
    assert "NVDA" in confident.per_symbol
    assert confident.per_symbol["NVDA"].tc_arm < confident.threshold_multipliers.tc_arm
    assert "NVDA" not in weak.per_symbol
