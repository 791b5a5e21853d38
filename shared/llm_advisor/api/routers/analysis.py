"""``GET /api/market-analysis``: the analyst's latest call at or before a time."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from llm_advisor.api.context import ApiContext, new_router
from llm_advisor.api.errors import documented_responses
from llm_advisor.api.params import RunQuery, TimestampQuery, check_time, run_queries
from llm_advisor.api.schemas import AnalysisOut, AnalysisResponse


def router(ctx: ApiContext) -> APIGatewayRouter:
    r = new_router()

    @r.get(
        "/market-analysis",
        summary="Latest market analysis at or before a time",
        description=(
            "Without `timestamp`: the latest stored. `analysis` is null when none. Analyses "
            "belong to the run that made them (`run`, default: the account's); replays "
            "store none."
        ),
        responses=documented_responses(AnalysisResponse, "The analysis (or null)", extra=404),
        tags=["analysis"],
    )
    def market_analysis(timestamp: TimestampQuery = None, run: RunQuery = None) -> AnalysisResponse:
        at = check_time("timestamp", timestamp) if timestamp is not None else None
        queries, run_id = run_queries(ctx, run)
        row = queries.latest_analysis(at)
        out = None if row is None else AnalysisOut.of(row)
        return AnalysisResponse(run_id=run_id, at=at, analysis=out)

    return r
