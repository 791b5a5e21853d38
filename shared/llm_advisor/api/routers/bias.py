"""``GET /api/daily-bias``: the premarket model's call for a session (default: today, NY).

Not run-scoped: the bias is a fact about the market on a date (one row per date and symbol,
written by the premarket job), shared by every run that trades that date; replays compute
their own and do not store it. So this route takes no ``run``."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from llm_advisor.api.context import ApiContext, new_router
from llm_advisor.api.errors import documented_responses
from llm_advisor.api.params import DateQuery, SymbolQuery, check_day, today_ny
from llm_advisor.api.schemas import BiasOut, DailyBiasResponse


def router(ctx: ApiContext) -> APIGatewayRouter:
    r = new_router()

    @r.get(
        "/daily-bias",
        summary="Daily bias per symbol for one session",
        responses=documented_responses(DailyBiasResponse, "Bias rows of the session"),
        tags=["premarket"],
    )
    def daily_bias(date: DateQuery = None, symbol: SymbolQuery = None) -> DailyBiasResponse:
        day = check_day("date", date) if date is not None else today_ny(ctx.clock)
        rows = ctx.queries().daily_bias(day, symbol)
        return DailyBiasResponse(date=day, symbol=symbol, items=[BiasOut.of(x) for x in rows])

    return r
