"""The ``bar_quarantine`` table on SQLite and PostgreSQL: raw values kept, inserts idempotent."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from llm_advisor.data.bar_checks import Reject
from llm_advisor.storage import Repository

T = datetime(2024, 3, 12, 14, 0, tzinfo=UTC)
AT = datetime(2024, 3, 12, 14, 1, tzinfo=UTC)


@pytest.fixture
def repo(repo_on_each_engine: Repository) -> Repository:
    """The test's repository, on each engine (``tests/conftest.py``)."""
    return repo_on_each_engine


def test_quarantined_bars_are_stored_raw_and_once(repo: Repository) -> None:
    rejects = [
        Reject("SPY", T, "non_finite", "high is infinite", 10.0, math.inf, 9.0, 9.5, 100.0),
        Reject("SPY", T, "late", "came late", 10.0, 11.0, 9.0, 9.5, 100.0),
        Reject("QQQ", T, "not_positive", "open 0.0 is zero", 0.0, 1.0, 0.5, math.nan, -0.0),
    ]
    assert repo.save_bar_quarantine(rejects, AT) == 3
    repo.save_bar_quarantine(rejects, AT)  # a retried tick
    repo.save_bar_quarantine(rejects[:1], AT.replace(minute=2))  # seen again later
    rows = repo.get_bar_quarantine()
    assert [(r["symbol"], r["bar_time"], r["reason"]) for r in rows] == [
        ("QQQ", T, "not_positive"),
        ("SPY", T, "late"),
        ("SPY", T, "non_finite"),
    ]
    q, _late, inf = rows
    assert (inf["high"], inf["open"], inf["recorded_at"]) == ("inf", "10.0", AT)
    assert (q["open"], q["close"], q["volume"]) == ("0.0", "nan", "-0.0")
    assert q["run_id"] == "live" and q["detail"] == "open 0.0 is zero"
    assert repo.scoped("other").get_bar_quarantine() == []
