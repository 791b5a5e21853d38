"""Schemathesis against the local server: generated requests never get a 5xx, and every
response matches the committed OpenAPI document (status, content type, body schema).

Positive cases are valid per the schema (they may still get a documented 400, e.g. a start
after an end); negative cases break the schema and must be refused with a 4xx.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from llm_advisor.api.local_server import LocalServers

from .dbs import seeded_sqlite
from .servers import running

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = schemathesis.openapi.from_path(str(ROOT / "docs" / "openapi.json"))
ROUTES = [
    "/api/daily-bias",
    "/api/features",
    "/api/health",
    "/api/market-analysis",
    "/api/pnl",
    "/api/positions",
    "/api/signals",
    "/api/trades",
]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = 30


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServers]:
    url, _ = seeded_sqlite(tmp_path_factory.mktemp("fuzzdb"))
    with running(url, datetime(2024, 3, 8, 21, 0, tzinfo=UTC), with_page=False) as servers:
        yield servers


WITH_PARAMS = [r for r in ROUTES if r not in ("/api/health", "/api/positions")]
CASES = [(r, schemathesis.GenerationMode.POSITIVE) for r in ROUTES] + [
    (r, schemathesis.GenerationMode.NEGATIVE) for r in WITH_PARAMS
]


@pytest.mark.parametrize(("path", "mode"), CASES, ids=[f"{p}-{m.value}" for p, m in CASES])
def test_no_server_error_and_schema_conformance(
    server: LocalServers, path: str, mode: schemathesis.GenerationMode
) -> None:
    operation = SCHEMA[path]["GET"]
    statuses: list[int] = []

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case) -> None:
        response = case.call(base_url=server.api_url, timeout=10)
        statuses.append(response.status_code)
        case.validate_response(response, checks=CHECKS)

    check()
    assert statuses and max(statuses) < 500
