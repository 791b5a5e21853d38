"""``GET /api/market-analysis``: the analyst's latest call at or before a time."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from llm_advisor.api.context import ApiContext, new_router
from llm_advisor.api.errors import documented_responses
from llm_advisor.api.params import TimestampQuery, check_time
from llm_advisor.api.schemas import AnalysisOut, AnalysisResponse


def router(ctx: ApiContext) -> APIGatewayRouter:
    r = new_router()

    @r.get(
        "/market-analysis",
        summary="Latest market analysis at or before a time",
        description="Without `timestamp`: the latest stored. `analysis` is null when none.",
        responses=documented_responses(AnalysisResponse, "The analysis (or null)"),
        tags=["analysis"],
    )
    def market_analysis(timestamp: TimestampQuery = None) -> AnalysisResponse:
        at = check_time("timestamp", timestamp) if timestamp is not None else None
        row = ctx.queries().latest_analysis(at)
        return AnalysisResponse(at=at, analysis=None if row is None else AnalysisOut.of(row))

    return r
