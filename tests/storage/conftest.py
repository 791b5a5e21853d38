"""Storage fixtures: one database per test module and engine, emptied before each test.

PostgreSQL tests get a fresh database (named after the module, the xdist worker and a random
suffix) so modules and workers never share rows; SQLite tests get a temp file.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from llm_advisor.storage import Repository, open_repository

DATA_TABLES = (
    "order_status_history", "fills", "trades", "orders", "trade_signals", "live_loop_logs",
    "equity_snapshots", "llm_validations", "positions", "runs", "daily_bias",
    "premarket_snapshots", "market_analysis", "llm_calls", "daily_pnl", "daily_pnl_all",
    "position_history", "bar_quarantine", "live_loop_minutes", "loop_heartbeats", "alert_log",
    "truth_divergences", "truth_days", "rag_documents",
)  # fmt: skip


@pytest.fixture(scope="module")
def pg_database(request: pytest.FixtureRequest, pg_url: str) -> Iterator[str]:
    from tests.scratch_pg import scratch_database

    mod = request.module.__name__.rsplit(".", 1)[-1][:20]
    with scratch_database(pg_url, f"t_{mod}") as url:
        yield url


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
