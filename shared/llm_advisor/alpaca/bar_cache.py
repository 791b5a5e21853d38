"""Bars on disk, one file per (feed, timeframe, symbol, New York day), for offline reruns.

A day is cached only once it is over (New York midnight has passed), so a cached day is
final and a replay over it can be rerun with no network and no keys. A day with no bars is
cached too (an empty file), so holidays and halted symbols are not fetched again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd

from llm_advisor.core.calendar import NY

COLUMNS = ["open", "high", "low", "close", "volume"]


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a New York calendar day in UTC."""
    start = datetime(day.year, day.month, day.day, tzinfo=NY)
    nxt = start.date() + timedelta(days=1)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=NY)
    return start.astimezone(UTC), end.astimezone(UTC)


def ny_days(start: datetime, end: datetime) -> list[date]:
    """New York days touched by [start, end)."""
    first = start.astimezone(NY).date()
    last = (end - timedelta(microseconds=1)).astimezone(NY).date()
    n = (last - first).days
    return [first + timedelta(days=i) for i in range(max(n + 1, 0))]


def empty_frame() -> pd.DataFrame:
    idx = pd.DatetimeIndex([], tz=UTC, name="timestamp")
    return pd.DataFrame({c: pd.Series(dtype=float) for c in COLUMNS}, index=idx)


def write_frame_csv(path: Path, frame: pd.DataFrame) -> None:
    """The ../shared/data format: ``timestamp,open,...`` with ISO ``Z`` times, int volume."""
    path.parent.mkdir(parents=True, exist_ok=True)
    out = frame[COLUMNS].copy()
    out["volume"] = out["volume"].round().astype("int64")
    out.index = pd.DatetimeIndex(out.index).strftime("%Y-%m-%dT%H:%M:%SZ")
    out.index.name = "timestamp"
    tmp = path.with_name(path.name + ".tmp")
    out.to_csv(tmp, compression="gzip" if path.name.endswith(".gz") else None)
    tmp.replace(path)


def read_frame_csv(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path)
    if raw.empty:
        return empty_frame()
    idx = pd.DatetimeIndex(pd.to_datetime(raw["timestamp"], utc=True), name="timestamp")
    frame = pd.DataFrame({c: raw[c].to_numpy(dtype=float) for c in COLUMNS}, index=idx)
    return frame


class BarCache:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, feed: str, timeframe: str, symbol: str, day: date) -> Path:
        return self.root / feed / timeframe / symbol / f"{day.isoformat()}.csv.gz"

    @staticmethod
    def is_final(day: date, now: datetime) -> bool:
        return day_bounds(day)[1] <= now

    def load(self, feed: str, timeframe: str, symbol: str, day: date) -> pd.DataFrame | None:
        p = self.path(feed, timeframe, symbol, day)
        return read_frame_csv(p) if p.exists() else None

    def store(self, feed: str, timeframe: str, symbol: str, day: date, frame: pd.DataFrame) -> None:
        start, end = day_bounds(day)
        idx = pd.DatetimeIndex(frame.index)
        part = frame[(idx >= pd.Timestamp(start)) & (idx < pd.Timestamp(end))]
        write_frame_csv(self.path(feed, timeframe, symbol, day), part)
