"""An LLM validator's calls go through the ledger like the analyst's: replaying the run from
the ledger asks no model and gives the same verdicts, so the same trades."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

from llm_advisor.analysis.factory import make_llm
from llm_advisor.analysis.gateway import StructuredLLM
from llm_advisor.analysis.ledger import InMemoryLedger
from llm_advisor.analysis.transports import LLMReply, LLMRequest
from llm_advisor.analysis.validator import TradeValidator
from llm_advisor.core.clock import ManualClock
from llm_advisor.core.config import AppSettings, StrategyConfig
from llm_advisor.replay import inputs
from llm_advisor.replay.runner import run_replay

SETTINGS = AppSettings()


class _Model:
    """A model that vetoes about half of the trades, decided by the prompt's bytes."""

    provider = "bedrock"
    model = SETTINGS.bedrock_model_id

    def __init__(self) -> None:
        self.calls = 0

    def send(self, request: LLMRequest, timeout_s: float) -> LLMReply:
        self.calls += 1
        go = hashlib.sha256(request.user.encode()).digest()[0] % 2 == 0
        answer = {"should_execute": go, "confidence": 70, "reasoning": "scripted"}
        return LLMReply(answer, "", "tool_use", tokens_in=600, tokens_out=40)


def test_replaying_the_ledger_gives_the_same_verdicts_without_a_call() -> None:
    cfg = StrategyConfig(mr_arm_z=0.9, mr_trigger_z=0.4)
    inp = inputs.synthetic(["SPY", "QQQ", "NVDA"], date(2026, 3, 2), 2, history=12)
    clock = ManualClock(datetime(2026, 3, 4, tzinfo=UTC))
    ledger, model = InMemoryLedger(), _Model()
    live = TradeValidator(StructuredLLM(model, ledger, clock))
    first = run_replay(cfg, inp.bars, inp.start, inp.end, None, live, validator_name="bedrock")
    verdicts = [(v.client_order_id, v.verdict, v.request_hash) for v in first.validations]
    assert {"approve", "reject"} <= {v for _, v, _ in verdicts}
    assert model.calls == len(verdicts) == len(ledger)
    assert all(v.model == model.model and v.cost_usd > 0 for v in first.validations)

    replayed = TradeValidator(make_llm("replay", SETTINGS, ledger, clock))
    again = run_replay(cfg, inp.bars, inp.start, inp.end, None, replayed, validator_name="replay")
    assert model.calls == len(verdicts)  # nothing sent
    assert [(v.client_order_id, v.verdict, v.request_hash) for v in again.validations] == verdicts
    assert again.trades == first.trades and again.signals == first.signals
