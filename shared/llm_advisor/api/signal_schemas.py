"""The responses about decisions: the analyst's advice, the signals, the per-minute features.

They explain the trades rather than count money: which thresholds were in force, what the
engine saw each minute and what the analyst said. Kept apart from the money responses
(``trade_schemas``) because they follow the engine's and analyst's shapes, not the ledger's.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from llm_advisor.api.schema_base import Money, RunId, UtcTime, _Out, money, opt_money, utc
from llm_advisor.core.ports import AnalysisRow, SignalRow

if TYPE_CHECKING:
    from llm_advisor.storage.minute_log import MinuteRow


class Multipliers(_Out):
    mr_arm: float
    mr_trigger: float
    tc_arm: float
    tc_trigger: float


class AnalysisOut(_Out):
    timestamp: UtcTime
    session_date: date
    provider: str
    model: str | None
    market_assessment: str
    confidence: float
    multipliers: Multipliers
    reasoning: str
    per_symbol: dict[str, dict[str, float]]

    @classmethod
    def of(cls, r: AnalysisRow) -> AnalysisOut:
        return cls(
            timestamp=utc(r.timestamp),
            session_date=r.session_date,
            provider=r.provider,
            model=r.model,
            market_assessment=r.market_assessment,
            confidence=r.confidence,
            multipliers=Multipliers(
                mr_arm=r.mult_mr_arm,
                mr_trigger=r.mult_mr_trigger,
                tc_arm=r.mult_tc_arm,
                tc_trigger=r.mult_tc_trigger,
            ),
            reasoning=r.reasoning,
            per_symbol={k: dict(v) for k, v in r.per_symbol.items()},
        )


class AnalysisResponse(_Out):
    run_id: RunId
    at: UtcTime | None = Field(description="The requested time; null = latest")
    analysis: AnalysisOut | None = Field(description="null when none at or before `at`")


# ------------------------------------------------------------------ signals


class ThresholdsUsed(_Out):
    mr_arm_z: float
    mr_trigger_z: float
    tc_arm_z: float
    tc_trigger_z: float


class SignalOut(_Out):
    signal_time: UtcTime
    symbol: str
    setup: str
    side: str
    status: str
    reject_reason: str
    z: float
    ref_price: Money
    stop_price: Money | None
    target_price: Money | None
    qty: int
    thresholds: ThresholdsUsed
    client_order_id: str

    @classmethod
    def of(cls, r: SignalRow) -> SignalOut:
        return cls(
            signal_time=utc(r.signal_time),
            symbol=r.symbol,
            setup=r.setup,
            side=r.side,
            status=r.status,
            reject_reason=r.reject_reason,
            z=r.z,
            ref_price=money(r.ref_price),
            stop_price=opt_money(r.stop_price),
            target_price=opt_money(r.target_price),
            qty=r.qty,
            thresholds=ThresholdsUsed(
                mr_arm_z=r.mr_arm_z,
                mr_trigger_z=r.mr_trigger_z,
                tc_arm_z=r.tc_arm_z,
                tc_trigger_z=r.tc_trigger_z,
            ),
            client_order_id=r.client_order_id,
        )


# ------------------------------------------------------------------ per-minute features


class MinuteOut(_Out):
    time: UtcTime = Field(description="Start of the 1-minute bar")
    close: float
    z: float | None = Field(description="null while the rolling window is not ready")
    mu: float | None = Field(description="Rolling mean of the closes")
    sigma: float | None = Field(description="Rolling standard deviation of the closes")
    atr_5m: float | None = Field(description="5-minute ATR; null until warmed up")
    state: str = Field(description="State after the minute: idle, mr_armed, tc_armed, ...")
    side: Literal["long", "short"] | None = Field(
        description="Direction while armed or in a position, else null"
    )
    thresholds: ThresholdsUsed = Field(description="Effective, after the analyst's multipliers")

    @classmethod
    def of(cls, r: MinuteRow) -> MinuteOut:
        return cls(
            time=utc(r.timestamp),
            close=r.close,
            z=r.z,
            mu=r.mu,
            sigma=r.sigma,
            atr_5m=r.atr_5m,
            state=r.state,
            side="long" if r.side > 0 else "short" if r.side < 0 else None,
            thresholds=ThresholdsUsed(
                mr_arm_z=r.mr_arm_z,
                mr_trigger_z=r.mr_trigger_z,
                tc_arm_z=r.tc_arm_z,
                tc_trigger_z=r.tc_trigger_z,
            ),
        )


class FeaturesResponse(_Out):
    run_id: RunId
    symbol: str
    date: date
    items: list[MinuteOut] = Field(description="One per logged minute, oldest first")


class SignalsResponse(_Out):
    run_id: RunId
    start_date: date
    end_date: date
    symbol: str | None
    items: list[SignalOut]
    limit: int
    offset: int
    next_offset: int | None = Field(description="offset of the next page; null on the last")
