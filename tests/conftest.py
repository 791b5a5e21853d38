"""Shared fixtures. ``../shared/data`` exists in CI; a user's clone skips those tests."""

from __future__ import annotations

import os
from pathlib import Path

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
