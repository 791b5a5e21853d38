"""The trading record's money responses: trades, profit and loss, positions.

These are the bodies whose numbers a user adds up, so they are the strictest about money
(every amount a ``Money`` string, built from ``Decimal``) and sit apart from the responses
about what the engine and the analyst decided (``signal_schemas``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from llm_advisor.api.schema_base import Money, RunId, UtcTime, _Out, money, opt_money, utc
from llm_advisor.core.ports import DayPnl, PnlReport, PositionRow, TradeRow


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
