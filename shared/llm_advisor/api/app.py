"""Assemble the resolver: routers under ``/api``, validation, CORS, the error envelope.

The same ``create_app`` result answers API Gateway in Lambda and the local HTTP server, so
what is tested locally is what runs in AWS.
"""

from __future__ import annotations

import gc
import importlib
import json
from collections.abc import Sequence

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig

from llm_advisor import __version__
from llm_advisor.api.context import ApiContext, LazyQueries
from llm_advisor.api.database import database_url
from llm_advisor.api.errors import install_error_handlers
from llm_advisor.api.routers import analysis, bias, health, pnl, positions, signals, trades
from llm_advisor.api.settings import ApiSettings
from llm_advisor.core.clock import Clock, SystemClock
from llm_advisor.core.ports import PortfolioQueries

API_PREFIX = "/api"
API_TITLE = "llm-advisor portfolio API"
API_DESCRIPTION = (
    "Read-only view of the llm-advisor trading record: daily bias, trades, P/L, open "
    "positions, market analysis and signals. Money is a decimal string, times are ISO-8601 "
    "UTC, absent values are explicit nulls."
)


def cors_config(origins: Sequence[str]) -> CORSConfig | None:
    """Exact-match origins only; Powertools echoes the request's Origin when it is listed."""
    if not origins:
        return None
    first, *rest = origins
    return CORSConfig(allow_origin=first, extra_origins=rest, max_age=600)


def create_app(ctx: ApiContext, cors_origins: Sequence[str] = ()) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(
        cors=cors_config(cors_origins),
        enable_validation=True,
        debug=False,  # never let POWERTOOLS_DEV turn a 500 into a traceback
    )
    for module in (health, bias, trades, pnl, positions, analysis, signals):
        app.include_router(module.router(ctx), prefix=API_PREFIX)
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
    )
    app = create_app(ctx, settings.cors_origins)
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
