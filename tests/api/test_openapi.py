"""The committed ``docs/openapi.json`` is the one the code generates (a contract check)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from llm_advisor.api.app import openapi_json

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "openapi.json"
ROUTES = [
    "/api/daily-bias",
    "/api/features",
    "/api/health",
    "/api/market-analysis",
    "/api/pnl",
    "/api/positions",
    "/api/runs",
    "/api/signals",
    "/api/status",
    "/api/trades",
    "/api/truth",
]


def test_committed_openapi_equals_generated(app: APIGatewayRestResolver) -> None:
    generated = openapi_json(app)
    committed = COMMITTED.read_text(encoding="utf-8")
    assert json.loads(committed) == json.loads(generated), (
        "docs/openapi.json is stale: run "
        "`python -m llm_advisor api --write-openapi docs/openapi.json`"
    )
    assert committed == generated  # byte-identical, so diffs in review stay meaningful


def test_document_lists_every_route_and_our_error_body(app: APIGatewayRestResolver) -> None:
    doc = json.loads(openapi_json(app))
    assert doc["openapi"].startswith("3.1")
    assert sorted(doc["paths"]) == sorted([*ROUTES, "/api/chat"])  # chat: the one POST
    assert list(doc["paths"]["/api/chat"]) == ["post"]
    for path in ROUTES:
        op = doc["paths"][path]["get"]
        assert "200" in op["responses"]
        if path != "/api/health":
            ref = op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorBody"), path
    money = doc["components"]["schemas"]["TradeOut"]["properties"]["pnl"]
    assert money["type"] == "string" and "pattern" in money


def test_cli_rewrites_the_file(tmp_path: Path, app: APIGatewayRestResolver) -> None:
    out = tmp_path / "openapi.json"
    proc = subprocess.run(
        [sys.executable, "-m", "llm_advisor", "api", "--write-openapi", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_text(encoding="utf-8") == openapi_json(app)
