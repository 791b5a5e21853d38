"""Fallback chains: each provider in order per call, each failure recorded, the first usable
answer wins; breakers are per provider, the daily budget is shared; a chained run replays."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from llm_advisor.analysis.chain import ChainAnalyst, ChainValidator
from llm_advisor.analysis.factory import make_analyst, make_llms, make_validator
from llm_advisor.analysis.guards import RetryPolicy
from llm_advisor.analysis.ledger import InMemoryLedger, JsonlLedger
from llm_advisor.analysis.rules import rules_analysis
from llm_advisor.core.clock import ManualClock
from llm_advisor.core.config import AppSettings, StrategyConfig
from llm_advisor.core.models import ThresholdMultipliers
from llm_advisor.replay.summary import analyst_report

from .conftest import GOOD, LLMStandIn, Reply, five_symbol_view
from .test_prompts import signal

NEUTRAL = ThresholdMultipliers()
KEYS = {"ANTHROPIC_API_KEY": "test-key", "OPENAI_API_KEY": "sk-test"}
BEDROCK = "/model/us.anthropic.claude-haiku-4-5-20251001-v1:0/invoke"


@pytest.fixture
def chain(  # type: ignore[no-untyped-def]
    standin: LLMStandIn,
    settings: AppSettings,
    config: StrategyConfig,
    ledger: InMemoryLedger,
    clock: ManualClock,
    sleeps: tuple[list[float], Callable[[float], None]],
) -> Callable[..., Any]:
    def make(name: str, **kw: Any) -> Any:
        kw.setdefault("retry", RetryPolicy(max_retries=0))
        return make_analyst(
            name,
            settings,
            config,
            ledger,
            clock,
            endpoint_url=standin.url,
            sleep=sleeps[1],
            env=KEYS,
            **kw,
        )

    return make


def test_falls_to_the_next_provider_and_records_each_failure(chain, standin, ledger) -> None:
    standin.push(Reply("status", status=500), Reply("tool", GOOD))
    a = chain("bedrock,anthropic")
    assert isinstance(a, ChainAnalyst)
    advice, result, record = a.analyze_with_result(five_symbol_view())
    assert advice.source == "bedrock>anthropic"
    assert advice.multipliers == ThresholdMultipliers(mr_arm=1.2, tc_arm=0.8)
    assert result.market_assessment == "bullish"
    assert [r.path for r in standin.received] == [BEDROCK, "/v1/messages"]
    failed, answered = ledger.records()
    assert (failed.provider, failed.model) == (
        "bedrock",
        "us.anthropic.claude-haiku-4-5-20251001-v1:0",
    )
    assert failed.error is not None and "HTTP 500" in failed.error
    assert (answered.provider, answered.model, answered.error) == (
        "anthropic",
        "claude-haiku-4-5",
        None,
    )
    assert record == answered


def test_stops_at_the_first_success(chain, standin, ledger) -> None:
    standin.push(Reply("tool", GOOD))
    advice = chain("bedrock,anthropic,openai,rules").analyze(five_symbol_view())
    assert advice.source == "bedrock" and standin.calls == 1 and len(ledger) == 1


def test_neutral_at_the_end_when_every_provider_fails(chain, standin, ledger) -> None:
    standin.push(Reply("status", status=400), Reply("refusal"))
    advice, result, _ = chain("bedrock,openai,neutral").analyze_with_result(five_symbol_view())
    assert advice.multipliers == NEUTRAL and advice.per_symbol == {}
    assert advice.source.startswith("bedrock>openai:neutral:bedrock: HTTP 400")
    assert "openai: refusal" in advice.source
    assert result.reasoning.startswith("neutral fallback:")
    assert [r.provider for r in ledger.records()] == ["bedrock", "openai"]
    assert all(r.error for r in ledger.records())


def test_rules_at_the_end_answers_when_the_llms_fail(chain, standin, config) -> None:
    standin.default = Reply("status", status=400)
    view = five_symbol_view()
    advice = chain("bedrock-converse,rules").analyze(view)
    assert advice.source == "bedrock-converse>rules"
    assert advice.multipliers == rules_analysis(view, config).threshold_multipliers


def test_an_open_breaker_skips_its_provider_without_a_call(chain, standin, ledger, clock) -> None:
    standin.push(Reply("status", status=500), Reply("tool", GOOD), Reply("tool", GOOD))
    a = chain("bedrock,anthropic", breaker_threshold=1, breaker_cooldown=timedelta(minutes=5))
    assert a.analyze(five_symbol_view()).source == "bedrock>anthropic"
    clock.advance(timedelta(minutes=1))
    advice = a.analyze(five_symbol_view(as_of=clock.now()))
    assert advice.source == "bedrock>anthropic"
    assert [r.path for r in standin.received] == [BEDROCK, "/v1/messages", "/v1/messages"]
    skipped = ledger.records()[2]
    assert (skipped.provider, skipped.error) == ("bedrock", "skipped: circuit breaker open")
    assert skipped.cost_usd == 0


def test_breakers_are_per_provider_and_the_budget_is_shared(settings, ledger, clock) -> None:
    llms = make_llms("bedrock,anthropic,openai,rules", settings, ledger, clock, env=KEYS)
    assert set(llms) == {"bedrock", "anthropic", "openai"}
    breakers = {id(x.breaker) for x in llms.values()}
    budgets = {id(x.budget) for x in llms.values()}
    assert len(breakers) == 3 and len(budgets) == 1


def test_a_spent_budget_skips_every_llm_and_lands_on_the_last_resort(
    standin, config, clock, sleeps
) -> None:
    settings = AppSettings(llm_daily_budget_usd=0.001)
    ledger = InMemoryLedger()
    standin.default = Reply("tool", GOOD, tokens_in=2000, tokens_out=100)
    a = make_analyst(
        "bedrock,anthropic,rules",
        settings,
        config,
        ledger,
        clock,
        endpoint_url=standin.url,
        sleep=sleeps[1],
        env=KEYS,
    )
    assert a.analyze(five_symbol_view()).source == "bedrock"  # spends more than the limit
    advice = a.analyze(five_symbol_view())
    assert advice.source == "bedrock>anthropic>rules" and standin.calls == 1
    assert [r.error for r in ledger.records()[1:]] == [
        "skipped: daily LLM budget $0.001 reached"
    ] * 2


def test_a_chained_run_replays_exactly_without_network(
    standin, settings, config, clock, sleeps, tmp_path: Path
) -> None:
    ledger = JsonlLedger(tmp_path / "llm_calls.jsonl")
    standin.push(
        Reply("status", status=500),  # bedrock fails -> anthropic answers
        Reply("tool", GOOD),
        Reply(
            "tool",
            dict(GOOD, threshold_multipliers=dict(GOOD["threshold_multipliers"], tc_arm=1.3)),
        ),
        Reply("status", status=400),  # both fail -> neutral
        Reply("status", status=400),
    )
    live = make_analyst(
        "bedrock,anthropic",
        settings,
        config,
        ledger,
        clock,
        endpoint_url=standin.url,
        sleep=sleeps[1],
        retry=RetryPolicy(max_retries=0),
        env=KEYS,
    )
    views = [five_symbol_view(as_of=clock.now() + timedelta(minutes=15 * i)) for i in range(3)]
    first = [live.analyze_with_result(v)[:2] for v in views]
    assert [a.source.split(":")[0] for a, _ in first] == [
        "bedrock>anthropic",
        "bedrock",
        "bedrock>anthropic",
    ]
    standin.stop()
    replayer = make_analyst("replay", settings, config, JsonlLedger(ledger.path), clock)
    again = [replayer.analyze_with_result(v)[:2] for v in views]
    assert [a.multipliers for a, _ in again] == [a.multipliers for a, _ in first]
    assert [r.threshold_multipliers for _, r in again] == [
        r.threshold_multipliers for _, r in first
    ]
    assert again[2][0].multipliers == NEUTRAL


def test_validator_chain_falls_back_and_neutral_means_undecided(
    standin, settings, clock, sleeps
) -> None:
    cfg = StrategyConfig(validation_enabled=True)
    standin.default = Reply("status", status=400)
    kw: dict[str, Any] = {
        "endpoint_url": standin.url,
        "sleep": sleeps[1],
        "retry": RetryPolicy(max_retries=0),
        "env": KEYS,
    }
    led = InMemoryLedger()
    to_rules = make_validator("bedrock,rules", settings, cfg, led, clock, **kw)
    assert isinstance(to_rules, ChainValidator)
    assert to_rules.validate(signal(), five_symbol_view()) is True  # rules decided
    assert to_rules.last_route == ["bedrock", "rules"]
    undecided = make_validator("openai,neutral", settings, cfg, led, clock, **kw)
    assert undecided is not None
    assert undecided.validate(signal(), five_symbol_view()) is None  # failure policy decides
    assert [r.provider for r in led.records()] == ["bedrock", "openai"]


def test_summary_reports_the_routes_and_loudly_the_neutral_fallbacks(chain, standin) -> None:
    standin.push(Reply("tool", GOOD))
    standin.default = Reply("status", status=400)
    a = chain("bedrock,anthropic")
    advices = [a.analyze(five_symbol_view()) for _ in range(4)]
    lines = analyst_report(advices)
    assert lines[0] == "analyses answered by: bedrock 1"
    assert lines[1].startswith("WARNING: 3 of 4 analyses fell back to NEUTRAL advice")
    assert "3x bedrock: HTTP 400: BadRequestError; anthropic: HTTP 400" in lines[1]
    assert analyst_report(advices[:1]) == ["analyses answered by: bedrock 1"]
