"""The OpenAI provider: the official ``openai`` client against the local stand-in speaking
chat completions, its error bodies and its malformed replies. Every outcome is the one the
failure policy of docs/analysis.md gives the other providers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from llm_advisor.analysis.analyzer import MarketAnalyzer
from llm_advisor.analysis.factory import make_analyst, make_validator
from llm_advisor.analysis.guards import RetryPolicy
from llm_advisor.analysis.ledger import InMemoryLedger
from llm_advisor.analysis.openai_transport import parse_chat_completion
from llm_advisor.analysis.pricing import PriceTable
from llm_advisor.analysis.transports import MalformedReplyError
from llm_advisor.analysis.validator import TradeValidator
from llm_advisor.core.clock import ManualClock
from llm_advisor.core.config import AppSettings, StrategyConfig
from llm_advisor.core.models import ThresholdMultipliers

from .conftest import GOOD, LLMStandIn, Reply, five_symbol_view
from .test_prompts import signal

NEUTRAL = ThresholdMultipliers()
MODEL = "gpt-4.1-mini"


@pytest.fixture
def openai(  # type: ignore[no-untyped-def]
    standin: LLMStandIn,
    settings: AppSettings,
    config: StrategyConfig,
    ledger: InMemoryLedger,
    clock: ManualClock,
    sleeps: tuple[list[float], Callable[[float], None]],
) -> Callable[..., MarketAnalyzer]:
    def make(**kw: Any) -> MarketAnalyzer:
        a = make_analyst(
            "openai",
            settings,
            config,
            ledger,
            clock,
            endpoint_url=standin.url,
            sleep=sleeps[1],
            env={"OPENAI_API_KEY": "sk-test"},
            **kw,
        )
        assert isinstance(a, MarketAnalyzer)
        return a

    return make


def test_good_answer_forced_function_call_and_usage(openai, standin, ledger) -> None:
    standin.push(Reply("tool", GOOD, tokens_in=1500, tokens_out=150))
    advice, result, record = openai().analyze_with_result(five_symbol_view())
    assert advice.source == "openai"
    assert advice.multipliers == ThresholdMultipliers(mr_arm=1.2, tc_arm=0.8)
    assert result.opportunities == ["NVDA"]
    assert record is not None and record.ok and record.provider == "openai"
    assert (record.model, record.tokens_in, record.tokens_out) == (MODEL, 1500, 150)
    assert record.cost_usd == PriceTable().cost(MODEL, 1500, 150)
    got = standin.received[0]
    assert got.path == "/chat/completions"
    assert {k.lower(): v for k, v in got.headers.items()}["authorization"] == "Bearer sk-test"
    assert {k.lower(): v for k, v in got.headers.items()}["x-stainless-retry-count"] == "0"
    body = got.body
    assert body["model"] == MODEL and body["temperature"] == 0
    assert body["tool_choice"] == {"type": "function", "function": {"name": "market_analysis"}}
    (tool,) = body["tools"]
    assert tool["type"] == "function" and tool["function"]["name"] == "market_analysis"
    assert tool["function"]["parameters"]["properties"]["threshold_multipliers"]
    assert body["max_completion_tokens"] == 400
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert len(ledger) == 1


def test_429_and_500_are_retried_with_backoff(openai, standin, sleeps) -> None:
    standin.push(Reply("status", status=429), Reply("status", status=500), Reply("tool", GOOD))
    advice = openai().analyze(five_symbol_view())
    assert advice.source == "openai" and standin.calls == 3
    assert sleeps[0] == [0.5, 1.0]


def test_persistent_5xx_is_neutral_after_the_retries(openai, standin, ledger) -> None:
    standin.default = Reply("status", status=500)
    advice, _, record = openai().analyze_with_result(five_symbol_view())
    assert advice.multipliers == NEUTRAL and standin.calls == 3
    assert advice.source.startswith("openai:neutral:HTTP 500: InternalServerError")
    assert record is not None and "attempt 3/3" in (record.error or "")


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        (Reply("status", status=429, payload="insufficient_quota"), "HTTP 429"),
        (Reply("status", status=400), "HTTP 400: BadRequestError"),
        (Reply("status", status=401, payload="invalid_api_key"), "HTTP 401"),
    ],
)
def test_permanent_errors_are_not_retried(openai, standin, ledger, reply, why) -> None:
    standin.push(reply)
    advice = openai().analyze(five_symbol_view())
    assert advice.multipliers == NEUTRAL and why in advice.source
    assert standin.calls == 1 and ledger.records()[0].error


def test_refusal_is_neutral_without_repair(openai, standin) -> None:
    standin.push(Reply("refusal"))
    advice = openai().analyze(five_symbol_view())
    assert advice.multipliers == NEUTRAL and "refusal" in advice.source
    assert standin.calls == 1


def test_arguments_that_are_not_json_get_one_repair(openai, standin, ledger) -> None:
    standin.push(Reply("bad_args", '{"market_assessment": "bull'), Reply("tool", GOOD))
    advice = openai().analyze(five_symbol_view())
    assert advice.source == "openai:repaired" and advice.multipliers.tc_arm == 0.8
    assert standin.calls == 2
    assert "previous answer was rejected" in standin.received[1].body["messages"][1]["content"]
    first, second = ledger.records()
    assert first.error and second.ok


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        (Reply("no_content"), "`choices` is missing"),
        (Reply("null_content"), "`choices` is a JSON null"),
        (Reply("empty_content"), "`choices` is empty"),
        (Reply("no_tool"), "no tool call and no text"),
        (Reply("bad_input", ["a"]), "is a JSON array, not an object"),
        (Reply("raw", "<html>"), "body is not JSON"),
    ],
)
def test_malformed_reply_is_a_recorded_failure(openai, standin, ledger, reply, why) -> None:
    standin.push(reply)
    a = openai(breaker_threshold=1)
    advice = a.analyze(five_symbol_view())
    assert advice.multipliers == NEUTRAL and standin.calls == 1  # no retry, no repair
    (row,) = ledger.records()
    assert why in (row.error or "")
    billed = reply.kind != "raw"
    assert (row.tokens_in, row.tokens_out) == ((900, 120) if billed else (0, 0))
    assert a.llm.breaker is not None and a.llm.breaker.state == "open"


def test_no_usage_block_charges_nothing(openai, standin, ledger) -> None:
    standin.push(Reply("no_tool", usage=False))
    openai().analyze(five_symbol_view())
    (row,) = ledger.records()
    assert row.cost_usd == 0 and "nothing charged" in (row.error or "")


def test_timeout_is_transient(openai, standin) -> None:
    standin.push(Reply("hang"))
    standin.default = Reply("tool", GOOD)
    advice = openai(timeout_s=0.3).analyze(five_symbol_view())
    assert advice.source == "openai" and standin.calls == 2


def test_validator_on_openai(standin, settings, clock, sleeps) -> None:
    cfg = StrategyConfig(validation_enabled=True)
    standin.push(Reply("tool", {"should_execute": False, "confidence": 70, "reasoning": "news"}))
    v = make_validator(
        "openai",
        settings,
        cfg,
        InMemoryLedger(),
        clock,
        endpoint_url=standin.url,
        sleep=sleeps[1],
        retry=RetryPolicy(max_retries=0),
        env={"OPENAI_API_KEY": "sk-test"},
    )
    assert isinstance(v, TradeValidator)
    assert v.validate(signal(), five_symbol_view()) is False
    assert standin.received[0].body["tool_choice"]["function"]["name"] == "trade_verdict"


def test_parser_reads_the_first_call_and_text_answers() -> None:
    body: dict[str, Any] = {
        "choices": [{"message": {"content": 'here: {"a": 1}', "tool_calls": None}}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4},
    }
    reply = parse_chat_completion(json.dumps(body))
    assert reply.tool_input is None and reply.text == 'here: {"a": 1}'
    assert (reply.tokens_in, reply.tokens_out) == (3, 4)
    body["choices"][0]["message"]["tool_calls"] = [{"type": "function", "function": {}}]
    with pytest.raises(MalformedReplyError, match=r"function\.arguments` is a JSON null"):
        parse_chat_completion(json.dumps(body))
