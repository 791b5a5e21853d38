"""Settings: every bad value fails at start naming the variable, the value and the range."""

from __future__ import annotations

from datetime import time

import pytest

from llm_advisor.core.config import (
    AppSettings,
    StrategyConfig,
    parse_set_args,
    settings_from_env,
    strategy_from_env,
)
from llm_advisor.core.errors import ConfigError


def test_defaults_are_the_spec_values() -> None:
    c = StrategyConfig()
    assert (c.mr_arm_z, c.mr_trigger_z, c.tc_arm_z, c.tc_trigger_z, c.mr_abort_z) == (
        1.2,
        0.6,
        1.8,
        0.6,
        3.0,
    )
    assert (c.trading_window_start, c.trading_window_end, c.end_of_day_close_time) == (
        time(9, 30),
        time(12, 0),
        time(15, 50),
    )
    assert c.analysis_interval_minutes == 15
    assert AppSettings().watchlist == ("SPY", "QQQ", "IWM", "NVDA", "TSLA")


@pytest.mark.parametrize(
    ("var", "value", "needle"),
    [
        ("ADVISOR_MAX_RISK_PER_TRADE", "7", "allowed range 0..5"),
        ("ADVISOR_ANALYSIS_INTERVAL_MINUTES", "3", "allowed range 5..60"),
        ("ADVISOR_ANALYSIS_INTERVAL_MINUTES", "61", "allowed range 5..60"),
        ("ADVISOR_COOLDOWN_BARS", "0", "allowed range 1..390"),
        ("ADVISOR_TRADING_WINDOW_START", "9h30", "expected HH:MM"),
        ("ADVISOR_MR_ARM_Z", "abc", "ADVISOR_MR_ARM_Z='abc'"),
    ],
)
def test_bad_strategy_setting_names_variable_value_and_range(
    var: str, value: str, needle: str
) -> None:
    with pytest.raises(ConfigError) as e:
        strategy_from_env({var: value})
    msg = str(e.value)
    assert var in msg and repr(value) in msg and needle in msg


def test_inconsistent_thresholds_are_refused() -> None:
    with pytest.raises(ConfigError, match="mr_trigger_z < mr_arm_z < mr_abort_z"):
        StrategyConfig().with_overrides({"mr_arm_z": "3.5"})


def test_set_overrides_reject_unknown_keys_and_missing_equals() -> None:
    with pytest.raises(ConfigError, match="unknown strategy setting"):
        StrategyConfig().with_overrides({"mr_arm": "1"})
    with pytest.raises(ConfigError, match="expected key=value"):
        parse_set_args(["mr_arm_z"])
    assert StrategyConfig().with_overrides(parse_set_args(["mr_arm_z=1.3"])).mr_arm_z == 1.3


def test_watchlist_symbols_are_validated() -> None:
    assert settings_from_env({"ADVISOR_WATCHLIST": "spy, qqq"}).watchlist == ("SPY", "QQQ")
    with pytest.raises(ConfigError, match="ADVISOR_WATCHLIST"):
        settings_from_env({"ADVISOR_WATCHLIST": "SPY,not a symbol"})


def test_live_trading_needs_an_explicit_second_confirmation() -> None:
    with pytest.raises(ConfigError, match="ADVISOR_ALPACA_LIVE_CONFIRM"):
        settings_from_env({"ADVISOR_ALPACA_PAPER": "false"})
    ok = settings_from_env(
        {
            "ADVISOR_ALPACA_PAPER": "false",
            "ADVISOR_ALPACA_LIVE_CONFIRM": "I-UNDERSTAND-THIS-IS-REAL-MONEY",
        }
    )
    assert ok.alpaca_paper is False


def test_config_hash_identifies_a_configuration() -> None:
    a, b = StrategyConfig(), StrategyConfig().with_overrides({"mr_arm_z": "1.3"})
    assert a.config_hash() == StrategyConfig().config_hash() != b.config_hash()
