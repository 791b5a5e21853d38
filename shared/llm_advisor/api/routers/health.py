"""``GET /api/health``: liveness plus a cheap database ping (a load balancer's probe)."""

from __future__ import annotations

import logging
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from llm_advisor.api.context import ApiContext, new_router
from llm_advisor.api.schemas import Health

log = logging.getLogger("llm_advisor.api")


def router(ctx: ApiContext) -> APIGatewayRouter:
    r = new_router()

    @r.get(
        "/health",
        summary="Service and database health",
        description="200 when the database answers, 503 (same body) when it does not.",
        responses={
            200: {"description": "Healthy", "content": {"application/json": {"model": Health}}},
            503: {"description": "Database unavailable"},
        },
        tags=["health"],
    )
    def health() -> Response[Any]:
        try:
            ok = bool(ctx.queries().ping())
        except Exception:  # the probe reports, it never raises
            log.exception("database ping failed")
            ok = False
        body = Health(
            status="ok" if ok else "degraded",
            database="ok" if ok else "unavailable",
            time=ctx.clock.now(),
            version=ctx.version,
        )
        return Response(
            status_code=200 if ok else 503,
            content_type=content_types.APPLICATION_JSON,
            body=body.model_dump(mode="json"),
        )

    return r
