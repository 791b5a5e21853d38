"""Record a real day's LLM prompts without calling a model: the input of ``llm-cost``.

A replay of one session runs with the rules analyst; at each of the day's analysis times
the very request a ``MarketAnalyzer`` would send (same builder, same schema) is written to a
ledger with the rules answer as the reply, and every signal that reaches validation writes
the ``TradeValidator`` request the same way (approved, so the day's flow matches a validator
that says yes: the validation count is the day's accepted signals). Tokens and cost in the
rows are zero: pricing is ``cost_model``'s job, for every provider at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from llm_advisor.analysis.analyzer import MarketAnalyzer
from llm_advisor.analysis.gateway import StructuredLLM
from llm_advisor.analysis.ledger import InMemoryLedger, LedgerPort, LLMCallRecord, request_hash
from llm_advisor.analysis.rules import RulesAnalyst
from llm_advisor.analysis.transports import LLMReply, LLMRequest
from llm_advisor.analysis.validator import TradeValidator
from llm_advisor.core.clock import ManualClock
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import Advice, MarketView, Signal

RECORDED_PROVIDER = "replay-rules"
RECORDED_MODEL = "rules"


def _builder_llm() -> StructuredLLM:
    """A never-called client: only the request builders of the analyzer/validator are used."""
    return StructuredLLM(
        None,
        InMemoryLedger(),
        ManualClock(datetime(2000, 1, 1, tzinfo=UTC)),
        mode="replay",
        replay_models=(RECORDED_MODEL,),
    )


def _record(ledger: LedgerPort, req: LLMRequest, answer: dict[str, Any], at: datetime) -> None:
    reply = LLMReply(tool_input=answer, text="", stop_reason="tool_use")
    ledger.record(
        LLMCallRecord(
            request_hash=request_hash(RECORDED_MODEL, req.prompt(), req.schema),
            provider=RECORDED_PROVIDER,
            model=RECORDED_MODEL,
            request=req.to_dict(RECORDED_MODEL),
            response=reply.to_dict(),
            decision_time=at,
            created_at=at,
        )
    )


class RecordingAnalyst:
    """The rules analyst, writing each analysis request into ``ledger``."""

    provider = RECORDED_PROVIDER

    def __init__(self, config: StrategyConfig, ledger: LedgerPort) -> None:
        self.rules = RulesAnalyst(config)
        self.builder = MarketAnalyzer(_builder_llm(), config)
        self.ledger = ledger
        self.calls = 0

    def analyze(self, view: MarketView) -> Advice:
        advice, result, _ = self.rules.analyze_with_result(view)
        answer = result.model_dump(mode="json")
        _record(self.ledger, self.builder.request(view), answer, view.as_of)
        self.calls += 1
        return advice


class RecordingValidator:
    """Approves every signal, writing the validation request it would have sent."""

    def __init__(self, ledger: LedgerPort) -> None:
        self.builder = TradeValidator(_builder_llm())
        self.ledger = ledger
        self.calls = 0

    def validate(self, signal: Signal, view: MarketView) -> bool | None:
        answer = {"should_execute": True, "confidence": 60.0, "reasoning": "recorded: approve"}
        _record(self.ledger, self.builder.request(signal, view), answer, view.as_of)
        self.calls += 1
        return True


@dataclass(frozen=True)
class RecordedDay:
    day: date
    symbols: list[str]
    analyses: int
    validations: int
    accepted_signals: int
    trades: int


def record_day(
    bars_dir: Path,
    day: date,
    symbols: list[str],
    ledger: LedgerPort,
    *,
    daily_dir: Path | None = None,
    news_file: Path | None = None,
    config: StrategyConfig | None = None,
) -> RecordedDay:
    """Replay ``day`` for ``symbols`` from ``bars_dir`` and record its prompts in ``ledger``.

    The premarket step's biases (packaged bias model, ``daily_dir``) and news summary
    (``news_file``) enter the prompts as they would live."""
    from llm_advisor.premarket.bias.model import load_bias_model
    from llm_advisor.premarket.news.files import read_news_csv
    from llm_advisor.replay import inputs
    from llm_advisor.replay.premarket import ReplayPremarket
    from llm_advisor.replay.runner import run_replay

    cfg = (config or StrategyConfig()).with_overrides({"validation_enabled": "true"})
    inp = inputs.from_directory(bars_dir, symbols, day, day, daily_dir)
    news = read_news_csv(news_file) if news_file else []
    pre = ReplayPremarket(list(inp.bars), inp.daily, load_bias_model(), news)
    analyst = RecordingAnalyst(cfg, ledger)
    validator = RecordingValidator(ledger)
    result = run_replay(
        cfg,
        inp.bars,
        day,
        day,
        analyst,
        validator,
        inp.daily,
        analyst_name="rules-recorded",
        premarket=pre,
        show_progress=False,
    )
    accepted = sum(1 for s in result.signals if s.status == "accepted")
    return RecordedDay(
        day, sorted(inp.bars), analyst.calls, validator.calls, accepted, len(result.trades)
    )


__all__ = ["RecordedDay", "RecordingAnalyst", "RecordingValidator", "record_day"]
