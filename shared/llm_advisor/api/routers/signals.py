"""``GET /api/signals``: every signal the engine raised, with the thresholds in force."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from llm_advisor.api.context import ApiContext, new_router
from llm_advisor.api.errors import documented_responses
from llm_advisor.api.params import (
    DEFAULT_LIMIT,
    EndDateQuery,
    LimitQuery,
    OffsetQuery,
    RunQuery,
    StartDateQuery,
    SymbolQuery,
    resolve_range,
    run_queries,
)
from llm_advisor.api.schemas import SignalOut, SignalsResponse

DEFAULT_DAYS = 7


def router(ctx: ApiContext) -> APIGatewayRouter:
    r = new_router()

    @r.get(
        "/signals",
        summary="Signals (taken and rejected) in a date range",
        description=(
            f"Default range: the {DEFAULT_DAYS} days ending today (New York). Ordered by "
            "session date then signal time, oldest first. One run only (`run`)."
        ),
        responses=documented_responses(
            SignalsResponse, "One page of signals, oldest first", extra=404
        ),
        tags=["analysis"],
    )
    def signals(
        start_date: StartDateQuery = None,
        end_date: EndDateQuery = None,
        symbol: SymbolQuery = None,
        limit: LimitQuery = DEFAULT_LIMIT,
        offset: OffsetQuery = 0,
        run: RunQuery = None,
    ) -> SignalsResponse:
        start, end = resolve_range(ctx.clock, start_date, end_date, DEFAULT_DAYS)
        queries, run_id = run_queries(ctx, run)
        # One extra row tells whether another page exists without a COUNT(*).
        rows = queries.signals(start, end, symbol=symbol, limit=limit + 1, offset=offset)
        more = len(rows) > limit
        rows = rows[:limit]
        return SignalsResponse(
            run_id=run_id,
            start_date=start,
            end_date=end,
            symbol=symbol,
            items=[SignalOut.of(s) for s in rows],
            limit=limit,
            offset=offset,
            next_offset=offset + limit if more else None,
        )

    return r
