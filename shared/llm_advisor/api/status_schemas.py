"""The ``GET /api/status`` response: is the loop alive, and why the strip is its colour.

Its own module (not ``schemas.py``): it describes the running system, not the trading
record, and grows with the loop's components. Same conventions as the record's schemas:
money a decimal string, times ISO-8601 UTC, absent values explicit nulls.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from llm_advisor.api.schemas import Money, RunId, UtcTime, _Out


class StatusReasonOut(_Out):
    level: Literal["amber", "red"]
    code: str = Field(description="tick_stale, monitor_stale, kill_switch, dlq, errors, ...")
    message: str


class TickStatusOut(_Out):
    at: UtcTime | None = Field(description="When the tick last ran (its scheduled time)")
    ok: bool | None
    last_ok_at: UtcTime | None
    age_seconds: int | None = Field(description="Seconds since the last successful tick")
    status: str | None = Field(description="stepped, up_to_date, closed, ... (run_tick)")
    minutes: int | None = Field(description="Minutes the last tick processed")
    last_minute: UtcTime | None
    duration_ms: int | None
    bars_quarantined: int | None
    bars_late: int | None


class EngineStatusOut(_Out):
    symbols: int
    armed: int = Field(description="Symbols armed (mean-reversion or trend setup)")
    in_position: int


class BrokerStatusOut(_Out):
    reachable: bool | None = Field(description="The last position monitor run reached it")
    checked_at: UtcTime | None
    equity: Money | None
    error: str | None


class AnalysisStatusOut(_Out):
    at: UtcTime | None
    provider: str | None
    source: str | None = Field(description="The advice's source (':neutral:' = fell back)")
    fallback: bool | None
    mult_mr_arm: float | None
    mult_mr_trigger: float | None
    mult_tc_arm: float | None
    mult_tc_trigger: float | None
    fallbacks_today: int
    validator_failures_today: int


class QueueStatusOut(_Out):
    queue_depth: int | None
    dlq_depth: int | None
    checked_at: UtcTime | None


class ComponentOut(_Out):
    name: str
    at: UtcTime
    ok: bool
    last_ok_at: UtcTime | None


class AlertOut(_Out):
    at: UtcTime
    kind: str
    severity: Literal["info", "warning", "critical"]
    subject: str
    sent: bool


class StatusResponse(_Out):
    run_id: RunId
    now: UtcTime
    session_date: date = Field(description="Today in New York")
    in_session: bool
    level: Literal["green", "amber", "red"]
    reasons: list[StatusReasonOut]
    tick: TickStatusOut
    engine: EngineStatusOut | None
    open_positions: int
    kill_switch: bool
    broker: BrokerStatusOut
    analysis: AnalysisStatusOut
    queues: QueueStatusOut
    errors_today: int
    alerts_today: list[AlertOut] = Field(description="Today's alerts, newest first (max 20)")
    components: list[ComponentOut]
