"""Runs are first-class: listed by ``/api/runs``, picked with ``run=``, never mixed.

A database holds a replay, a local (simulated) day and, in some tests, the account's paper
run. Every portfolio route must serve exactly one run's records, default to the account
(else the latest local day, never a replay) and answer 404 for a run that does not exist.
Run on SQLite and PostgreSQL through the real storage write path.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from llm_advisor.api.app import app_from_settings
from llm_advisor.api.settings import ApiSettings
from llm_advisor.core.clock import ManualClock
from llm_advisor.core.models import Advice, AnalysisResult, ThresholdMultipliers
from llm_advisor.storage import RunRecord, open_repository

from .conftest import PAGE_ORIGIN, Reply, call_app
from .servers import running

NOW = datetime(2024, 3, 8, 21, 0, tzinfo=UTC)
REPLAY, LOCAL, ACCOUNT = "replay-abc123", "local-2024-03-07", "live"
RANGE = {"start_date": "2024-03-01", "end_date": "2024-03-31"}


def _trades(run: str, day: date, pnls: list[str]) -> list[dict[str, Any]]:
    out = []
    for i, pnl in enumerate(pnls):
        entry = datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC) + timedelta(minutes=i)
        out.append(
            {
                "symbol": "SPY",
                "setup": "MR",
                "side": "long",
                "signal_time": entry - timedelta(minutes=1),
                "entry_time": entry,
                "entry_price": Decimal("100"),
                "exit_time": entry + timedelta(minutes=30),
                "exit_price": Decimal("100") + Decimal(pnl) / 10,
                "qty": 10,
                "exit_reason": "target" if Decimal(pnl) > 0 else "stop",
                "pnl": Decimal(pnl),
                "commission": Decimal("0"),
                "client_order_id": f"{run}-{i}",
            }
        )
    return out


def _signal(t: dict[str, Any]) -> dict[str, Any]:
    return {
        "signal_time": t["signal_time"],
        "symbol": t["symbol"],
        "setup": t["setup"],
        "side": t["side"],
        "status": "accepted",
        "z": -2.2,
        "ref_price": t["entry_price"],
        "qty": t["qty"],
        "equity": Decimal("100000"),
        "mr_arm_z": 2.0,
        "mr_trigger_z": 1.5,
        "tc_arm_z": 2.5,
        "tc_trigger_z": 2.0,
        "mult_mr_arm": 1.0,
        "mult_mr_trigger": 1.0,
        "mult_tc_arm": 1.0,
        "mult_tc_trigger": 1.0,
        "client_order_id": t["client_order_id"],
    }


def _analysis(repo: Any, at: datetime, assessment: str) -> None:
    m = ThresholdMultipliers(mr_arm=1.1, mr_trigger=1.0, tc_arm=1.0, tc_trigger=1.0)
    repo.save_market_analysis(
        at,
        at.date(),
        "rules",
        None,
        AnalysisResult(
            market_assessment=assessment, confidence=60, reasoning="x", threshold_multipliers=m
        ),
        Advice(as_of=at, multipliers=m, source="rules"),
    )


def fill(url: str, with_account: bool = False) -> None:
    """A replay (+$300 over 3 trades), a local day (-$25 over 2 trades), maybe the account."""
    repo = open_repository(url, migrate_schema=True)
    try:
        repo.save_run(
            RunRecord(
                run_id=REPLAY,
                mode="replay",
                kind="replay",
                label="replay rules week",
                start_date=date(2024, 3, 4),
                end_date=date(2024, 3, 8),
                symbols=["SPY"],
                created_at=datetime(2024, 3, 8, 22, tzinfo=UTC),  # the newest run
            )
        )
        rep = repo.scoped(REPLAY)
        rt = _trades(REPLAY, date(2024, 3, 5), ["100", "150", "50"])
        rep.save_trades(rt)
        rep.save_signals([_signal(t) for t in rt])
        rep.save_equity_snapshots([(datetime(2024, 3, 1, 21, tzinfo=UTC), Decimal("100000"))])

        repo.ensure_run(
            LOCAL, "local", "local day 2024-03-07", datetime(2024, 3, 7, 13, tzinfo=UTC)
        )
        loc = repo.scoped(LOCAL)
        lt = _trades(LOCAL, date(2024, 3, 7), ["-40", "15"])
        loc.save_trades(lt)
        loc.save_signals([_signal(t) for t in lt])
        loc.save_equity_snapshots([(datetime(2024, 3, 7, 13, tzinfo=UTC), Decimal("100000"))])
        loc.upsert_position(
            {
                "symbol": "QQQ",
                "side": "long",
                "qty": 3,
                "entry_price": Decimal("400"),
                "entry_time": datetime(2024, 3, 7, 19, tzinfo=UTC),
                "client_order_id": f"{LOCAL}-pos",
                "setup": "MR",
                "mark_price": Decimal("401"),
            },
            at=datetime(2024, 3, 7, 19, 5, tzinfo=UTC),
        )
        _analysis(loc, datetime(2024, 3, 7, 15, tzinfo=UTC), "bearish")
        if with_account:
            repo.ensure_run(ACCOUNT, "paper", "Alpaca paper account", NOW - timedelta(days=30))
            acc = repo.scoped(ACCOUNT)
            acc.save_trades(_trades(ACCOUNT, date(2024, 3, 6), ["7"]))
            _analysis(acc, datetime(2024, 3, 6, 15, tzinfo=UTC), "bullish")
    finally:
        repo.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'runs.sqlite3'}"
        return
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    from llm_advisor.storage.db import close_pool

    server = request.getfixturevalue("pg_url")
    name = f"api_runs_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
    try:
        yield url
    finally:
        close_pool(url)
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_for(url: str, api_key: str = "") -> APIGatewayRestResolver:
    settings = ApiSettings(db_url=url, cors_origins=(PAGE_ORIGIN,), api_key=api_key)
    return app_from_settings(settings, clock=ManualClock(NOW))


def get(app: APIGatewayRestResolver, path: str, **query: str) -> Reply:
    return call_app(app, path, query or None)


def test_runs_are_listed_with_kind_label_dates_and_summary(db_url: str) -> None:
    fill(db_url)
    body = get(app_for(db_url), "/api/runs").json
    assert [r["run_id"] for r in body["items"]] == [REPLAY, LOCAL]  # newest first
    replay, local = body["items"]
    assert (replay["kind"], replay["label"], replay["trades"]) == ("replay", "replay rules week", 3)
    assert Decimal(replay["realized_pnl"]) == Decimal("300")
    assert (replay["start_date"], replay["end_date"]) == ("2024-03-04", "2024-03-08")
    assert (local["kind"], local["trades"], Decimal(local["realized_pnl"])) == (
        "local",
        2,
        Decimal("-25"),
    )
    # a run without its own dates reports the sessions it traded
    assert (local["start_date"], local["end_date"]) == ("2024-03-07", "2024-03-07")
    assert body["default_run_id"] == LOCAL


def test_default_is_the_local_day_never_the_replay(db_url: str) -> None:
    fill(db_url)
    app = app_for(db_url)
    pnl = get(app, "/api/pnl", **RANGE).json
    assert pnl["run_id"] == LOCAL
    assert (pnl["trades"], Decimal(pnl["total_realized"])) == (2, Decimal("-25"))
    trades = get(app, "/api/trades", **RANGE).json
    assert trades["run_id"] == LOCAL
    assert {t["run_id"] for t in trades["items"]} == {LOCAL} and trades["total"] == 2
    assert get(app, "/api/signals", **RANGE).json["items"].__len__() == 2
    assert [p["symbol"] for p in get(app, "/api/positions").json["items"]] == ["QQQ"]
    assert get(app, "/api/market-analysis").json["analysis"]["market_assessment"] == "bearish"


def test_the_account_run_is_the_default_when_it_exists(db_url: str) -> None:
    fill(db_url, with_account=True)
    app = app_for(db_url)
    assert get(app, "/api/runs").json["default_run_id"] == ACCOUNT
    pnl = get(app, "/api/pnl", **RANGE).json
    assert (pnl["run_id"], pnl["trades"], Decimal(pnl["total_realized"])) == (
        ACCOUNT,
        1,
        Decimal("7"),
    )
    assert get(app, "/api/market-analysis").json["analysis"]["market_assessment"] == "bullish"
    assert get(app, "/api/positions").json["items"] == []


def test_run_filter_on_every_portfolio_route(db_url: str) -> None:
    fill(db_url, with_account=True)
    app = app_for(db_url)
    pnl = get(app, "/api/pnl", run=REPLAY, **RANGE).json
    assert (pnl["run_id"], pnl["trades"], Decimal(pnl["total_realized"])) == (
        REPLAY,
        3,
        Decimal("300"),
    )
    trades = get(app, "/api/trades", run=REPLAY, **RANGE).json
    assert trades["total"] == 3 and {t["run_id"] for t in trades["items"]} == {REPLAY}
    signals = get(app, "/api/signals", run=REPLAY, **RANGE).json
    assert signals["run_id"] == REPLAY and len(signals["items"]) == 3
    assert get(app, "/api/positions", run=REPLAY).json["items"] == []
    assert get(app, "/api/market-analysis", run=REPLAY).json["analysis"] is None
    local = get(app, "/api/positions", run=LOCAL).json
    assert local["run_id"] == LOCAL and [p["symbol"] for p in local["items"]] == ["QQQ"]
    analysis = get(app, "/api/market-analysis", run=LOCAL).json
    assert analysis["analysis"]["market_assessment"] == "bearish"


@pytest.mark.parametrize(
    "path", ["/api/pnl", "/api/trades", "/api/signals", "/api/positions", "/api/market-analysis"]
)
def test_unknown_run_is_a_404_naming_it(db_url: str, path: str) -> None:
    fill(db_url)
    r = get(app_for(db_url), path, run="replay-nope")
    assert r.status == 404
    assert r.json["error"] == "run_not_found"
    assert "run='replay-nope'" in r.json["message"] and "/api/runs" in r.json["message"]
    assert r.json["fields"][0]["field"] == "run"


def test_malformed_run_id_is_refused(db_url: str) -> None:
    fill(db_url)
    r = get(app_for(db_url), "/api/trades", run="x' OR 1=1 --")
    assert r.status == 422 and r.json["fields"][0]["field"] == "run"


def test_account_run_is_accepted_before_it_has_records(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    open_repository(url, migrate_schema=True).close()
    app = app_for(url)
    assert get(app, "/api/runs").json == {"default_run_id": "live", "items": []}
    r = get(app, "/api/pnl", run="live", **RANGE)
    assert r.status == 200 and r.json["trades"] == 0


# ------------------------------------------------------------------ API key


def test_key_required_when_configured(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'k.sqlite3'}"
    fill(url)
    app = app_for(url, api_key="s3cret-key")
    missing = call_app(app, "/api/runs", headers={"Origin": PAGE_ORIGIN})
    assert missing.status == 403 and missing.json["error"] == "forbidden"
    assert "x-api-key" in missing.json["message"]
    # the refusal is readable by the page (CORS headers present)
    assert missing.headers.get("access-control-allow-origin") == PAGE_ORIGIN
    wrong = call_app(app, "/api/pnl", headers={"x-api-key": "nope"})
    assert wrong.status == 403
    ok = call_app(app, "/api/runs", headers={"X-Api-Key": "s3cret-key"})
    assert ok.status == 200 and ok.json["default_run_id"] == LOCAL
    preflight = call_app(
        app,
        "/api/pnl",
        headers={
            "Origin": PAGE_ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-api-key",
        },
        method="OPTIONS",
    )
    assert preflight.status == 204
    assert "x-api-key" in preflight.headers.get("access-control-allow-headers", "").lower()


def test_local_page_config_carries_the_api_url_and_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    fill(url)
    with running(url, NOW, api_key="k-123") as servers:
        with urllib.request.urlopen(f"{servers.web_url}/config.js", timeout=10) as resp:
            text = resp.read().decode()
        assert f'"api": "{servers.api_url}"' in text and '"apiKey": "k-123"' in text
        req = urllib.request.Request(f"{servers.api_url}/api/runs", headers={"x-api-key": "k-123"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200
