"""Rules analyst, validators, schedule and factory."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llm_advisor.analysis.analyzer import MarketAnalyzer
from llm_advisor.analysis.factory import make_analyst, make_validator, session_contamination
from llm_advisor.analysis.ledger import InMemoryLedger
from llm_advisor.analysis.rules import NeutralAnalyst, RulesAnalyst, rules_analysis
from llm_advisor.analysis.validator import AlwaysApprove, RulesValidator, TradeValidator
from llm_advisor.core.config import AppSettings, StrategyConfig
from llm_advisor.core.errors import ConfigError
from llm_advisor.core.models import MarketView, Setup, Side, State, ThresholdMultipliers
from llm_advisor.live.schedule import analysis_times

from .conftest import GOOD, T0, Reply, five_symbol_view, sym
from .test_prompts import signal


def view_of(*symbols, vix=None):  # type: ignore[no-untyped-def]
    return MarketView(as_of=T0, session_date="2026-03-02", symbols=list(symbols), vix=vix)


def test_high_volatility_raises_arm_thresholds() -> None:
    cfg = StrategyConfig()
    flat = {"z": 0.0, "interval_high": 100.21, "interval_low": 99.79}  # range = 1.2 ATR
    calm = rules_analysis(
        view_of(*(sym(f"A{i}", atr_percentile=20.0, **flat) for i in range(4))), cfg
    )
    wild = rules_analysis(
        view_of(*(sym(f"A{i}", atr_percentile=90.0, **flat) for i in range(4)), vix=35.0), cfg
    )
    assert wild.threshold_multipliers.mr_arm > 1.0 > calm.threshold_multipliers.mr_arm
    assert wild.threshold_multipliers.tc_arm > calm.threshold_multipliers.tc_arm
    assert wild.market_assessment == "volatile"


def test_agreeing_biases_lower_tc_arm_and_disagreeing_raise_it() -> None:
    cfg = StrategyConfig()
    agree = view_of(
        *(
            sym(f"A{i}", htf_bias="bullish", daily_bias="bullish", daily_bias_confidence=80, z=0.0)
            for i in range(4)
        )
    )
    clash = view_of(
        *(
            sym(
                f"A{i}",
                htf_bias="bullish" if i % 2 else "bearish",
                daily_bias="bearish" if i % 2 else "bullish",
                daily_bias_confidence=80.0,
                z=0.0,
            )
            for i in range(4)
        )
    )
    a, c = rules_analysis(agree, cfg), rules_analysis(clash, cfg)
    assert a.threshold_multipliers.tc_arm < 1.0 < c.threshold_multipliers.tc_arm
    assert a.market_assessment == "bullish"
    # per-symbol: agreeing symbols get an even lower TC arm than the market
    assert all(m.tc_arm < a.threshold_multipliers.tc_arm for m in a.per_symbol.values())
    assert all(m.tc_arm > c.threshold_multipliers.tc_arm for m in c.per_symbol.values())


def test_rules_move_multipliers_on_a_typical_view() -> None:
    adv = RulesAnalyst(StrategyConfig()).analyze(five_symbol_view())
    assert adv.multipliers != ThresholdMultipliers()
    assert adv.source == "rules" and adv.as_of == T0


finite = st.floats(-50, 50, allow_nan=False)
sym_views = st.builds(
    lambda i, z, p, h, d, c, r: sym(
        f"X{i}",
        z=z,
        atr_percentile=p,
        htf_bias=h,
        daily_bias=d,
        daily_bias_confidence=c,
        interval_return_pct=r,
    ),
    st.integers(0, 999),
    st.none() | finite,
    st.floats(0, 100),
    st.sampled_from(["bullish", "bearish", "neutral"]),
    st.none() | st.sampled_from(["bullish", "bearish", "choppy"]),
    st.none() | st.floats(0, 100),
    st.none() | finite,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(sym_views, max_size=12, unique_by=lambda s: s.symbol), st.none() | st.floats(0, 90))
def test_rules_always_within_clamps(symbols, vix) -> None:  # type: ignore[no-untyped-def]
    cfg = StrategyConfig(multiplier_min=0.7, multiplier_max=1.3)
    adv = RulesAnalyst(cfg).analyze(view_of(*symbols, vix=vix))
    for m in [adv.multipliers, *adv.per_symbol.values()]:
        assert all(0.7 <= x <= 1.3 for x in m.as_tuple())


def test_neutral_analyst() -> None:
    adv = NeutralAnalyst(StrategyConfig()).analyze(five_symbol_view())
    assert adv.multipliers == ThresholdMultipliers() and adv.source == "neutral"


def test_analysis_times_regular_early_close_and_dst() -> None:
    cfg = StrategyConfig()
    times = analysis_times(date(2026, 3, 2), cfg)
    assert times[0] == datetime(2026, 3, 2, 14, 45, tzinfo=UTC)  # 09:45 EST
    assert times[-1] == datetime(2026, 3, 2, 20, 45, tzinfo=UTC)  # 15:45 EST
    assert len(times) == 25
    summer = analysis_times(date(2026, 7, 1), cfg)
    assert summer[0] == datetime(2026, 7, 1, 13, 45, tzinfo=UTC)
    early = analysis_times(date(2025, 11, 28), cfg)  # 13:00 close
    assert early[-1] == datetime(2025, 11, 28, 17, 45, tzinfo=UTC) and len(early) == 13
    assert (
        len(
            analysis_times(
                date(2026, 3, 2), cfg.with_overrides({"analysis_interval_minutes": "30"})
            )
        )
        == 13
    )


def test_rules_validator_rejects_fading_a_confirmed_trend() -> None:
    v = RulesValidator()
    mr_long = signal().model_copy(update={"setup": Setup.MR, "side": Side.LONG})
    bearish = view_of(
        sym("NVDA", htf_bias="bearish", daily_bias="bearish", daily_bias_confidence=80.0)
    )
    assert v.validate(mr_long, bearish) is False
    assert v.validate(mr_long, view_of(sym("NVDA", htf_bias="bearish"))) is True
    assert v.validate(signal(), bearish) is True  # TC goes with the trend by design
    assert AlwaysApprove().validate(signal(), bearish) is True


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply("tool", {"should_execute": True, "confidence": 80, "reasoning": "ok"}), True),
        (Reply("tool", {"should_execute": False, "confidence": 70, "reasoning": "news"}), False),
        (Reply("refusal"), None),
        (Reply("status", status=500), None),
    ],
)
def test_llm_validator_verdicts(standin, settings, clock, sleeps, reply, expected) -> None:
    from llm_advisor.analysis.guards import RetryPolicy

    cfg = StrategyConfig(validation_enabled=True)
    standin.push(reply)
    v = make_validator(
        "bedrock",
        settings,
        cfg,
        InMemoryLedger(),
        clock,
        endpoint_url=standin.url,
        sleep=sleeps[1],
        retry=RetryPolicy(max_retries=0),
    )
    assert isinstance(v, TradeValidator)
    assert v.validate(signal(), five_symbol_view()) is expected
    assert standin.received[0].body["tool_choice"]["name"] == "trade_verdict"


def test_factory_names_and_errors(settings, clock) -> None:
    cfg = StrategyConfig()
    led = InMemoryLedger()
    assert isinstance(make_analyst("rules", settings, cfg, led, clock), RulesAnalyst)
    assert isinstance(make_analyst("neutral", settings, cfg, led, clock), NeutralAnalyst)
    for name in ("bedrock", "anthropic", "bedrock-converse", "replay"):
        assert isinstance(make_analyst(name, settings, cfg, led, clock), MarketAnalyzer)
    with pytest.raises(ConfigError, match="analyst='gpt'"):
        make_analyst("gpt", settings, cfg, led, clock)
    off = StrategyConfig(validation_enabled=False)
    assert make_validator("bedrock", settings, off, led, clock) is None  # validation off
    on = StrategyConfig()  # on by default (the plan)
    assert isinstance(make_validator("rules", settings, on, led, clock), RulesValidator)
    assert isinstance(make_validator("neutral", settings, on, led, clock), AlwaysApprove)


def test_shared_llm_shares_the_budget(standin, clock, sleeps) -> None:
    from llm_advisor.analysis.factory import make_llm

    settings = AppSettings(llm_daily_budget_usd=0.002)
    cfg = StrategyConfig(validation_enabled=True)
    led = InMemoryLedger()
    llm = make_llm("bedrock", settings, led, clock, endpoint_url=standin.url, sleep=sleeps[1])
    standin.default = Reply("tool", GOOD, tokens_in=2000, tokens_out=100)  # $0.0025
    analyst = make_analyst("bedrock", settings, cfg, led, clock, llm=llm)
    validator = make_validator("bedrock", settings, cfg, led, clock, llm=llm)
    assert analyst.analyze(five_symbol_view()).multipliers.tc_arm == 0.8
    assert validator is not None and validator.validate(signal(), five_symbol_view()) is None
    assert standin.calls == 1


def test_contamination_report(settings) -> None:
    days = [date(2025, 2, 27), date(2025, 3, 3), date(2026, 3, 2)]
    rep = session_contamination("bedrock", settings, days)
    assert rep["knowledge_cutoff"] == "2025-02"
    assert rep["contaminated_sessions"] == ["2025-02-27"]
    assert session_contamination("rules", settings, days)["contaminated_sessions"] == []
    assert session_contamination("replay", settings, days)["contaminated_sessions"] == [
        "2025-02-27"
    ]


def test_symbol_states_in_view_are_used_for_opportunities() -> None:
    v = view_of(sym("AAA", z=2.0, state=State.MR_ARMED), sym("BBB", z=0.1))
    assert rules_analysis(v, StrategyConfig()).opportunities == ["AAA"]
