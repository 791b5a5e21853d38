"""Injected clocks: the only place the system may read wall time.

Logic receives a ``Clock`` (or plain timestamps); ``SystemClock`` is wired in by drivers
only, and ``FixedClock`` / ``ManualClock`` make tests and replay deterministic.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


def require_utc(ts: datetime, field: str = "timestamp") -> datetime:
    """Return ``ts`` in UTC; refuse naive datetimes (they are off by 4-5 hours in NY)."""
    if ts.tzinfo is None or ts.tzinfo.utcoffset(ts) is None:
        raise ValueError(f"{field}={ts.isoformat()!r} is naive; a timezone-aware time is required")
    return ts.astimezone(UTC)


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to (tests, replay, the local day driver)."""

    def __init__(self, start: datetime) -> None:
        self._now = require_utc(start, "start")

    def now(self) -> datetime:
        return self._now

    def set(self, ts: datetime) -> None:
        self._now = require_utc(ts)

    def advance(self, delta: timedelta) -> None:
        self._now = self._now + delta
