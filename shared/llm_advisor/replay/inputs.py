"""Where replay bars come from: a directory of bar files or the synthetic market.

Input mistakes stop here with one line naming what was looked for: a date range that holds
no bars for any requested symbol would otherwise replay to "0 trades" and exit 0, which reads
like a quiet strategy rather than a wrong ``--start`` or ``--bars-dir``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from llm_advisor.core.calendar import NY, sessions_between
from llm_advisor.core.errors import UserError
from llm_advisor.data.barfiles import BarDirectory
from llm_advisor.replay.partitions import PartitionReader
from llm_advisor.replay.store_source import StoreBars


@dataclass
class ReplayInputs:
    bars: Mapping[str, pd.DataFrame]  # a StoreBars from the columnar store: streamed
    daily: dict[str, pd.DataFrame] | None
    start: date
    end: date
    source: str
    no_bars: tuple[str, ...] = ()  # requested symbols with no bar in [start, end]


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
    for s, df in bars.items():
        if df.index.name != "timestamp":
            raise UserError(
                f"--bars-dir {bars_dir}: {d.path_for(s).name} holds daily bars "
                "(a 'date' column); replay needs 1-minute bars (a 'timestamp' column)"
            )
    counts = {s: _bars_between(df, start, end) for s, df in bars.items()}
    if not any(counts.values()):
        raise UserError(
            f"--bars-dir {bars_dir}: no bars for {_names(wanted)} from --start={start} to "
            f"--end={end} (the files cover {_coverage(bars)})"
        )
    daily: dict[str, pd.DataFrame] | None = None
    if daily_dir is not None:
        dd = BarDirectory(daily_dir)
        daily = {s: dd.load(s) for s in wanted if s in dd}
        for s, df in daily.items():
            if df.index.name != "date":
                raise UserError(
                    f"--daily-dir {daily_dir}: {dd.path_for(s).name} holds 1-minute bars; "
                    "it needs daily bars (a 'date' column)"
                )
    missing = tuple(s for s in wanted if not counts[s])
    return ReplayInputs(bars, daily, start, end, f"files:{bars_dir}", missing)


def from_columnar(
    bars_dir: Path,
    symbols: Sequence[str] | None,
    start: date,
    end: date,
    daily_dir: Path | None = None,
    note: Callable[[str], None] | None = None,
) -> ReplayInputs:
    """``from_directory`` through the columnar store (``data/columnar.py``): the files are
    parsed and validated once (converted on first read). The bars come back as a
    ``StoreBars``, which ``run_replay`` streams date by date up to ``end`` (earlier dates
    are all read: the premarket EMAs and ATRs recurse over a symbol's whole history, so
    cutting it would change the trades); here only the symbol column is scanned, to check
    the inputs and name symbols without bars."""
    from llm_advisor.core.errors import DataError
    from llm_advisor.data import columnar

    said: list[str] = []  # told only once the inputs are good: an error stays one line
    try:
        root = columnar.ensure_store(bars_dir, note=said.append)
    except DataError:
        # Some file cannot be converted: read file by file, which names it in one line if it
        # is one of the symbols asked for and ignores it otherwise (as before the store).
        return from_directory(bars_dir, symbols, start, end, daily_dir)
    known = columnar.store_symbols(root)
    wanted = list(symbols) if symbols else known
    if not wanted:
        raise UserError(f"--bars-dir {bars_dir}: no bar files found")
    unknown = [s for s in wanted if s not in set(known)]
    if unknown:
        raise UserError(
            f"symbol={unknown[0]!r}: no bar file in {bars_dir} (available: {_names(known)})"
        )
    unique = list(dict.fromkeys(wanted))
    reader = PartitionReader(root, unique)
    total = np.zeros(len(unique), dtype=np.int64)  # bars up to --end
    between = np.zeros(len(unique), dtype=np.int64)  # bars from --start to --end
    by_date: dict[date, int] = {}
    days = reader.dates(end)
    with ThreadPoolExecutor(max_workers=2) as pool:  # Parquet decoding releases the GIL
        counted = list(pool.map(reader.count, days))
    for day, n in zip(days, counted, strict=True):
        total += n
        by_date[day] = int(n.sum())
        if day >= start:
            between += n
    if not between.any():
        every = columnar.read_bars(root, wanted)
        raise UserError(
            f"--bars-dir {bars_dir}: no bars for {_names(wanted)} from --start={start} to "
            f"--end={end} (the files cover {_coverage(every)})"
        )
    # a symbol with no bar up to --end cannot trade: left out (and named in no_bars)
    have = {s: int(n) for s, n in zip(unique, total.tolist(), strict=True) if n}
    bars = StoreBars(root, list(have), end, by_date, have)
    counts = dict(zip(unique, between.tolist(), strict=True))
    missing = tuple(s for s in wanted if not counts[s])
    daily = _daily(daily_dir, wanted)
    if note is not None:
        for line in said:
            note(line)
    return ReplayInputs(bars, daily, start, end, f"files:{bars_dir}", missing)


def _daily(daily_dir: Path | None, wanted: Sequence[str]) -> dict[str, pd.DataFrame] | None:
    if daily_dir is None:
        return None
    dd = BarDirectory(daily_dir)
    daily = {s: dd.load(s) for s in wanted if s in dd}
    for s, df in daily.items():
        if df.index.name != "date":
            raise UserError(
                f"--daily-dir {daily_dir}: {dd.path_for(s).name} holds 1-minute bars; "
                "it needs daily bars (a 'date' column)"
            )
    return daily


def _bars_between(df: pd.DataFrame, start: date, end: date) -> int:
    """Bars whose New York date is in [start, end] (the index is sorted UTC)."""
    lo = pd.Timestamp(start.isoformat(), tz=NY)
    hi = pd.Timestamp((end + timedelta(days=1)).isoformat(), tz=NY)
    index = pd.DatetimeIndex(df.index)
    return int(index.searchsorted(hi, side="left") - index.searchsorted(lo, side="left"))


def _names(symbols: Sequence[str]) -> str:
    shown = ",".join(symbols[:10])
    return shown + (f",... ({len(symbols)} symbols)" if len(symbols) > 10 else "")


def _coverage(bars: dict[str, pd.DataFrame]) -> str:
    firsts = [df.index[0] for df in bars.values() if len(df)]
    lasts = [df.index[-1] for df in bars.values() if len(df)]
    if not firsts:
        return "no bars at all"
    first = pd.Timestamp(min(firsts)).tz_convert(NY).date()
    last = pd.Timestamp(max(lasts)).tz_convert(NY).date()
    return f"{first}..{last}"


def synthetic(
    symbols: Sequence[str], start: date, sessions: int, history: int = 40, seed: int = 7
) -> ReplayInputs:
    """``sessions`` synthetic sessions from ``start``, preceded by ``history`` sessions so
    the premarket snapshots (daily ATR, EMA slopes, bands) have data."""
    from llm_advisor.data.synthetic import SyntheticMarket

    if sessions < 1:
        raise UserError(f"--sessions={sessions}: must be >= 1")
    if not symbols:
        raise UserError("--symbols: no symbols given")
    try:
        hist_start = _sessions_back(start, history)
        days = SyntheticMarket.session_days(start, sessions)
        bars = SyntheticMarket(seed).minute_bars(list(symbols), hist_start, history + sessions)
    except ValueError as exc:  # outside the exchange calendar, with the history before it
        raise UserError(
            f"--synthetic --start={start} --sessions={sessions} (+{history} sessions of "
            f"history before it): {calendar_words(exc)}"
        ) from None
    if not days:
        raise UserError(f"--synthetic --start={start} --sessions={sessions}: no sessions")
    return ReplayInputs(bars, None, days[0], days[-1], f"synthetic:seed={seed}")


def calendar_words(exc: ValueError) -> str:
    """``exchange_calendars``' out-of-bounds error as the range it covers, else as it came."""
    cal = getattr(exc, "calendar", None)
    if cal is None:
        return str(exc)
    first, last = (pd.Timestamp(t).date() for t in (cal.first_session, cal.last_session))
    return f"outside the XNYS calendar, which covers {first}..{last}"


def _sessions_back(start: date, n: int) -> date:
    if n <= 0:
        return start
    lo = date(start.year - 1 - n // 250, 1, 1)
    days = [d for d in sessions_between(lo, start) if d < start]
    return days[-n] if len(days) >= n else days[0]
