"""The response of ``GET /api/truth``: the day's truth verdict and the slippage history.

Money as exact decimal strings, times ISO-8601 UTC, like every other response
(``api/schemas.py``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import Field

from llm_advisor.api.schemas import Money, RunId, UtcTime, _Out, money, utc
from llm_advisor.truth.records import Divergence
from llm_advisor.truth.store import StoredDay


class DivergenceOut(_Out):
    kind: str = Field(description="signal_missed, signal_extra, entry_late, partial_fill, ...")
    symbol: str
    time: UtcTime | None
    cause: str = Field(description="late_bar, tick_not_run, stale_plan_refused, manual_close, ...")
    detail: str
    client_order_id: str | None

    @classmethod
    def of(cls, d: Divergence) -> DivergenceOut:
        return cls(
            kind=d.kind,
            symbol=d.symbol,
            time=None if d.time is None else utc(d.time),
            cause=d.cause,
            detail=d.detail,
            client_order_id=d.client_order_id,
        )


class TruthDayOut(_Out):
    date: dt.date
    verdict: Literal["identical", "diverged"]
    divergences: int
    slippage_usd: Money
    slippage_bps: float | None
    cumulative_slippage_usd: Money = Field(description="Sum of slippage_usd up to this day")


class TruthResponse(_Out):
    run_id: RunId
    date: dt.date | None = Field(description="The reported day (null: no report yet)")
    verdict: Literal["identical", "diverged"] | None
    counts: dict[str, int]
    pnl_live: Money | None
    pnl_model: Money | None
    pnl_split: dict[str, Money]
    slippage_usd: Money | None
    slippage_bps: float | None
    start_equity: Money | None
    reported_at: UtcTime | None
    divergences: list[DivergenceOut]
    history: list[TruthDayOut] = Field(description="Earlier reported days, oldest first")

    @classmethod
    def of(cls, run_id: str, day: StoredDay | None, history: list[StoredDay]) -> TruthResponse:
        total = Decimal(0)
        hist = []
        for h in history:
            total += h.slippage_usd
            hist.append(
                TruthDayOut(
                    date=h.day,
                    verdict=h.verdict,
                    divergences=int(h.counts.get("divergences", 0)),
                    slippage_usd=money(h.slippage_usd),
                    slippage_bps=h.slippage_bps,
                    cumulative_slippage_usd=money(total),
                )
            )
        if day is None:
            return cls(
                run_id=run_id,
                date=None,
                verdict=None,
                counts={},
                pnl_live=None,
                pnl_model=None,
                pnl_split={},
                slippage_usd=None,
                slippage_bps=None,
                start_equity=None,
                reported_at=None,
                divergences=[],
                history=hist,
            )
        return cls(
            run_id=run_id,
            date=day.day,
            verdict=day.verdict,
            counts=day.counts,
            pnl_live=money(day.pnl_live),
            pnl_model=money(day.pnl_model),
            pnl_split={k: money(v) for k, v in day.pnl_split.items()},
            slippage_usd=money(day.slippage_usd),
            slippage_bps=day.slippage_bps,
            start_equity=money(day.start_equity),
            reported_at=utc(day.created_at),
            divergences=[DivergenceOut.of(d) for d in day.divergences],
            history=hist,
        )
