"""Three-way attribution (neutral / analyst / shuffled) and the analyst inside real replays."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from llm_advisor.analysis.attribution import ShuffledAdvice, compare, max_drawdown
from llm_advisor.analysis.factory import make_analyst
from llm_advisor.analysis.guards import RetryPolicy
from llm_advisor.analysis.ledger import InMemoryLedger
from llm_advisor.analysis.rules import RulesAnalyst
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import Advice, ThresholdMultipliers

from .conftest import T0, Reply, five_symbol_view

SYMBOLS = ["SPY", "QQQ", "IWM", "NVDA", "TSLA"]
START = date(2026, 3, 2)


@dataclass
class FakeResult:
    trades: list[Any] = field(default_factory=list)
    advices: list[Advice] = field(default_factory=list)
    equity_curve: list[tuple[datetime, Decimal]] = field(default_factory=list)
    sessions: list[date] = field(default_factory=list)


def test_shuffled_advice_is_a_seeded_permutation_restamped() -> None:
    advs = [
        Advice(
            as_of=T0 + timedelta(minutes=15 * i),
            multipliers=ThresholdMultipliers(mr_arm=1.0 + i / 10),
            source="rules",
        )
        for i in range(5)
    ]
    a, b = ShuffledAdvice(advs, seed=3), ShuffledAdvice(advs, seed=3)
    views = [five_symbol_view(as_of=T0 + timedelta(minutes=15 * i)) for i in range(6)]
    out_a = [a.analyze(v) for v in views]
    out_b = [b.analyze(v) for v in views]
    assert out_a == out_b
    assert [x.as_of for x in out_a] == [v.as_of for v in views]
    assert sorted(x.multipliers.mr_arm for x in out_a[:5]) == [1.0, 1.1, 1.2, 1.3, 1.4]
    assert [x.multipliers.mr_arm for x in out_a[:5]] != [1.0, 1.1, 1.2, 1.3, 1.4]
    assert out_a[5].multipliers == ThresholdMultipliers()  # beyond the list: neutral
    assert out_a[0].source.startswith("shuffled:")


def test_max_drawdown() -> None:
    d = [Decimal(x) for x in (100, 120, 90, 130, 100, 125)]
    assert max_drawdown(d, Decimal(100)) == Decimal(30)
    assert max_drawdown([], Decimal(100)) == 0


def test_compare_calls_the_analyst_once_per_decision(monkeypatch) -> None:
    calls: list[str] = []
    advices = [Advice(as_of=T0, multipliers=ThresholdMultipliers(tc_arm=0.8))]

    def fake_run(config, bars, start, end, analyst=None, daily=None):  # type: ignore[no-untyped-def]
        label = "neutral" if analyst is None else type(analyst).__name__
        calls.append(label)
        if analyst is None:
            return FakeResult(equity_curve=[(T0, Decimal("99000"))])
        adv = analyst.analyze(five_symbol_view())
        return FakeResult(advices=[adv], equity_curve=[(T0, Decimal("100500"))])

    class Counting:
        provider = "counting"
        n = 0

        def analyze(self, view):  # type: ignore[no-untyped-def]
            Counting.n += 1
            return advices[0].model_copy(update={"as_of": view.as_of})

    rep = compare(StrategyConfig(), {}, START, START, Counting(), run_replay=fake_run)
    assert calls == ["neutral", "Counting", "ShuffledAdvice"]
    assert Counting.n == 1
    assert rep.by_label("neutral").max_drawdown == Decimal(1000)
    text = rep.render()
    assert "neutral" in text and "analyst" in text and "shuffled" in text
    assert "analyst=counting" in text


def _synthetic(sessions: int) -> dict[str, pd.DataFrame]:
    from llm_advisor.data.synthetic import SyntheticMarket

    return SyntheticMarket(7).minute_bars(SYMBOLS, START, sessions)


def test_rules_analyst_changes_decisions_on_a_synthetic_week() -> None:
    pytest.importorskip("llm_advisor.replay.runner")
    cfg = StrategyConfig()
    rep = compare(cfg, _synthetic(5), START, date(2026, 3, 6), RulesAnalyst(cfg), seed=1)
    neutral, rules = rep.by_label("neutral"), rep.by_label("analyst")
    assert rules.advices == 125 and neutral.advices == 0
    assert (rules.trades, rules.pnl) != (neutral.trades, neutral.pnl)
    assert "125 of 125 advices moved" in rep.render()


def test_failing_llm_leaves_the_replay_on_base_thresholds(standin, settings, clock, sleeps) -> None:
    runner = pytest.importorskip("llm_advisor.replay.runner")
    cfg = StrategyConfig()
    bars = _synthetic(1)
    standin.default = Reply("status", status=500)
    broken = make_analyst(
        "bedrock",
        settings,
        cfg,
        InMemoryLedger(),
        clock,
        endpoint_url=standin.url,
        sleep=sleeps[1],
        retry=RetryPolicy(max_retries=0),
    )
    base = runner.run_replay(cfg, bars, START, START)
    failed = runner.run_replay(cfg, bars, START, START, analyst=broken)
    assert len(failed.advices) == 25
    assert all(a.multipliers == ThresholdMultipliers() for a in failed.advices)
    assert [t.model_dump() for t in failed.trades] == [t.model_dump() for t in base.trades]
    assert standin.calls == 3  # the breaker opened after three failures


@pytest.mark.shared_data
def test_compare_on_real_bars(shared_data) -> None:
    pytest.importorskip("llm_advisor.replay.runner")
    from llm_advisor.data.barfiles import load_bar_file

    bars = {s: load_bar_file(shared_data / "bars_1m" / f"{s}.csv.gz") for s in ("SPY", "QQQ")}
    cfg = StrategyConfig()
    rep = compare(cfg, bars, date(2026, 2, 2), date(2026, 2, 6), RulesAnalyst(cfg))
    assert [r.label for r in rep.runs] == ["neutral", "analyst", "shuffled"]
    assert rep.by_label("analyst").advices > 0
