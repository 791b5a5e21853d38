"""The API over real databases filled through the storage repository (SQLite and PostgreSQL).

The fake in ``fakes.py`` checks the API's own logic; these check that the wiring to the real
query layer produces the documented JSON with the exact figures.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from llm_advisor.api.app import app_from_settings
from llm_advisor.api.proxy import proxy_event
from llm_advisor.api.settings import ApiSettings
from llm_advisor.core.clock import ManualClock

from .conftest import PAGE_ORIGIN, Reply, call_app
from .dbs import seeded_postgres, seeded_sqlite
from .seed import Expected

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2024, 3, 8, 21, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def seeded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Expected]]:
    if request.param == "sqlite":
        yield seeded_sqlite(tmp_path)
    else:
        pg_url = request.getfixturevalue("pg_url")
        with seeded_postgres(pg_url) as pair:
            yield pair


@pytest.fixture
def db_app(seeded: tuple[str, Expected]) -> APIGatewayRestResolver:
    url, _ = seeded
    return app_from_settings(
        ApiSettings(db_url=url, cors_origins=(PAGE_ORIGIN,)), clock=ManualClock(NOW)
    )


def get(app: APIGatewayRestResolver, path: str, **query: str) -> Reply:
    return call_app(app, path, query or None)


def test_pnl_matches_independent_arithmetic(
    db_app: APIGatewayRestResolver, seeded: tuple[str, Expected]
) -> None:
    _, exp = seeded
    p = get(db_app, "/api/pnl", start_date="2024-03-01", end_date="2024-03-31").json
    assert Decimal(p["total_realized"]) == exp.total_pnl
    assert Decimal(p["total_fees"]) == exp.total_fees
    assert p["trades"] == len(exp.trades)
    assert p["win_rate"] == pytest.approx(exp.wins / len(exp.trades))
    assert Decimal(p["max_drawdown"]) == exp.max_drawdown
    assert {d["date"]: Decimal(d["realized"]) for d in p["days"]} == {
        k.isoformat(): v for k, v in exp.per_day.items()
    }
    assert Decimal(p["equity_curve"][-1]["equity"]) == Decimal("100000") + exp.total_pnl
    for money in (p["total_realized"], p["total_fees"], p["max_drawdown"]):
        assert isinstance(money, str) and "." in money


def test_trades_pages_cover_every_trade_once(
    db_app: APIGatewayRestResolver, seeded: tuple[str, Expected]
) -> None:
    _, exp = seeded
    seen: list[str] = []
    offset = 0
    while True:
        page = get(
            db_app,
            "/api/trades",
            start_date="2024-03-04",
            end_date="2024-03-08",
            limit="7",
            offset=str(offset),
        ).json
        assert page["total"] == len(exp.trades)
        seen += [t["client_order_id"] for t in page["items"]]
        if page["next_offset"] is None:
            break
        offset = page["next_offset"]
    assert sorted(seen) == sorted(t["client_order_id"] for t in exp.trades)
    assert len(seen) == len(set(seen))
    spy = get(db_app, "/api/trades", start_date="2024-03-04", symbol="SPY").json
    assert spy["total"] == sum(1 for t in exp.trades if t["symbol"] == "SPY")


def test_positions_analysis_bias_and_signals(
    db_app: APIGatewayRestResolver, seeded: tuple[str, Expected]
) -> None:
    _, exp = seeded
    pos = get(db_app, "/api/positions").json
    assert [(p["symbol"], p["unrealized_pnl"]) for p in pos["items"]] == [("TSLA", "12.25")]
    assert pos["total_unrealized_pnl"] == "12.25"
    latest = get(db_app, "/api/market-analysis").json["analysis"]
    assert latest["market_assessment"] == "bullish"
    assert latest["multipliers"] == {
        "mr_arm": 1.2,
        "mr_trigger": 1.2,
        "tc_arm": 0.9,
        "tc_trigger": 0.95,
    }
    earlier = get(db_app, "/api/market-analysis", timestamp="2024-03-08T09:50:00-05:00").json
    assert earlier["analysis"]["market_assessment"] == "choppy"
    bias = get(db_app, "/api/daily-bias").json  # today in NY = 2024-03-08
    assert bias["date"] == exp.last_day.isoformat()
    assert {b["symbol"]: b["bias"] for b in bias["items"]} == {"SPY": "bullish", "QQQ": "choppy"}
    sig = get(db_app, "/api/signals", start_date="2024-03-04", limit="500").json
    assert len(sig["items"]) == len(exp.trades) and sig["next_offset"] is None
    assert sig["items"][0]["thresholds"]["mr_arm_z"] == 2.0


def test_health_pings_the_database(db_app: APIGatewayRestResolver) -> None:
    assert get(db_app, "/api/health").json["database"] == "ok"


def _load_handler() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "portfolio_api_app", ROOT / "functions" / "portfolio_api" / "app.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_lambda_handler_reads_env_and_reuses_one_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, exp = seeded_sqlite(tmp_path)
    monkeypatch.setenv("ADVISOR_DB_URL", url)
    monkeypatch.setenv("ADVISOR_CORS_ORIGINS", "https://owner.example")
    handler = _load_handler()
    event = proxy_event(
        "GET",
        "/api/trades?start_date=2024-03-04&end_date=2024-03-08&limit=1",
        headers={"Origin": "https://owner.example"},
    )
    out = handler.lambda_handler(event, None)
    assert out["statusCode"] == 200
    assert out["multiValueHeaders"]["Access-Control-Allow-Origin"] == ["https://owner.example"]
    app = handler.get_app()
    out2 = handler.lambda_handler(proxy_event("GET", "/api/health"), None)
    assert out2["statusCode"] == 200 and handler.get_app() is app
    assert f'"total":{len(exp.trades)}' in out["body"]


def test_lambda_handler_broken_database_is_503_health_and_500_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("ADVISOR_DB_URL", f"sqlite:///{blocker}/secret-name.sqlite3")
    handler = _load_handler()
    health = handler.lambda_handler(proxy_event("GET", "/api/health"), None)
    assert health["statusCode"] == 503
    out = handler.lambda_handler(proxy_event("GET", "/api/pnl"), None)
    assert out["statusCode"] == 500
    assert "secret-name" not in out["body"] and "not-a-dir" not in out["body"]


def test_committed_sample_event_through_the_handler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """events/portfolio_api.json (the SAM helper's sample) resolves like API Gateway's."""
    import json

    sample = ROOT / "events" / "portfolio_api.json"
    if not sample.is_file():
        pytest.skip("events/portfolio_api.json not present")
    event = json.loads(sample.read_text())
    origin = (event.get("headers") or {}).get("Origin", "http://localhost:8000")
    url, _ = seeded_sqlite(tmp_path)
    monkeypatch.setenv("ADVISOR_DB_URL", url)
    monkeypatch.setenv("ADVISOR_CORS_ORIGINS", origin)
    out = _load_handler().lambda_handler(event, None)
    assert out["statusCode"] == 200, out["body"]
    assert out["multiValueHeaders"]["Access-Control-Allow-Origin"] == [origin]
