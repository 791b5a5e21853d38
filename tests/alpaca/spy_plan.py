"""The one SPY bracket the monitor and position-book tests trade on the stand-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from llm_advisor.core.models import Setup, Side, TradePlan

OPEN = datetime(2024, 1, 3, 14, 30, tzinfo=UTC)  # Wed 2024-01-03 09:30 New York
CID = "stdev-20240103-SPY-MR-long-2024-01-03T14:30:00Z"
PLAN = TradePlan(
    client_order_id=CID,
    symbol="SPY",
    side=Side.LONG,
    setup=Setup.MR,
    qty=10,
    ref_price=100.0,
    stop_price=99.0,
    target_price=101.5,
    signal_time=OPEN,
    session_date="2024-01-03",
)


def m(i: int) -> datetime:
    """``i`` minutes after the open."""
    return OPEN + timedelta(minutes=i)
