"""The response contract of the portfolio API, separate from storage's row models.

Storage rows may grow columns or change types; the JSON a website consumes must not. So
every response is built here field by field: money is a decimal *string* (a float would turn
``0.1 + 0.2`` into ``0.30000000000000004`` in the browser), times are ISO-8601 UTC with a
``Z``, and optional fields are always present as ``null`` rather than missing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from llm_advisor.core.money import fmt_decimal
from llm_advisor.core.ports import (
    AnalysisRow,
    DailyBiasRow,
    DayPnl,
    PnlReport,
    PositionRow,
    RunRow,
    SignalRow,
    TradeRow,
)

if TYPE_CHECKING:
    from llm_advisor.storage.minute_log import MinuteRow

MONEY_PATTERN = r"^-?\d+(\.\d+)?$"
Money = Annotated[
    str,
    Field(pattern=MONEY_PATTERN, description="Exact decimal as a string", examples=["123.45"]),
]
UtcTime = Annotated[datetime, Field(description="ISO-8601 in UTC, e.g. 2024-03-01T14:35:00Z")]
RunId = Annotated[
    str,
    Field(description="The run these records belong to (see GET /api/runs)", examples=["live"]),
]


def money(x: Decimal) -> str:
    return fmt_decimal(x)


def opt_money(x: Decimal | None) -> str | None:
    return None if x is None else fmt_decimal(x)


def utc(ts: datetime) -> datetime:
    """Normalize to UTC; a naive value from storage is UTC (SQLite keeps UTC text)."""
    if ts.tzinfo is None or ts.tzinfo.utcoffset(ts) is None:
        return ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ------------------------------------------------------------------ errors


class FieldProblem(_Out):
    field: str = Field(description="Parameter name, e.g. start_date")
    location: str = Field(description="query, path or header")
    type: str = Field(description="Machine-readable reason, e.g. date_from_datetime_parsing")
    message: str


class ErrorBody(_Out):
    status: int
    error: str = Field(description="validation_error, bad_request, not_found, internal_error")
    message: str
    fields: list[FieldProblem] = []
    request_id: str | None


# ------------------------------------------------------------------ health


class Health(_Out):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unavailable"]
    time: UtcTime
    version: str


# ------------------------------------------------------------------ daily bias


class BiasOut(_Out):
    date: date
    symbol: str
    bias: Literal["bullish", "bearish", "choppy"]
    confidence: float
    htf_bias: str | None
    news_summary: str | None
    model_version: str | None

    @classmethod
    def of(cls, r: DailyBiasRow) -> BiasOut:
        return cls(
            date=r.date,
            symbol=r.symbol,
            bias=r.bias,
            confidence=r.confidence,
            htf_bias=r.htf_bias,
            news_summary=r.news_summary,
            model_version=r.model_version,
        )


class DailyBiasResponse(_Out):
    date: date
    symbol: str | None
    items: list[BiasOut]


# ------------------------------------------------------------------ trades


class TradeOut(_Out):
    id: int
    run_id: str | None
    symbol: str
    setup: str
    side: str
    signal_time: UtcTime
    entry_time: UtcTime
    entry_price: Money
    exit_time: UtcTime
    exit_price: Money
    qty: int
    exit_reason: str
    pnl: Money
    commission: Money
    client_order_id: str

    @classmethod
    def of(cls, r: TradeRow) -> TradeOut:
        return cls(
            id=r.id,
            run_id=r.run_id,
            symbol=r.symbol,
            setup=r.setup,
            side=r.side,
            signal_time=utc(r.signal_time),
            entry_time=utc(r.entry_time),
            entry_price=money(r.entry_price),
            exit_time=utc(r.exit_time),
            exit_price=money(r.exit_price),
            qty=r.qty,
            exit_reason=r.exit_reason,
            pnl=money(r.pnl),
            commission=money(r.commission),
            client_order_id=r.client_order_id,
        )


class TradesResponse(_Out):
    run_id: RunId
    start_date: date
    end_date: date
    symbol: str | None
    items: list[TradeOut]
    total: int = Field(description="Trades matching the filter, over all pages")
    limit: int
    offset: int
    next_offset: int | None = Field(description="offset of the next page; null on the last")


# ------------------------------------------------------------------ P/L


class DayPnlOut(_Out):
    date: date
    realized: Money
    fees: Money
    trades: int
    wins: int

    @classmethod
    def of(cls, d: DayPnl) -> DayPnlOut:
        return cls(
            date=d.date,
            realized=money(d.realized),
            fees=money(d.fees),
            trades=d.trades,
            wins=d.wins,
        )


class EquityPointOut(_Out):
    time: UtcTime
    equity: Money


class PnlResponse(_Out):
    run_id: RunId
    start_date: date
    end_date: date
    days: list[DayPnlOut]
    total_realized: Money
    total_fees: Money
    trades: int
    win_rate: float | None = Field(description="wins / trades in [0, 1]; null without trades")
    max_drawdown: Money = Field(description="Largest peak-to-trough fall of equity (>= 0)")
    equity_curve: list[EquityPointOut]

    @classmethod
    def of(cls, p: PnlReport, run_id: str) -> PnlResponse:
        return cls(
            run_id=run_id,
            start_date=p.start_date,
            end_date=p.end_date,
            days=[DayPnlOut.of(d) for d in p.days],
            total_realized=money(p.total_realized),
            total_fees=money(p.total_fees),
            trades=p.trades,
            win_rate=p.win_rate,
            max_drawdown=money(p.max_drawdown),
            equity_curve=[
                EquityPointOut(time=utc(e.time), equity=money(e.equity)) for e in p.equity_curve
            ],
        )


# ------------------------------------------------------------------ positions


class PositionOut(_Out):
    symbol: str
    side: str
    qty: int
    entry_price: Money
    entry_time: UtcTime = Field(description="When the position opened (the entry's fill)")
    mark_price: Money | None = Field(description="The broker's current price at the last run")
    unrealized_pnl: Money | None = Field(description="The broker's figure; null once closed")
    stop_price: Money | None = Field(description="The working stop leg (null without one)")
    target_price: Money | None = Field(description="The working take-profit leg")
    client_order_id: str | None = Field(
        description="The bracket entry (plan) it came from; null when none of our orders did"
    )
    status: Literal["open", "closed"]
    setup: str | None
    stop_status: str | None = Field(description="Broker status of the stop leg, e.g. held")
    target_status: str | None
    closed_at: UtcTime | None
    exit_price: Money | None
    realized_pnl: Money | None
    exit_reason: str | None = Field(
        description="stop, target, eod, kill_switch, manual (closed at the broker), unknown"
    )
    updated_at: UtcTime | None = Field(description="The monitor run that last wrote the row")

    @classmethod
    def of(cls, r: PositionRow) -> PositionOut:
        return cls(
            symbol=r.symbol,
            side=r.side,
            qty=r.qty,
            entry_price=money(r.entry_price),
            entry_time=utc(r.entry_time),
            mark_price=opt_money(r.mark_price),
            unrealized_pnl=opt_money(r.unrealized_pnl),
            stop_price=opt_money(r.stop_price),
            target_price=opt_money(r.target_price),
            client_order_id=r.client_order_id,
            status=r.status,
            setup=r.setup,
            stop_status=r.stop_status,
            target_status=r.target_status,
            closed_at=None if r.closed_at is None else utc(r.closed_at),
            exit_price=opt_money(r.exit_price),
            realized_pnl=opt_money(r.realized_pnl),
            exit_reason=r.exit_reason,
            updated_at=None if r.updated_at is None else utc(r.updated_at),
        )


ClosedDay = Annotated[
    date | None, Field(description="The session of the closes (status=closed only)")
]


class PositionsResponse(_Out):
    run_id: RunId
    as_of: UtcTime
    status: Literal["open", "closed"]
    date: ClosedDay
    items: list[PositionOut]
    total_unrealized_pnl: Money | None = Field(
        description="Sum over positions with a mark; null when no position has one"
    )
    total_realized_pnl: Money | None = Field(
        description="Sum over closed positions with an exit; null for open positions"
    )


# ------------------------------------------------------------------ market analysis


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


# ------------------------------------------------------------------ runs


class RunOut(_Out):
    run_id: str
    kind: Literal["live", "paper", "local", "replay", "sweep"] = Field(
        description="live/paper: the broker account; local: a simulated day; "
        "replay/sweep: a backtest (never part of the default view)"
    )
    label: str
    start_date: date | None = Field(description="First session (the run's, else traded)")
    end_date: date | None = Field(description="Last session (the run's, else traded)")
    symbols: list[str]
    created_at: UtcTime
    trades: int
    realized_pnl: Money

    @classmethod
    def of(cls, r: RunRow) -> RunOut:
        return cls(
            run_id=r.run_id,
            kind=r.kind,
            label=r.label,
            start_date=r.start_date,
            end_date=r.end_date,
            symbols=list(r.symbols),
            created_at=utc(r.created_at),
            trades=r.trades,
            realized_pnl=money(r.realized_pnl),
        )


class RunsResponse(_Out):
    default_run_id: str = Field(description="The run the other endpoints show without `run`")
    items: list[RunOut] = Field(description="Newest first")
