"""Replays for the report tests: one synthetic week, run once per module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from llm_advisor.analysis.rules import RulesAnalyst
from llm_advisor.core.config import DEFAULT_WATCHLIST, StrategyConfig
from llm_advisor.replay import inputs
from llm_advisor.replay.runner import ReplayResult, run_replay


@dataclass(frozen=True)
class Week:
    result: ReplayResult
    bars: Any


def replay_week(config: StrategyConfig, sessions: int = 5) -> Week:
    inp = inputs.synthetic(list(DEFAULT_WATCHLIST), date(2026, 3, 2), sessions, seed=7)
    result = run_replay(
        config,
        inp.bars,
        inp.start,
        inp.end,
        RulesAnalyst(config),
        daily=inp.daily,
        analyst_name="rules",
        show_progress=False,
    )
    return Week(result, inp.bars)


@pytest.fixture(scope="module")
def week() -> Week:
    """The rules analyst's week: trades on most symbol-days, multipliers that move."""
    return replay_week(StrategyConfig())


@pytest.fixture(scope="module")
def flat_week() -> Week:
    """No symbol may trade (ATR percentile cap 0): a replay with zero trades."""
    return replay_week(StrategyConfig().with_overrides({"atr_percentile_cap": "0"}), 2)
