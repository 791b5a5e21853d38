"""Assemble the resolver: routers under ``/api``, validation, CORS, the error envelope.

The same ``create_app`` result answers API Gateway in Lambda and the local HTTP server, so
what is tested locally is what runs in AWS. In AWS, API Gateway checks ``x-api-key``
(``RequireApiKey``); ``api_key`` makes the app check it itself, which is how ``make api``
behaves like the deployed API when ``ADVISOR_API_KEY`` is set.
"""

from __future__ import annotations

import gc
import hmac
import importlib
import json
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import (
    APIGatewayRestResolver,
    CORSConfig,
    Response,
    content_types,
)
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from llm_advisor import __version__
from llm_advisor.api.context import ApiContext, LazyQueries
from llm_advisor.api.database import database_url
from llm_advisor.api.errors import install_error_handlers, request_id
from llm_advisor.api.routers import (
    analysis,
    bias,
    chat,
    features,
    health,
    pnl,
    positions,
    runs,
    signals,
    status,
    trades,
    truth,
)
from llm_advisor.api.schemas import ErrorBody
from llm_advisor.api.settings import ApiSettings
from llm_advisor.core.clock import Clock, SystemClock
from llm_advisor.core.ports import PortfolioQueries

API_PREFIX = "/api"
API_TITLE = "llm-advisor portfolio API"
API_DESCRIPTION = (
    "Read-only view of the llm-advisor trading record: daily bias, trades, P/L, open "
    "positions, market analysis and signals, one run at a time (`run`, see /api/runs). "
    "Money is a decimal string, times are ISO-8601 UTC, absent values are explicit nulls. "
    "Deployed, every request needs an `x-api-key` header unless the owner published it."
)
API_KEY_HEADER = "x-api-key"


def cors_config(origins: Sequence[str]) -> CORSConfig | None:
    """Exact-match origins only; Powertools echoes the request's Origin when it is listed."""
    if not origins:
        return None
    first, *rest = origins
    return CORSConfig(allow_origin=first, extra_origins=rest, max_age=600)


def require_key(key: str) -> Any:
    """A middleware refusing requests without the right ``x-api-key`` (403, like API
    Gateway's answer). Preflights pass: a browser never sends custom headers on them."""
    expected = key.encode("utf-8")

    def check(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
        event = app.current_event
        if event.http_method == "OPTIONS":
            return next_middleware(app)
        given = (event.headers or {}).get(API_KEY_HEADER) or ""
        if hmac.compare_digest(given.encode("utf-8"), expected):
            return next_middleware(app)
        body = ErrorBody(
            status=HTTPStatus.FORBIDDEN,
            error="forbidden",
            message=f"missing or wrong {API_KEY_HEADER} header",
            request_id=request_id(app),
        )
        return Response(
            status_code=HTTPStatus.FORBIDDEN,
            content_type=content_types.APPLICATION_JSON,
            body=body.model_dump(mode="json"),
        )

    return check


def create_app(
    ctx: ApiContext,
    cors_origins: Sequence[str] = (),
    api_key: str = "",
    chat_answerer: Any = None,
) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(
        cors=cors_config(cors_origins),
        enable_validation=True,
        debug=False,  # never let POWERTOOLS_DEV turn a 500 into a traceback
    )
    if api_key:
        app.use(middlewares=[require_key(api_key)])
    for module in (
        health,
        runs,
        bias,
        trades,
        pnl,
        positions,
        analysis,
        signals,
        features,
        status,
        truth,
    ):
        app.include_router(module.router(ctx), prefix=API_PREFIX)
    # the one POST (chat): an optional LLM answerer (``chat.wiring``), else deterministic
    app.include_router(chat.router(ctx, chat_answerer), prefix=API_PREFIX)
    install_error_handlers(app)
    return app


def open_queries(db_url: str) -> PortfolioQueries:
    # Imported on first use: a cold start that never touches the database (health of a
    # broken config, 404s, preflights) does not import the drivers.
    storage = importlib.import_module("llm_advisor.storage")
    repo: PortfolioQueries = storage.open_repository(db_url)
    return repo


def app_from_settings(settings: ApiSettings, clock: Clock | None = None) -> APIGatewayRestResolver:
    """The production wiring: the database opened lazily, once (see ``api.database``)."""
    ctx = ApiContext(
        queries=LazyQueries(lambda: open_queries(database_url(settings))),
        clock=clock or SystemClock(),
        account_run=settings.account_run,
    )
    from llm_advisor.chat.wiring import make_answerer

    app = create_app(
        ctx, settings.cors_origins, settings.api_key, chat_answerer=make_answerer(ctx.clock)
    )
    # Everything built so far lives as long as the container: move it out of the garbage
    # collector's reach, so full collections stop costing tens of ms in request p99.
    gc.collect()
    gc.freeze()
    return app


def openapi_json(app: APIGatewayRestResolver) -> str:
    """The OpenAPI 3.1 document as committed in ``docs/openapi.json`` (stable formatting)."""
    raw = app.get_openapi_json_schema(
        title=API_TITLE, version=__version__, description=API_DESCRIPTION
    )
    return json.dumps(json.loads(raw), indent=2, sort_keys=True) + "\n"
