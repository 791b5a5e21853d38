"""Query parameters shared by the routes, and the checks a schema cannot express.

Types and bounds are declared once here so every route validates ``symbol`` or ``limit`` the
same way and the OpenAPI document describes them identically. Cross-field rules (a start
after an end) and defaults that need the injected clock live in ``resolve_range``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AwareDatetime

from llm_advisor.api.errors import bad_request
from llm_advisor.core.calendar import NY
from llm_advisor.core.clock import Clock
from llm_advisor.core.models import SYMBOL_RE

MAX_LIMIT = 500
DEFAULT_LIMIT = 100
MAX_OFFSET = 1_000_000
MAX_RANGE_DAYS = 3660  # ten years: bounds the work one request can ask of the database
EARLIEST = date(1990, 1, 1)
LATEST = date(2199, 12, 31)

SymbolQuery = Annotated[
    str | None,
    Query(
        pattern=SYMBOL_RE.pattern,
        description="Ticker, upper case (1-10 of A-Z, 0-9, '.', '-'), e.g. SPY or BRK.B",
        examples=["SPY"],
    ),
]
StartDateQuery = Annotated[
    date | None,
    Query(description="First session date, inclusive (YYYY-MM-DD)", examples=["2024-03-01"]),
]
EndDateQuery = Annotated[
    date | None,
    Query(
        description="Last session date, inclusive (YYYY-MM-DD); default today in New York",
        examples=["2024-03-29"],
    ),
]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, 1..{MAX_LIMIT}")]
OffsetQuery = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip (pagination)")]
DateQuery = Annotated[
    date | None,
    Query(description="Session date (YYYY-MM-DD); default today in New York"),
]
TimestampQuery = Annotated[
    AwareDatetime | None,
    Query(
        description="ISO-8601 time with a zone (Z or +hh:mm); naive times are refused",
        examples=["2024-03-01T15:00:00Z"],
    ),
]


def today_ny(clock: Clock) -> date:
    """The trading day as New York sees it (a UTC date is 'tomorrow' after 20:00 ET)."""
    return clock.now().astimezone(NY).date()


def check_day(field: str, day: date) -> date:
    if not EARLIEST <= day <= LATEST:
        raise bad_request(
            field,
            f"{field}={day.isoformat()} is outside {EARLIEST.isoformat()}..{LATEST.isoformat()}",
        )
    return day


def check_time(field: str, ts: datetime) -> datetime:
    try:
        out = ts.astimezone(UTC)
        check_day(field, out.date())
    except OverflowError:
        raise bad_request(field, f"{field}={ts.isoformat()} is out of range") from None
    return out


def resolve_range(
    clock: Clock, start: date | None, end: date | None, default_days: int
) -> tuple[date, date]:
    """Fill defaults (end = today in New York, start = end - default_days + 1) and refuse
    reversed or oversized ranges, naming the field at fault."""
    end = check_day("end_date", end) if end is not None else today_ny(clock)
    if start is None:
        start = max(end - timedelta(days=default_days - 1), EARLIEST)
    check_day("start_date", start)
    if start > end:
        raise bad_request(
            "start_date",
            f"start_date={start.isoformat()} is after end_date={end.isoformat()}",
        )
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise bad_request(
            "start_date",
            f"start_date={start.isoformat()}..end_date={end.isoformat()} is longer than "
            f"{MAX_RANGE_DAYS} days",
        )
    return start, end
