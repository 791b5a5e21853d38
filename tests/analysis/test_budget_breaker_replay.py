"""Guards wired into a real client, and replay from the ledger with zero network calls."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from llm_advisor.analysis.analyzer import MarketAnalyzer
from llm_advisor.analysis.factory import make_analyst
from llm_advisor.analysis.gateway import ReplayMissError
from llm_advisor.analysis.ledger import InMemoryLedger, JsonlLedger
from llm_advisor.core.config import AppSettings
from llm_advisor.core.models import ThresholdMultipliers

from .conftest import GOOD, Reply, five_symbol_view


def test_budget_exhausted_makes_no_call(standin, config, clock, sleeps) -> None:
    settings = AppSettings(llm_daily_budget_usd=0.003)
    ledger = InMemoryLedger()
    a = make_analyst(
        "bedrock", settings, config, ledger, clock, endpoint_url=standin.url, sleep=sleeps[1]
    )
    standin.default = Reply("tool", GOOD, tokens_in=2000, tokens_out=200)  # $0.003 per call
    first = a.analyze(five_symbol_view())
    assert first.multipliers.tc_arm == 0.8
    second = a.analyze(five_symbol_view(as_of=clock.now() + timedelta(minutes=15)))
    assert second.multipliers == ThresholdMultipliers()
    assert "budget" in second.source
    assert standin.calls == 1
    assert ledger.records()[-1].cost_usd == 0 and "budget" in (ledger.records()[-1].error or "")
    clock.advance(timedelta(days=1))  # a new day, a new budget
    assert a.analyze(five_symbol_view(as_of=clock.now())).multipliers.tc_arm == 0.8
    assert standin.calls == 2


def test_budget_counts_what_the_ledger_already_spent(standin, config, clock, sleeps) -> None:
    ledger = InMemoryLedger()
    a = make_analyst(
        "bedrock",
        AppSettings(llm_daily_budget_usd=0.003),
        config,
        ledger,
        clock,
        endpoint_url=standin.url,
        sleep=sleeps[1],
    )
    standin.default = Reply("tool", GOOD, tokens_in=2000, tokens_out=200)
    a.analyze(five_symbol_view())
    # A fresh container (new analyst) on the same day sees the ledger's spend.
    b = make_analyst(
        "bedrock",
        AppSettings(llm_daily_budget_usd=0.003),
        config,
        ledger,
        clock,
        endpoint_url=standin.url,
        sleep=sleeps[1],
    )
    assert "budget" in b.analyze(five_symbol_view()).source
    assert standin.calls == 1


def test_circuit_breaker_stops_calls_then_probes(standin, settings, config, clock, sleeps) -> None:
    from llm_advisor.analysis.guards import RetryPolicy

    ledger = InMemoryLedger()
    a = make_analyst(
        "bedrock",
        settings,
        config,
        ledger,
        clock,
        endpoint_url=standin.url,
        sleep=sleeps[1],
        retry=RetryPolicy(max_retries=0),
        breaker_threshold=3,
        breaker_cooldown=timedelta(minutes=10),
    )
    standin.default = Reply("status", status=500)
    for _ in range(3):
        assert a.analyze(five_symbol_view()).multipliers == ThresholdMultipliers()
    assert standin.calls == 3
    skipped = a.analyze(five_symbol_view())
    assert "circuit" in skipped.source and standin.calls == 3
    clock.advance(timedelta(minutes=10))
    standin.default = Reply("tool", GOOD)
    assert a.analyze(five_symbol_view()).multipliers.tc_arm == 0.8  # half-open trial works
    assert standin.calls == 4


def test_rate_limiter_waits_through_the_injected_sleep(
    standin, settings, config, clock, sleeps
) -> None:
    a = make_analyst(
        "bedrock",
        settings,
        config,
        InMemoryLedger(),
        clock,
        endpoint_url=standin.url,
        sleep=sleeps[1],
        rate_per_minute=6,
    )
    standin.default = Reply("tool", GOOD)
    for _ in range(6):  # burst of 5, then one token per 10 s
        a.analyze(five_symbol_view())
    assert sleeps[0] == [pytest.approx(10.0)]
    assert standin.calls == 6


def _live_day(standin, settings, config, ledger, clock, sleeps) -> list:  # type: ignore[no-untyped-def]
    """Six analyses with every kind of outcome: good, repaired, neutral, clamped, error."""
    bad = dict(
        GOOD,
        threshold_multipliers={"mr_arm": 3, "mr_trigger": 0.3, "tc_arm": 0.7, "tc_trigger": 1.1},
    )
    standin.push(
        Reply("tool", GOOD),
        Reply("text", "{oops"),
        Reply("tool", dict(GOOD, confidence=40)),
        Reply("refusal"),
        Reply("tool", bad),
        Reply("status", status=500),
        Reply("status", status=500),
        Reply("status", status=500),
        Reply("tool", {"nope": 1}),
        Reply("tool", {"nope": 2}),
    )
    a = make_analyst(
        "bedrock", settings, config, ledger, clock, endpoint_url=standin.url, sleep=sleeps[1]
    )
    out = []
    for i in range(6):
        view = five_symbol_view(as_of=clock.now() + timedelta(minutes=15 * i))
        out.append(a.analyze_with_result(view)[:2])
    return out


def test_replay_reproduces_a_live_run_exactly_without_network(
    standin, settings, config, clock, sleeps, tmp_path: Path
) -> None:
    ledger = JsonlLedger(tmp_path / "llm_calls.jsonl")
    live = _live_day(standin, settings, config, ledger, clock, sleeps)
    calls = standin.calls
    assert calls == 10
    sources = [adv.source for adv, _ in live]
    assert sources[0] == "bedrock" and sources[1] == "bedrock:repaired"
    assert all("neutral" in s for s in (sources[2], sources[4], sources[5]))
    assert live[3][0].multipliers == ThresholdMultipliers(
        mr_arm=1.5, mr_trigger=0.5, tc_arm=0.7, tc_trigger=1.1
    )
    standin.stop()  # no server at all: any network attempt would fail loudly

    replayer = make_analyst(
        "replay", settings, config, JsonlLedger(tmp_path / "llm_calls.jsonl"), clock
    )
    assert isinstance(replayer, MarketAnalyzer)
    again = []
    for i in range(6):
        view = five_symbol_view(as_of=clock.now() + timedelta(minutes=15 * i))
        again.append(replayer.analyze_with_result(view)[:2])
    assert [adv.multipliers for adv, _ in again] == [adv.multipliers for adv, _ in live]
    assert [adv.per_symbol for adv, _ in again] == [adv.per_symbol for adv, _ in live]
    assert [res for _, res in again] == [res for _, res in live]
    assert standin.calls == calls


def test_strict_replay_miss_raises_and_lenient_is_neutral(settings, config, clock) -> None:
    strict = make_analyst("replay", settings, config, InMemoryLedger(), clock)
    with pytest.raises(ReplayMissError, match="request_hash="):
        strict.analyze(five_symbol_view())
    lenient = make_analyst("replay", settings, config, InMemoryLedger(), clock, strict_replay=False)
    adv = lenient.analyze(five_symbol_view())
    assert adv.multipliers == ThresholdMultipliers() and "replay miss" in adv.source


def test_replay_finds_answers_recorded_by_the_anthropic_provider(
    standin, settings, config, clock, sleeps, monkeypatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    ledger = InMemoryLedger()
    standin.push(Reply("tool", GOOD))
    live = make_analyst(
        "anthropic", settings, config, ledger, clock, endpoint_url=standin.url, sleep=sleeps[1]
    ).analyze(five_symbol_view())
    replayed = make_analyst("replay", settings, config, ledger, clock).analyze(five_symbol_view())
    assert replayed.multipliers == live.multipliers and replayed.source == "replay"
    assert ledger.records()[0].cost_usd == Decimal("0.0015")  # 900 in, 120 out at Haiku prices
