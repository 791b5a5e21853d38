"""The XNYS calendar's answers, saved: the library's sessions without its import and rules.

Why: ``exchange_calendars`` is the truth for sessions, but a fresh process pays about 0.35 s
to import it and 0.27 s to evaluate its holiday rules from 2000 on. That is most of a
Lambda's cold start and of a short replay. ``xnys_sessions.json`` holds what the library
answered (its weekday closures and its opens and closes that differ from 09:30 and 16:00)
for every date it covered when the file was made, and which library version made it.

The file is only used when the installed ``exchange_calendars`` is that same version
(``importlib.metadata``, no import) and the date is inside its range; anything else asks the
library, so a library upgrade can never be overruled by a stale file. ``make calendar``
regenerates it (``python -m llm_advisor.core.xnys_table``), and a test compares it with the
installed library date by date.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import date, time, timedelta
from importlib import metadata, resources
from pathlib import Path
from typing import Any

LIBRARY = "exchange_calendars"
FILE = "xnys_sessions.json"
FIRST = "2000-01-03"  # the first date the project asks the library for (core/calendar.py)
OPEN = time(9, 30)
CLOSE = time(16, 0)


@dataclass(frozen=True)
class SessionTable:
    """XNYS sessions from ``first`` to ``last``: every weekday but ``closed``, open at
    ``opens.get(day, OPEN)`` and closing at ``closes.get(day, CLOSE)`` New York time."""

    version: str
    first: date
    last: date
    closed: frozenset[date]
    opens: dict[date, time]
    closes: dict[date, time]

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last

    def is_session(self, day: date) -> bool:
        """Only meaningful for a covered day."""
        return day.weekday() < 5 and day not in self.closed

    def sessions(self, start: date, end: date) -> list[date]:
        """Sessions in [start, end], both covered."""
        n = (end - start).days + 1
        days = (start + timedelta(days=i) for i in range(max(n, 0)))
        return [d for d in days if self.is_session(d)]

    def previous(self, day: date) -> date | None:
        """The last session before ``day``; None when it would be before ``first``."""
        d = day - timedelta(days=1)
        while d >= self.first:
            if self.is_session(d):
                return d
            d -= timedelta(days=1)
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "library": LIBRARY,
            "version": self.version,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "closed_weekdays": sorted(d.isoformat() for d in self.closed),
            "opens": {d.isoformat(): t.strftime("%H:%M") for d, t in sorted(self.opens.items())},
            "closes": {d.isoformat(): t.strftime("%H:%M") for d, t in sorted(self.closes.items())},
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> SessionTable:
        return cls(
            version=str(doc["version"]),
            first=date.fromisoformat(doc["first"]),
            last=date.fromisoformat(doc["last"]),
            closed=frozenset(date.fromisoformat(d) for d in doc["closed_weekdays"]),
            opens={date.fromisoformat(d): time.fromisoformat(t) for d, t in doc["opens"].items()},
            closes={date.fromisoformat(d): time.fromisoformat(t) for d, t in doc["closes"].items()},
        )


def installed_version() -> str | None:
    try:
        return metadata.version(LIBRARY)
    except metadata.PackageNotFoundError:
        return None


def load() -> SessionTable | None:
    """The saved table, or None when it is missing or another library version made it."""
    try:
        text = resources.files("llm_advisor.core").joinpath(FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    table = SessionTable.from_json(json.loads(text))
    return table if table.version == installed_version() else None


def generate() -> SessionTable:
    """The table of the installed library, over the range ``core.calendar`` asks it for."""
    import exchange_calendars as xcals

    cal = xcals.get_calendar("XNYS", start=FIRST)
    sched = cal.schedule
    ny = "America/New_York"
    days = [ts.date() for ts in sched.index]
    opens = [ts.tz_convert(ny).time() for ts in sched["open"]]
    closes = [ts.tz_convert(ny).time() for ts in sched["close"]]
    first, last = days[0], days[-1]
    sessions = set(days)
    weekdays = (first + timedelta(days=i) for i in range((last - first).days + 1))
    weekend = [d for d in days if d.weekday() >= 5]
    if weekend:  # the table's rule (weekdays but the closed ones) could not say it
        raise SystemExit(f"XNYS sessions on weekends ({weekend[:3]}): the table cannot hold them")
    return SessionTable(
        version=str(installed_version()),
        first=first,
        last=last,
        closed=frozenset(d for d in weekdays if d.weekday() < 5 and d not in sessions),
        opens={d: t for d, t in zip(days, opens, strict=True) if t != OPEN},
        closes={d: t for d, t in zip(days, closes, strict=True) if t != CLOSE},
    )


def main(argv: list[str]) -> int:
    """``make calendar``: write the installed library's table beside this module."""
    out = Path(argv[0]) if argv else Path(__file__).with_name(FILE)
    table = generate()
    out.write_text(json.dumps(table.to_json(), indent=1) + "\n", encoding="utf-8")
    print(f"{out}: XNYS {table.first}..{table.last} from {LIBRARY} {table.version}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
