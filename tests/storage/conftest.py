"""Storage fixtures: one database per test module and engine, emptied before each test.

PostgreSQL tests get a fresh database (named after the module, the xdist worker and a random
suffix) so modules and workers never share rows; SQLite tests get a temp file.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from llm_advisor.storage import Repository, open_repository

DATA_TABLES = (
    "order_status_history", "fills", "trades", "orders", "trade_signals", "live_loop_logs",
    "equity_snapshots", "llm_validations", "positions", "runs", "daily_bias",
    "premarket_snapshots", "market_analysis", "llm_calls", "daily_pnl", "daily_pnl_all",
    "position_history", "bar_quarantine", "live_loop_minutes", "loop_heartbeats", "alert_log",
    "truth_divergences", "truth_days", "rag_documents",
)  # fmt: skip


def _with_db(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


@pytest.fixture(scope="module")
def pg_database(request: pytest.FixtureRequest, pg_url: str) -> Iterator[str]:
    import psycopg

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw")
    mod = request.module.__name__.rsplit(".", 1)[-1][:20]
    name = f"t_{mod}_{worker}_{uuid.uuid4().hex[:8]}".lower()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_db(pg_url, name)
    yield url
    from llm_advisor.storage.db import close_pool

    close_pool(url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "records.sqlite3"
        return f"sqlite:///{path}"
    return str(request.getfixturevalue("pg_database"))


@pytest.fixture(scope="module")
def migrated(db_url: str) -> Iterator[Repository]:
    repo = open_repository(db_url)
    repo.migrate()
    yield repo
    repo.close()


@pytest.fixture
def repo(migrated: Repository) -> Repository:
    with migrated.db.transaction() as cur:
        for table in DATA_TABLES:
            cur.execute(f"DELETE FROM {table}")
    return migrated
