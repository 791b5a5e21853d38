"""The daily budget stays closed when its meter (the ledger's spend query) fails.

A deployed analyst reads the day's spend from ``llm_calls``; a transient database error on
that read must not leave the budget believing nothing was spent for the rest of the day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from llm_advisor.analysis.guards import DailyBudget
from llm_advisor.core.clock import ManualClock

T0 = datetime(2026, 3, 2, 15, 15, tzinfo=UTC)


class FlakyMeter:
    """Fails on the first read, then reports the day's real spend."""

    def __init__(self, spent: Decimal) -> None:
        self.spent = spent
        self.calls = 0

    def spent_usd(self, day: date) -> Decimal:
        self.calls += 1
        if self.calls == 1:
            raise ConnectionError("database unavailable")
        return self.spent


def test_a_failed_spend_read_does_not_open_the_budget() -> None:
    meter = FlakyMeter(Decimal("0.50"))
    b = DailyBudget(ManualClock(T0), Decimal("0.05"), meter)
    with pytest.raises(ConnectionError):
        b.allows()  # the caller turns this into neutral advice: closed
    assert not b.allows()  # the next call reads the meter again and sees the spend
    assert b.spent == Decimal("0.50") and meter.calls == 2
