"""Trade validation on the live path, driven from outside the pure engine.

The spec validates a signal after sizing and the risk guards, and a later signal of the same
minute depends on the earlier ones' outcome (position slots, committed buying power, daily
risk). So the protocol is sequential: ``Engine.step(..., validate=True)`` stops at each
candidate (``StepResult.awaiting``), the driver asks its validator, ``Engine.resume(verdict)``
decides it and moves on, until the minute is complete. The engine never sees a validator
(no I/O, no paid call inside the step); every driver (the live tick, replay, the local day
through the tick, ``live --paper``) uses ``step_minute`` below, so they take the same
decisions for the same verdicts.

Each verdict becomes a ``ValidationRecord`` (an ``llm_validations`` row): linked to its
signal by ``client_order_id``, stamped with the signal bar's close (``decided_at``), never a
wall clock, so a rerun or a replay writes the same row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from llm_advisor.analysis.validator import last_note
from llm_advisor.core.models import MarketView
from llm_advisor.core.ports import TradeValidatorPort
from llm_advisor.engine.grid import MinuteBars
from llm_advisor.live.engine import Engine, StepResult

Verdict = Literal["approve", "reject", "undecided"]
ViewFor = Callable[[datetime], MarketView]
"""The validator's view at a candidate's ``as_of`` (``Engine.market_view`` with the day's
premarket bias, news and VIX: what the driver knows, the engine does not)."""


@dataclass(frozen=True)
class ValidationRecord:
    """One verdict on one signal (the ``llm_validations`` row)."""

    client_order_id: str
    symbol: str
    signal_time: datetime
    verdict: Verdict
    decided_at: datetime
    provider: str
    model: str | None = None
    request_hash: str | None = None
    reasoning: str = ""
    confidence: float | None = None
    cost_usd: Decimal = Decimal(0)
    latency_ms: int = 0


def step_minute(
    engine: Engine,
    minute: datetime,
    bars: MinuteBars,
    validator: TradeValidatorPort | None,
    view_for: ViewFor,
    *,
    log_minutes: bool = False,
) -> tuple[StepResult, list[ValidationRecord]]:
    """One complete minute: step, then a verdict per candidate until none awaits.

    No validator (or ``validation_enabled`` off): one plain ``step``, no overhead."""
    if validator is None or not engine.config.validation_enabled:
        return engine.step(minute, bars, log_minutes=log_minutes), []
    res = engine.step(minute, bars, log_minutes=log_minutes, validate=True)
    records: list[ValidationRecord] = []
    while res.awaiting is not None:
        cand = res.awaiting
        signal = cand.signal.to_model()
        verdict = validator.validate(signal, view_for(cand.as_of))
        note = last_note(validator)
        records.append(
            ValidationRecord(
                client_order_id=signal.client_order_id,
                symbol=signal.symbol,
                signal_time=signal.signal_time,
                verdict="undecided" if verdict is None else ("approve" if verdict else "reject"),
                decided_at=cand.as_of,
                provider=note.provider,
                model=note.model,
                request_hash=note.request_hash,
                reasoning=note.reasoning,
                confidence=note.confidence,
                cost_usd=note.cost_usd,
                latency_ms=note.latency_ms,
            )
        )
        res = engine.resume(verdict)
    return res, records


__all__ = ["ValidationRecord", "Verdict", "ViewFor", "step_minute"]
