"""The response contract of the portfolio API, separate from storage's row models.

Storage rows may grow columns or change types; the JSON a website consumes must not. So
every response is built here field by field: money is a decimal *string* (a float would turn
``0.1 + 0.2`` into ``0.30000000000000004`` in the browser), times are ISO-8601 UTC with a
``Z``, and optional fields are always present as ``null`` rather than missing.

This module is the entry point: health, the daily bias and the runs live here; the
conventions (and the error body) are in ``schema_base``, the money responses in
``trade_schemas`` and the decision responses in ``signal_schemas``. Every name is
re-exported here, so routers import from ``llm_advisor.api.schemas`` alone.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from llm_advisor.api.schema_base import (
    MONEY_PATTERN,
    ErrorBody,
    FieldProblem,
    Money,
    RunId,
    UtcTime,
    _Out,
    money,
    opt_money,
    utc,
)
from llm_advisor.api.signal_schemas import (
    AnalysisOut,
    AnalysisResponse,
    FeaturesResponse,
    MinuteOut,
    Multipliers,
    SignalOut,
    SignalsResponse,
    ThresholdsUsed,
)
from llm_advisor.api.trade_schemas import (
    ClosedDay,
    DayPnlOut,
    EquityPointOut,
    PnlResponse,
    PositionOut,
    PositionsResponse,
    TradeOut,
    TradesResponse,
)
from llm_advisor.core.ports import DailyBiasRow, RunRow

__all__ = [
    "MONEY_PATTERN",
    "AnalysisOut",
    "AnalysisResponse",
    "BiasOut",
    "ClosedDay",
    "DailyBiasResponse",
    "DayPnlOut",
    "EquityPointOut",
    "ErrorBody",
    "FeaturesResponse",
    "FieldProblem",
    "Health",
    "MinuteOut",
    "Money",
    "Multipliers",
    "PnlResponse",
    "PositionOut",
    "PositionsResponse",
    "RunId",
    "RunOut",
    "RunsResponse",
    "SignalOut",
    "SignalsResponse",
    "ThresholdsUsed",
    "TradeOut",
    "TradesResponse",
    "UtcTime",
    "_Out",
    "money",
    "opt_money",
    "utc",
]


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
