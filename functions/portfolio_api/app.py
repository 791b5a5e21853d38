"""Lambda entry point of the portfolio API (API Gateway REST, proxy integration).

Thin on purpose: settings are read and the resolver is built once per container; the
database connection is opened on the first request that needs it and then reused.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.utilities.typing import LambdaContext

from llm_advisor.api.app import app_from_settings
from llm_advisor.api.settings import ApiSettings

_app: APIGatewayRestResolver | None = None


def get_app() -> APIGatewayRestResolver:
    global _app  # noqa: PLW0603 - one resolver per container, built on first use
    if _app is None:
        _app = app_from_settings(ApiSettings.from_env())
    return _app


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result: dict[str, Any] = get_app().resolve(event, context)
    return result
