"""``GET /api/truth``: the daily truth report of one run (live vs its replay, with causes).

Reads the rows ``truth --date`` and the 16:45 Lambda write (``truth.store``); the day
defaults to the run's latest reported day. A day not reported yet answers 200 with
``verdict: null`` (the page shows "no report yet"), so the history still draws.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from llm_advisor.api.context import ApiContext, new_router
from llm_advisor.api.errors import ApiError, documented_responses
from llm_advisor.api.params import DateQuery, RunQuery, run_queries
from llm_advisor.api.truth_schemas import TruthResponse
from llm_advisor.truth.store import TruthStore

HISTORY_DAYS = 60


def store_for(queries: Any) -> TruthStore:
    if hasattr(queries, "db") and hasattr(queries, "codec"):
        return TruthStore(queries)
    raise ApiError(
        HTTPStatus.NOT_IMPLEMENTED, "not_implemented", "this query backend keeps no truth report"
    )


def router(ctx: ApiContext) -> APIGatewayRouter:
    r = new_router()

    @r.get(
        "/truth",
        summary="The daily truth report: live vs the model, each divergence with its cause",
        description=(
            "The verdict of one day (`date`, default the run's latest reported day): "
            "`identical`, or the divergences (missed/extra signals, late entries, partial "
            "fills, exits, slippage) with their causes; P/L live vs model and its split; "
            f"and up to {HISTORY_DAYS} reported days with the cumulative entry slippage."
        ),
        responses=documented_responses(TruthResponse, "The day's truth report", extra=404),
        tags=["analysis"],
    )
    def truth(date: DateQuery = None, run: RunQuery = None) -> TruthResponse:
        queries, run_id = run_queries(ctx, run)
        store = store_for(queries)
        day = date or store.latest_day(run_id)
        if day is None:
            return TruthResponse.of(run_id, None, [])
        return TruthResponse.of(
            run_id, store.load(run_id, day), store.history(run_id, day, HISTORY_DAYS)
        )

    return r
