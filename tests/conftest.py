"""Shared fixtures. ``../shared/data`` exists in CI; a user's clone skips those tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("LLM_ADVISOR_SHARED_DATA", ROOT.parent / "shared" / "data"))


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "llm-advisor-test")
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "llm-advisor")
    os.environ.setdefault("ADVISOR_NO_PROGRESS", "1")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Real market data beside the checkout; skip with the reason when absent."""
    if not (SHARED_DATA / "bars_1m").is_dir():
        pytest.skip(f"real market data not found at {SHARED_DATA} (present in CI only)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def pg_url() -> str:
    """URL of the local PostgreSQL that `make test` starts; skip when not running."""
    url = os.environ.get("LLM_ADVISOR_PG_URL", "")
    if not url:
        if os.environ.get("CI"):
            pytest.fail(
                "CI=true but LLM_ADVISOR_PG_URL is not set: `make test` must start PostgreSQL"
            )
        pytest.skip("LLM_ADVISOR_PG_URL not set (run `make pg-start` or `make test`)")
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def repo_on_each_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A migrated, empty ``Repository`` on SQLite, then on PostgreSQL in a database of its
    own (dropped afterwards), for tests that must hold on both engines."""
    from llm_advisor.storage import open_repository

    if request.param == "sqlite":
        r = open_repository(f"sqlite:///{tmp_path / 'each.sqlite3'}", migrate_schema=True)
        yield r
        r.close()
        return
    from tests.scratch_pg import scratch_database

    with scratch_database(str(request.getfixturevalue("pg_url")), "t_each") as url:
        r = open_repository(url, migrate_schema=True)
        try:
            yield r
        finally:
            r.close()
