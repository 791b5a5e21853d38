"""Query parameters shared by the routes, and the checks a schema cannot express.

Types and bounds are declared once here so every route validates ``symbol`` or ``limit`` the
same way and the OpenAPI document describes them identically. Cross-field rules (a start
after an end) and defaults that need the injected clock live in ``resolve_range``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AwareDatetime

from llm_advisor.api.errors import ApiError, bad_request
from llm_advisor.core.calendar import NY
from llm_advisor.core.clock import Clock
from llm_advisor.core.models import SYMBOL_RE
from llm_advisor.core.ports import PortfolioQueries

if TYPE_CHECKING:
    from llm_advisor.api.context import ApiContext

MAX_LIMIT = 500
DEFAULT_LIMIT = 100
MAX_OFFSET = 1_000_000
MAX_RANGE_DAYS = 3660  # ten years: bounds the work one request can ask of the database
EARLIEST = date(1990, 1, 1)
LATEST = date(2199, 12, 31)

RUN_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$"
# The kinds the default view may fall back to: a simulated day, never a replay or a sweep.
FALLBACK_KINDS = ("local",)
ACCOUNT_KINDS = ("live", "paper")

RunQuery = Annotated[
    str | None,
    Query(
        pattern=RUN_ID_PATTERN,
        description=(
            "Run id from GET /api/runs. Default: the account's run (`live`) when it exists, "
            "else the most recent local (simulated) day; never a replay"
        ),
        examples=["live"],
    ),
]
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


def default_run(ctx: ApiContext, queries: PortfolioQueries) -> str:
    """The run shown without ``run=``: the account's configured run when it exists as a
    live/paper run, else the most recently created local day, else the account's run id
    (empty until the account trades). Replays and sweeps are never the default."""
    account = queries.find_run(ctx.account_run)
    if account is not None and account.kind in ACCOUNT_KINDS:
        return account.run_id
    local = queries.latest_run(FALLBACK_KINDS)
    return local.run_id if local is not None else ctx.account_run


def run_queries(ctx: ApiContext, run: str | None) -> tuple[PortfolioQueries, str]:
    """The query layer restricted to one run, and that run's id; an unknown run is a 404."""
    queries = ctx.queries()
    if run is None:
        run_id = default_run(ctx, queries)
    elif run == ctx.account_run or queries.find_run(run) is not None:
        run_id = run
    else:
        raise ApiError(
            HTTPStatus.NOT_FOUND,
            "run_not_found",
            f"run={run[:200]!r}: no such run; GET /api/runs lists the stored runs",
            "run",
        )
    return queries.scoped(run_id), run_id
