"""Fixtures of the API tests: an app over the in-memory fake, and a proxy-event caller."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from llm_advisor.api.app import create_app
from llm_advisor.api.context import ApiContext
from llm_advisor.api.proxy import proxy_event, response_headers
from llm_advisor.core.clock import ManualClock

from .fakes import FakePortfolio, sample_portfolio

PAGE_ORIGIN = "http://127.0.0.1:8081"
# 2024-03-06 16:30 in New York (21:30 UTC): "today" is the 6th in NY and in UTC.
NOW = datetime(2024, 3, 6, 21, 30, tzinfo=UTC)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)


Caller = Callable[..., Reply]


def call_app(
    app: APIGatewayRestResolver,
    path: str,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
) -> Reply:
    target = path
    if query:
        target += "?" + urlencode(query)
    event = proxy_event(method, target, headers=dict(headers or {}), request_id="test-req-1")
    result = app.resolve(event, None)  # type: ignore[arg-type]
    return Reply(
        status=int(result["statusCode"]),
        headers={k.lower(): v for k, v in response_headers(result)},
        text=str(result.get("body") or ""),
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def fake() -> FakePortfolio:
    return sample_portfolio()


@pytest.fixture
def app(fake: FakePortfolio, clock: ManualClock) -> APIGatewayRestResolver:
    return create_app(ApiContext(queries=lambda: fake, clock=clock), [PAGE_ORIGIN])


@pytest.fixture
def call(app: APIGatewayRestResolver) -> Caller:
    def _call(path: str, query: Mapping[str, str] | None = None, **kw: Any) -> Reply:
        return call_app(app, path, query, **kw)

    return _call
