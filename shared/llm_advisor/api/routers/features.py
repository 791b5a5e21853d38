"""``GET /api/features``: a symbol's logged minutes on one session (the per-minute log).

What a trader looks back at: z against the thresholds in force, minute by minute, with the
state the engine was in. The live tick writes these rows (``live_loop_minutes``); replays do
not, so a replay run answers an empty list. One run only (``run``), like the other routes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Protocol, runtime_checkable

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from llm_advisor.api.context import ApiContext, new_router
from llm_advisor.api.errors import ApiError, documented_responses
from llm_advisor.api.params import DateQuery, RunQuery, check_day, run_queries, today_ny
from llm_advisor.api.schemas import FeaturesResponse, MinuteOut
from llm_advisor.core.models import SYMBOL_RE

if TYPE_CHECKING:
    from llm_advisor.storage.minute_log import MinuteRow

RequiredSymbolQuery = Annotated[
    str,
    Query(
        pattern=SYMBOL_RE.pattern,
        description="Ticker, upper case (1-10 of A-Z, 0-9, '.', '-'), e.g. SPY or BRK.B",
        examples=["SPY"],
    ),
]


@runtime_checkable
class MinuteFeatureQueries(Protocol):
    """The per-minute log's read (``storage.queries.PortfolioQueriesImpl.minute_features``)."""

    def minute_features(self, symbol: str, day: dt.date) -> Sequence[MinuteRow]: ...


def router(ctx: ApiContext) -> APIGatewayRouter:
    r = new_router()

    @r.get(
        "/features",
        summary="A symbol's per-minute features and thresholds for one session",
        description=(
            "One item per minute the live tick processed for the symbol (close, z, rolling "
            "mean and sigma, 5-minute ATR, state, side, effective thresholds), oldest first. "
            "Default date: today in New York. One run only (`run`)."
        ),
        responses=documented_responses(
            FeaturesResponse, "The symbol's logged minutes, oldest first", extra=404
        ),
        tags=["analysis"],
    )
    def features(
        symbol: RequiredSymbolQuery,
        date: DateQuery = None,
        run: RunQuery = None,
    ) -> FeaturesResponse:
        day = check_day("date", date) if date is not None else today_ny(ctx.clock)
        queries, run_id = run_queries(ctx, run)
        if not isinstance(queries, MinuteFeatureQueries):
            raise ApiError(
                HTTPStatus.NOT_IMPLEMENTED,
                "not_implemented",
                "this query backend keeps no per-minute log",
            )
        rows = queries.minute_features(symbol, day)
        return FeaturesResponse(
            run_id=run_id, symbol=symbol, date=day, items=[MinuteOut.of(m) for m in rows]
        )

    return r
