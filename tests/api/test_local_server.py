"""``make api``'s server: real HTTP in front of the same resolver, and the page beside it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from llm_advisor.api.local_server import LocalServers

from .dbs import seeded_sqlite
from .seed import Expected
from .servers import running

NOW = datetime(2024, 3, 8, 21, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalServers, Expected]]:
    url, exp = seeded_sqlite(tmp_path_factory.mktemp("db"))
    with running(url, NOW) as servers:
        yield servers, exp


def fetch(
    url: str,
    method: str = "GET",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def test_get_goes_through_the_resolver(served: tuple[LocalServers, Expected]) -> None:
    servers, exp = served
    status, headers, body = fetch(
        f"{servers.api_url}/api/pnl?start_date=2024-03-01&end_date=2024-03-31"
    )
    assert status == 200 and headers["content-type"] == "application/json"
    assert json.loads(body)["total_realized"] == f"{exp.total_pnl:.2f}"
    assert int(headers["content-length"]) == len(body)


def test_errors_and_unknown_routes_over_http(served: tuple[LocalServers, Expected]) -> None:
    servers, _ = served
    status, _, body = fetch(f"{servers.api_url}/api/trades?start_date=2024-02-30")
    assert status == 422 and json.loads(body)["fields"][0]["field"] == "start_date"
    status, _, body = fetch(f"{servers.api_url}/api/missing")
    assert status == 404 and json.loads(body)["error"] == "not_found"
    status, _, body = fetch(f"{servers.api_url}/api/trades", method="POST")
    assert status == 404
    status, _, body = fetch(f"{servers.api_url}/api/health", method="HEAD")
    assert status == 404 and body == b""  # GET-only API, like API Gateway; HEAD has no body


def test_cors_for_the_page_origin_only(served: tuple[LocalServers, Expected]) -> None:
    servers, _ = served
    page = servers.web_url
    assert page is not None
    _, headers, _ = fetch(f"{servers.api_url}/api/health", headers={"Origin": page})
    assert headers["access-control-allow-origin"] == page
    _, headers, _ = fetch(
        f"{servers.api_url}/api/health", headers={"Origin": "http://attacker.example"}
    )
    assert "access-control-allow-origin" not in headers
    status, headers, _ = fetch(
        f"{servers.api_url}/api/trades",
        method="OPTIONS",
        headers={"Origin": page, "Access-Control-Request-Method": "GET"},
    )
    assert status == 204 and headers["access-control-allow-origin"] == page


def test_page_files_are_served(served: tuple[LocalServers, Expected]) -> None:
    servers, _ = served
    for name, kind in (("/", "text/html"), ("/app.js", "javascript"), ("/style.css", "text/css")):
        status, headers, body = fetch(f"{servers.web_url}{name}")
        assert status == 200 and kind in headers["content-type"] and body


def test_cli_refuses_a_missing_database(tmp_path: Path) -> None:
    from llm_advisor.__main__ import main

    assert main(["api", "--port", "0", "--db", f"sqlite:///{tmp_path}/none.sqlite3"]) == 2


def test_cli_refuses_a_bad_port() -> None:
    from llm_advisor.__main__ import main

    assert main(["api", "--port", "70000"]) == 2
