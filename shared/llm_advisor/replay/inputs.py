"""Where replay bars come from: a directory of bar files or the synthetic market."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from llm_advisor.core.calendar import sessions_between
from llm_advisor.core.errors import UserError
from llm_advisor.data.barfiles import BarDirectory


@dataclass
class ReplayInputs:
    bars: dict[str, pd.DataFrame]
    daily: dict[str, pd.DataFrame] | None
    start: date
    end: date
    source: str


def from_directory(
    bars_dir: Path,
    symbols: Sequence[str] | None,
    start: date,
    end: date,
    daily_dir: Path | None = None,
) -> ReplayInputs:
    d = BarDirectory(bars_dir)
    wanted = list(symbols) if symbols else d.symbols()
    if not wanted:
        raise UserError(f"--bars-dir {bars_dir}: no bar files found")
    bars = {s: d.load(s) for s in wanted}
    daily: dict[str, pd.DataFrame] | None = None
    if daily_dir is not None:
        dd = BarDirectory(daily_dir)
        daily = {s: dd.load(s) for s in wanted if s in dd}
    return ReplayInputs(bars, daily, start, end, f"files:{bars_dir}")


def synthetic(
    symbols: Sequence[str], start: date, sessions: int, history: int = 40, seed: int = 7
) -> ReplayInputs:
    """``sessions`` synthetic sessions from ``start``, preceded by ``history`` sessions so
    the premarket snapshots (daily ATR, EMA slopes, bands) have data."""
    from llm_advisor.data.synthetic import SyntheticMarket

    if sessions < 1:
        raise UserError(f"--sessions={sessions}: must be >= 1")
    hist_start = _sessions_back(start, history)
    bars = SyntheticMarket(seed).minute_bars(list(symbols), hist_start, history + sessions)
    days = SyntheticMarket.session_days(start, sessions)
    return ReplayInputs(bars, None, days[0], days[-1], f"synthetic:seed={seed}")


def _sessions_back(start: date, n: int) -> date:
    if n <= 0:
        return start
    lo = date(start.year - 1 - n // 250, 1, 1)
    days = [d for d in sessions_between(lo, start) if d < start]
    return days[-n] if len(days) >= n else days[0]
