"""A rerun of the simulated day (``make demo`` twice) says once that the fresh stand-in
account gets the earlier run's orders again, instead of one alarming warning per order."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest

from llm_advisor.local.day import run_local_day, synthetic_day_bars

DAY = date(2024, 3, 12)
SYMBOLS = ("IWM", "NVDA")


@pytest.mark.slow
def test_rerun_folds_the_unknown_order_warnings_into_one_report_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bars = synthetic_day_bars(DAY, SYMBOLS, 7, 3)
    url = f"sqlite:///{tmp_path}/advisor.sqlite3"
    first = run_local_day(DAY, SYMBOLS, db_url=url, history_sessions=3, bars=bars)
    assert first.replaced_orders == 0 and "fresh simulated broker" not in first.report()
    with caplog.at_level(logging.WARNING, logger="llm_advisor.execution.executor"):
        second = run_local_day(DAY, SYMBOLS, db_url=url, history_sessions=3, bars=bars)
    placed = sum(1 for o in first.orders if o.leg == "entry")
    assert placed > 0
    assert second.replaced_orders == placed == second.summary["replaced_orders"]
    assert not [r for r in caplog.records if "unknown to the broker" in r.getMessage()]
    lines = [ln for ln in second.report().splitlines() if "fresh simulated broker" in ln]
    assert lines == [
        f"  fresh simulated broker account: re-placed {placed} orders of the earlier run "
        "(the database keeps them; the stand-in starts empty)"
    ]
