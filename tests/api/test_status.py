"""``GET /api/status`` over SQLite and PostgreSQL: what the handlers recorded (heartbeats,
the alert log, the LLM ledger) read back with the strip's colour and its reasons."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from llm_advisor.api.app import app_from_settings
from llm_advisor.api.settings import ApiSettings
from llm_advisor.core.clock import ManualClock
from llm_advisor.core.ports import Alert
from llm_advisor.notify.store import LoopStatusStore
from llm_advisor.storage import open_repository

from .conftest import PAGE_ORIGIN, Reply, call_app

# 2024-03-07 10:00 New York (EST): in session.
NOW = datetime(2024, 3, 7, 15, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'status.sqlite3'}"
        open_repository(url, migrate_schema=True).close()
        yield url
        return
    import psycopg

    from llm_advisor.storage.db import close_pool

    server = request.getfixturevalue("pg_url")
    name = f"api_status_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = server.rsplit("/", 1)[0] + f"/{name}"
    try:
        open_repository(url, migrate_schema=True).close()
        yield url
    finally:
        close_pool(url)
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def record(url: str, tick_age_min: float, **monitor: object) -> None:
    """What the tick, monitor and analysis handlers leave behind for the live account."""
    repo = open_repository(url).scoped("live")
    try:
        repo.ensure_run("live", "paper", "account", NOW - timedelta(days=3))
        store = LoopStatusStore.of(repo)
        tick_at = NOW - timedelta(minutes=tick_age_min)
        store.beat(
            "tick",
            tick_at,
            True,
            {
                "status": "stepped",
                "session_day": "2024-03-07",
                "minutes": 1,
                "last_minute": (tick_at - timedelta(minutes=1)).isoformat(),
                "duration_ms": 840,
                "bars_quarantined": 0,
                "bars_late": 0,
                "engine": {"symbols": 5, "armed": 2, "in_position": 1},
            },
        )
        detail = {"status": "reconciled", "equity": "100123.45", "kill_switch": False}
        detail |= {"queue_depth": 0, "dlq_depth": 0, **monitor}
        store.beat("monitor", NOW, True, detail)
        store.beat(
            "analysis",
            NOW - timedelta(minutes=15),
            True,
            {"status": "analysed", "source": "rules", "fallback": False},
        )
    finally:
        repo.close()


def get(url: str, now: datetime = NOW) -> Reply:
    app = app_from_settings(
        ApiSettings(db_url=url, cors_origins=(PAGE_ORIGIN,)), clock=ManualClock(now)
    )
    return call_app(app, "/api/status")


def test_a_live_loop_is_green_with_every_figure(db_url: str) -> None:
    record(db_url, tick_age_min=1)
    r = get(db_url)
    assert r.status == 200, r.text
    s = r.json
    assert (s["run_id"], s["in_session"], s["level"], s["reasons"]) == ("live", True, "green", [])
    assert s["tick"]["last_ok_at"] == "2024-03-07T14:59:00Z"
    assert (s["tick"]["age_seconds"], s["tick"]["minutes"], s["tick"]["duration_ms"]) == (
        60,
        1,
        840,
    )
    assert s["engine"] == {"symbols": 5, "armed": 2, "in_position": 1}
    assert s["broker"]["reachable"] is True
    assert s["broker"]["equity"] == "100123.45"
    assert (s["queues"]["queue_depth"], s["queues"]["dlq_depth"]) == (0, 0)
    assert (s["kill_switch"], s["errors_today"]) == (False, 0)
    assert s["analysis"]["source"] == "rules"
    assert [c["name"] for c in s["components"]] == ["analysis", "monitor", "tick"]


def test_an_old_tick_in_session_turns_it_red(db_url: str) -> None:
    record(db_url, tick_age_min=5)
    s = get(db_url).json
    assert s["level"] == "red"
    assert [x["code"] for x in s["reasons"]] == ["tick_stale"]
    # 2.5 minutes: amber, not red
    record(db_url, tick_age_min=2.5)
    s = get(db_url).json
    assert (s["level"], [x["code"] for x in s["reasons"]]) == ("amber", ["tick_late"])
    # after the close an old tick is normal
    assert get(db_url, NOW + timedelta(hours=7)).json["level"] == "green"


def test_kill_switch_dlq_fallbacks_and_errors_are_reasons(db_url: str) -> None:
    record(db_url, tick_age_min=1, kill_switch=True, dlq_depth=2)
    repo = open_repository(db_url).scoped("live")
    try:
        store = LoopStatusStore.of(repo)
        fb = Alert(
            key="analyst_fallback:x",
            kind="analyst_fallback",
            severity="warning",
            at=NOW - timedelta(minutes=15),
            subject="Analyst fell back to neutral (timeout)",
            message="...",
        )
        assert store.claim(fb)
        err = Alert(
            key="error:tick:x", kind="error", severity="warning", at=NOW, subject="s", message="m"
        )
        assert store.claim(err, sent=False)
    finally:
        repo.close()
    s = get(db_url).json
    assert s["level"] == "red"
    assert [x["code"] for x in s["reasons"]] == ["kill_switch", "dlq", "analyst_fallback", "errors"]
    assert (s["kill_switch"], s["queues"]["dlq_depth"], s["errors_today"]) == (True, 2, 1)
    assert s["analysis"]["fallbacks_today"] == 1
    assert [a["kind"] for a in s["alerts_today"]] == ["error", "analyst_fallback"]
    assert s["alerts_today"][0]["sent"] is False


def test_a_failed_monitor_means_broker_unreachable(db_url: str) -> None:
    record(db_url, tick_age_min=1)
    repo = open_repository(db_url).scoped("live")
    try:
        LoopStatusStore.of(repo).beat("monitor", NOW, False, {"error": "ConnectionError: down"})
    finally:
        repo.close()
    s = get(db_url).json
    assert s["level"] == "red"
    assert "broker_unreachable" in [x["code"] for x in s["reasons"]]
    assert s["broker"] == {
        "reachable": False,
        "checked_at": "2024-03-07T15:00:00Z",
        "equity": None,
        "error": "ConnectionError: down",
    }


def test_nothing_recorded_yet_is_an_answer_not_an_error(db_url: str) -> None:
    s = get(db_url, NOW + timedelta(hours=7)).json
    assert s["tick"]["at"] is None and s["engine"] is None and s["components"] == []
    assert s["level"] == "green"
