"""Trading sessions from the XNYS exchange calendar (``exchange_calendars``).

Holidays, 13:00 early closes and DST are the library's job: a hand-written holiday list is
wrong within a year, and naive clock arithmetic is off by an hour twice a year. Everything
returned here is timezone-aware UTC; America/New_York is used only to place the strategy's
wall-clock times (window, flatten time) on a given session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

NY = ZoneInfo("America/New_York")
REGULAR_CLOSE = time(16, 0)


@lru_cache(maxsize=1)
def _xnys() -> Any:
    import exchange_calendars as xcals

    return xcals.get_calendar("XNYS", start="2000-01-03")


@dataclass(frozen=True, slots=True)
class Session:
    """One regular session, with the strategy's times placed on it (all UTC)."""

    day: date
    open: datetime
    close: datetime
    window_start: datetime
    window_end: datetime
    flatten: datetime
    early_close: bool

    @property
    def minutes(self) -> int:
        return int((self.close - self.open).total_seconds() // 60)

    def minute_index(self, ts: datetime) -> int:
        return int((ts - self.open).total_seconds() // 60)


def _at(day: date, t: time) -> datetime:
    return datetime.combine(day, t, tzinfo=NY).astimezone(UTC)


def is_session(day: date) -> bool:
    return bool(_xnys().is_session(pd.Timestamp(day)))


def make_session(
    day: date,
    window_start: time = time(9, 30),
    window_end: time = time(12, 0),
    flatten_time: time = time(15, 50),
) -> Session:
    """The session on ``day``; ``ValueError`` naming the date if the market is closed.

    The flatten time is configured as a wall-clock time on a regular day (15:50); on an
    early-close day it keeps the same distance to the close (12:50 for a 13:00 close).
    """
    cal = _xnys()
    ts = pd.Timestamp(day)
    if not cal.is_session(ts):
        raise ValueError(
            f"date={day.isoformat()} is not an XNYS trading session (weekend or holiday)"
        )
    open_utc = cal.session_open(ts).to_pydatetime().astimezone(UTC)
    close_utc = cal.session_close(ts).to_pydatetime().astimezone(UTC)
    regular_close = _at(day, REGULAR_CLOSE)
    before_close = regular_close - _at(day, flatten_time)
    flatten = close_utc - before_close
    return Session(
        day=day,
        open=open_utc,
        close=close_utc,
        window_start=max(_at(day, window_start), open_utc),
        window_end=min(_at(day, window_end), close_utc),
        flatten=flatten,
        early_close=close_utc < regular_close,
    )


def sessions_between(start: date, end: date) -> list[date]:
    """Every XNYS session date in [start, end]."""
    if end < start:
        raise ValueError(f"end={end.isoformat()} is before start={start.isoformat()}")
    cal = _xnys()
    days = cal.sessions_in_range(pd.Timestamp(start), pd.Timestamp(end))
    return [d.date() for d in days]


def session_for(ts: datetime) -> date | None:
    """The session whose [open, close) contains ``ts``, or None."""
    day = ts.astimezone(NY).date()
    if not is_session(day):
        return None
    s = make_session(day)
    return day if s.open <= ts < s.close else None


def previous_session(day: date) -> date:
    cal = _xnys()
    out: date = (
        cal.date_to_session(pd.Timestamp(day), direction="previous").date()
        if not is_session(day)
        else cal.previous_session(pd.Timestamp(day)).date()
    )
    return out


def minute_floor(ts: datetime) -> datetime:
    return ts.replace(second=0, microsecond=0)


ONE_MINUTE = timedelta(minutes=1)
