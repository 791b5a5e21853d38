"""Trading sessions from the XNYS exchange calendar (``exchange_calendars``).

Holidays, 13:00 early closes and DST are the library's job: a hand-written holiday list is
wrong within a year, and naive clock arithmetic is off by an hour twice a year. Everything
returned here is timezone-aware UTC; America/New_York is used only to place the strategy's
wall-clock times (window, flatten time) on a given session.

The library's answers for 2000 to a year ahead are saved in ``xnys_sessions.json``
(``core/xnys_table.py``): a date that file covers, made by the installed library version,
is answered from it, which spares a fresh process (a Lambda cold start, a replay) the
library's import and rule evaluation; any other date asks the library itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from llm_advisor.core import xnys_table

NY = ZoneInfo("America/New_York")
REGULAR_CLOSE = time(16, 0)


@lru_cache(maxsize=1)
def _xnys() -> Any:
    import exchange_calendars as xcals

    return xcals.get_calendar("XNYS", start=xnys_table.FIRST)


@lru_cache(maxsize=1)
def _table() -> xnys_table.SessionTable | None:
    return xnys_table.load()


def _saved(*days: date) -> xnys_table.SessionTable | None:
    """The saved table when it covers every one of ``days``, else None (ask the library)."""
    table = _table()
    return table if table is not None and all(table.covers(d) for d in days) else None


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
    table = _saved(day)
    if table is not None:
        return table.is_session(day)
    return bool(_xnys().is_session(pd.Timestamp(day)))


def _open_close(day: date) -> tuple[datetime, datetime]:
    """The session's open and close in UTC; ``ValueError`` naming the date if closed."""
    table = _saved(day)
    if table is not None:
        if not table.is_session(day):
            raise _closed(day)
        open_t = table.opens.get(day, xnys_table.OPEN)
        return _at(day, open_t), _at(day, table.closes.get(day, xnys_table.CLOSE))
    cal = _xnys()
    ts = pd.Timestamp(day)
    if not cal.is_session(ts):
        raise _closed(day)
    open_utc = cal.session_open(ts).to_pydatetime().astimezone(UTC)
    return open_utc, cal.session_close(ts).to_pydatetime().astimezone(UTC)


def _closed(day: date) -> ValueError:
    return ValueError(f"date={day.isoformat()} is not an XNYS trading session (weekend or holiday)")


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
    open_utc, close_utc = _open_close(day)
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
    table = _saved(start, end)
    if table is not None:
        return table.sessions(start, end)
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
    table = _saved(day)
    found = table.previous(day) if table is not None else None
    if found is not None:
        return found
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
