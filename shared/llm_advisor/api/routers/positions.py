"""``GET /api/positions``: the position book - what is open now, or what closed on a day.

The position monitor writes the book every minute from the broker (storage/positions.py):
an open row carries the broker's mark and unrealized P/L and the working stop/target legs;
a closed row keeps how it ended, so ``status=closed&date=`` is the day's history.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from llm_advisor.api.context import ApiContext, new_router
from llm_advisor.api.errors import bad_request, documented_responses
from llm_advisor.api.params import DateQuery, RunQuery, check_day, run_queries, today_ny
from llm_advisor.api.schemas import PositionOut, PositionsResponse, money

StatusQuery = Annotated[
    Literal["open", "closed"],
    Query(description="open (default): held now; closed: closed during `date`"),
]


def _total(values: list[Decimal | None]) -> str | None:
    present = [v for v in values if v is not None]
    return money(sum(present, Decimal(0))) if present else None


def router(ctx: ApiContext) -> APIGatewayRouter:
    r = new_router()

    @r.get(
        "/positions",
        summary="Open positions, or the positions closed on a day",
        description=(
            "Positions of one run (`run`, default: the account's). `status=open` (default) "
            "lists what the broker holds as of the monitor's last run; `status=closed` lists "
            "the positions closed during session `date` (default today in New York), oldest "
            "close first. `date` is refused with `status=open`."
        ),
        responses=documented_responses(PositionsResponse, "Positions", extra=404),
        tags=["portfolio"],
    )
    def positions(
        status: StatusQuery = "open", date: DateQuery = None, run: RunQuery = None
    ) -> PositionsResponse:
        if status == "open" and date is not None:
            raise bad_request(
                "date", f"date={date.isoformat()} applies to status=closed only (got open)"
            )
        day = None
        if status == "closed":
            day = check_day("date", date) if date is not None else today_ny(ctx.clock)
        queries, run_id = run_queries(ctx, run)
        rows = queries.open_positions() if day is None else queries.closed_positions(day)
        return PositionsResponse(
            run_id=run_id,
            as_of=ctx.clock.now(),
            status=status,
            date=day,
            items=[PositionOut.of(p) for p in rows],
            total_unrealized_pnl=_total([p.unrealized_pnl for p in rows]),
            total_realized_pnl=None if day is None else _total([p.realized_pnl for p in rows]),
        )

    return r
