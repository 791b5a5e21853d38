"""``GET /api/positions``: what is open now, marked to the latest price storage knows."""

from __future__ import annotations

from decimal import Decimal

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from llm_advisor.api.context import ApiContext, new_router
from llm_advisor.api.errors import documented_responses
from llm_advisor.api.schemas import PositionOut, PositionsResponse, money


def router(ctx: ApiContext) -> APIGatewayRouter:
    r = new_router()

    @r.get(
        "/positions",
        summary="Open positions with unrealized P/L",
        responses=documented_responses(PositionsResponse, "Open positions", bad_request=False),
        tags=["portfolio"],
    )
    def positions() -> PositionsResponse:
        rows = ctx.queries().open_positions()
        marked = [p.unrealized_pnl for p in rows if p.unrealized_pnl is not None]
        total = sum(marked, Decimal(0)) if marked else None
        return PositionsResponse(
            as_of=ctx.clock.now(),
            items=[PositionOut.of(p) for p in rows],
            total_unrealized_pnl=None if total is None else money(total),
        )

    return r
