"""``GET /api/features``: a symbol's per-minute log for one session and run, over SQLite and
PostgreSQL through the real write path (``Repository.save_minute_log``)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from llm_advisor.api.app import app_from_settings
from llm_advisor.api.settings import ApiSettings
from llm_advisor.core.clock import ManualClock
from llm_advisor.live.engine import MinuteFeatures
from llm_advisor.storage import open_repository

from .conftest import PAGE_ORIGIN, Reply, call_app

NOW = datetime(2024, 3, 8, 21, 0, tzinfo=UTC)
OPEN = datetime(2024, 3, 7, 14, 30, tzinfo=UTC)  # 09:30 New York
MINUTES = 5


def _minute(i: int, run_scale: float = 1.0) -> MinuteFeatures:
    z = np.array([0.5 * i * run_scale, math.nan])
    k = np.array([[2.0, 2.0], [0.5, 0.5], [2.5, 2.5], [0.75, 0.75]]) * (1.0 + i / 10)
    return MinuteFeatures(
        OPEN + timedelta(minutes=i),
        ("QQQ", "SPY"),
        np.array([0, 1]),
        np.array([400.0 + i, 500.0 - i]),
        z,
        np.array([399.5, 500.0]),
        np.array([1.25, 2.0]),
        np.array([0.4, math.nan]),
        np.array([1 if i >= 3 else 0, 4]),
        np.array([-1 if i >= 3 else 0, 1]),
        k,
    )


def _fill(url: str) -> None:
    repo = open_repository(url, migrate_schema=True)
    try:
        repo.ensure_run("live", "paper", "account", NOW)
        repo.ensure_run("local-x", "local", "a local day", NOW)
        repo.save_minute_log([_minute(i) for i in range(MINUTES)], run_id="live")
        repo.save_minute_log([_minute(i, -1.0) for i in range(2)], run_id="local-x")
    finally:
        repo.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'features.sqlite3'}"
        _fill(url)
        yield url
        return
    import psycopg

    from llm_advisor.storage.db import close_pool

    server = request.getfixturevalue("pg_url")
    name = f"api_feat_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = server.rsplit("/", 1)[0] + f"/{name}"
    try:
        _fill(url)
        yield url
    finally:
        close_pool(url)
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def app(db_url: str) -> APIGatewayRestResolver:
    return app_from_settings(
        ApiSettings(db_url=db_url, cors_origins=(PAGE_ORIGIN,)), clock=ManualClock(NOW)
    )


def get(app: APIGatewayRestResolver, **query: str) -> Reply:
    return call_app(app, "/api/features", query)


def test_a_symbols_day_in_minute_order_with_thresholds(app: APIGatewayRestResolver) -> None:
    r = get(app, symbol="QQQ", date="2024-03-07")
    assert r.status == 200, r.text
    body = r.json
    assert (body["run_id"], body["symbol"], body["date"]) == ("live", "QQQ", "2024-03-07")
    items = body["items"]
    assert [i["time"] for i in items] == [
        (OPEN + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ") for i in range(MINUTES)
    ]
    assert [i["z"] for i in items] == [0.5 * i for i in range(MINUTES)]
    assert [i["state"] for i in items] == ["idle"] * 3 + ["mr_armed"] * 2
    assert [i["side"] for i in items] == [None] * 3 + ["short"] * 2
    assert items[2]["thresholds"] == pytest.approx(
        {"mr_arm_z": 2.4, "mr_trigger_z": 0.6, "tc_arm_z": 3.0, "tc_trigger_z": 0.9}
    )
    assert (items[0]["close"], items[0]["mu"], items[0]["sigma"], items[0]["atr_5m"]) == (
        400.0,
        399.5,
        1.25,
        0.4,
    )
    spy = get(app, symbol="SPY", date="2024-03-07").json["items"][0]
    assert (spy["z"], spy["atr_5m"], spy["state"], spy["side"]) == (
        None,
        None,
        "in_position",
        "long",
    )


def test_one_run_at_a_time_and_empty_days(app: APIGatewayRestResolver) -> None:
    local = get(app, symbol="QQQ", date="2024-03-07", run="local-x").json
    assert local["run_id"] == "local-x"
    assert [i["z"] for i in local["items"]] == [-0.0, -0.5]
    assert get(app, symbol="QQQ", date="2024-03-06").json["items"] == []
    assert get(app, symbol="QQQ").json["date"] == "2024-03-08"  # default: today in New York
    assert get(app, symbol="IWM", date="2024-03-07").json["items"] == []


def test_bad_input_is_one_clear_error(app: APIGatewayRestResolver) -> None:
    for query, name in (
        ({"date": "2024-03-07"}, "symbol"),
        ({"symbol": "spy", "date": "2024-03-07"}, "symbol"),
        ({"symbol": "SPY", "date": "2024-13-01"}, "date"),
    ):
        r = get(app, **query)
        assert r.status == 422, r.text
        assert [f["field"] for f in r.json["fields"]] == [name]
        assert name in r.json["message"]
    early = get(app, symbol="SPY", date="1900-01-02")
    assert early.status == 400 and early.json["fields"][0]["field"] == "date"
    unknown = get(app, symbol="SPY", date="2024-03-07", run="nope")
    assert unknown.status == 404 and unknown.json["error"] == "run_not_found"
