"""``GET /api/trades``: closed round trips in a session-date range, oldest first, paginated."""

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
from llm_advisor.api.schemas import TradeOut, TradesResponse

DEFAULT_DAYS = 30


def router(ctx: ApiContext) -> APIGatewayRouter:
    r = new_router()

    @r.get(
        "/trades",
        summary="Closed trades in a date range",
        description=(
            f"Default range: the {DEFAULT_DAYS} days ending today (New York). Ordered by "
            "session date then entry time, oldest first; `total` counts all pages. One run "
            "only (`run`, default: the account's; see GET /api/runs)."
        ),
        responses=documented_responses(
            TradesResponse, "One page of trades, oldest first", extra=404
        ),
        tags=["portfolio"],
    )
    def trades(
        start_date: StartDateQuery = None,
        end_date: EndDateQuery = None,
        symbol: SymbolQuery = None,
        limit: LimitQuery = DEFAULT_LIMIT,
        offset: OffsetQuery = 0,
        run: RunQuery = None,
    ) -> TradesResponse:
        start, end = resolve_range(ctx.clock, start_date, end_date, DEFAULT_DAYS)
        queries, run_id = run_queries(ctx, run)
        page = queries.trades(start, end, symbol=symbol, limit=limit, offset=offset)
        nxt = offset + len(page.items)
        return TradesResponse(
            run_id=run_id,
            start_date=start,
            end_date=end,
            symbol=symbol,
            items=[TradeOut.of(t) for t in page.items],
            total=page.total,
            limit=limit,
            offset=offset,
            next_offset=nxt if page.items and nxt < page.total else None,
        )

    return r
