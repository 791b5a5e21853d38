"""``GET /api/pnl``: realized P/L per day and in total, win rate, drawdown, equity curve."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from llm_advisor.api.context import ApiContext, new_router
from llm_advisor.api.errors import documented_responses
from llm_advisor.api.params import (
    EndDateQuery,
    RunQuery,
    StartDateQuery,
    resolve_range,
    run_queries,
)
from llm_advisor.api.schemas import PnlResponse

DEFAULT_DAYS = 365


def router(ctx: ApiContext) -> APIGatewayRouter:
    r = new_router()

    @r.get(
        "/pnl",
        summary="Realized P/L over a date range",
        description=(
            f"Default range: the {DEFAULT_DAYS} days ending today (New York). One run only "
            "(`run`, default: the account's): a replay is never added to the account."
        ),
        responses=documented_responses(PnlResponse, "Realized P/L report", extra=404),
        tags=["portfolio"],
    )
    def pnl(
        start_date: StartDateQuery = None, end_date: EndDateQuery = None, run: RunQuery = None
    ) -> PnlResponse:
        start, end = resolve_range(ctx.clock, start_date, end_date, DEFAULT_DAYS)
        queries, run_id = run_queries(ctx, run)
        return PnlResponse.of(queries.pnl(start, end), run_id)

    return r
