"""The columnar store as a replay's session source, streamed a date at a time.

``StoreBars`` is what ``inputs.from_columnar`` hands out: a mapping of the asked symbols'
frames that reads nothing until asked (the report charts a few symbol-days), and that
``run_replay`` recognizes and streams through ``StoreSource``: one pass over the dates in
order, the next date read and its grid and aggregates computed on a thread while the engine
runs the current one, and per symbol only what the next session needs (``stream_state``).
Its memory does not grow with the number of sessions, and its replay equals the replay of
the same bars as frames (``FrameSource``), trade for trade and id for id.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from llm_advisor.core.calendar import Session, is_session
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import UserError
from llm_advisor.data.columnar import read_bars
from llm_advisor.engine import session_for_config
from llm_advisor.engine.grid import minute_grid, new_grid
from llm_advisor.features.aggregate import SessionAggregates, aggregate_session, daily_from_frame
from llm_advisor.features.snapshot import DailyAt, daily_at
from llm_advisor.replay.partitions import PartitionReader, Rows
from llm_advisor.replay.source import (
    F64,
    Fingerprint,
    SessionInputs,
    no_session_bars,
    window_ns,
)
from llm_advisor.replay.stream_state import SnapshotState, Tail


class StoreBars(Mapping[str, pd.DataFrame]):
    """The bars of ``symbols`` in a columnar store up to ``through`` (a New York date), as
    a mapping that reads a symbol's frame only when asked (``preload`` reads several in one
    pass). ``run_replay`` given one streams the store instead (``StoreSource``)."""

    def __init__(
        self,
        root: Path,
        symbols: Sequence[str],
        through: date,
        rows_by_date: Mapping[date, int] | None = None,
        rows_by_symbol: Mapping[str, int] | None = None,
    ) -> None:
        self.root = Path(root)
        self.symbols = sorted(symbols)
        self._known = frozenset(self.symbols)
        self.through = through
        self.rows_by_date = dict(rows_by_date or {})  # None: unknown, read when needed
        self.rows_by_symbol = dict(rows_by_symbol or {})
        self._frames: dict[str, pd.DataFrame] = {}

    def preload(self, symbols: Sequence[str]) -> None:
        """Read these symbols' frames in one pass over the store (kept until ``release``)."""
        want = [s for s in dict.fromkeys(symbols) if s in self and s not in self._frames]
        if want:
            got = read_bars(self.root, want, None, self.through)
            self._frames.update({s: got[s] for s in want if s in got})

    def release(self) -> None:
        self._frames.clear()

    def __getitem__(self, symbol: str) -> pd.DataFrame:
        if symbol not in self._frames:
            if symbol not in self._known:
                raise KeyError(symbol)
            got = read_bars(self.root, [symbol], None, self.through)
            return got.get(symbol, pd.DataFrame())
        return self._frames[symbol]

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._known

    def __iter__(self) -> Iterator[str]:
        return iter(self.symbols)

    def __len__(self) -> int:
        return len(self.symbols)


class StoreSource:
    """The sessions of a ``StoreBars``, streamed: see the module docstring."""

    AHEAD = 1  # dates decoded ahead of the one being replayed

    def __init__(self, bars: StoreBars, daily: Mapping[str, pd.DataFrame] | None = None) -> None:
        self.bars = bars
        self.daily = daily or {}
        self.symbols = list(bars.symbols)
        self.reader = PartitionReader(bars.root, self.symbols)
        self._fp = Fingerprint(self.symbols)
        self.held = 0  # dates read and not yet done with (at most AHEAD + 1)
        self.max_held = 0
        self.carried: Callable[[], int] = lambda: 0  # bytes carried between sessions

    def check(self, sessions: Sequence[date]) -> None:
        if not self.symbols:
            raise UserError("no symbols to replay")
        counts = self.bars.rows_by_symbol
        empty = [s for s in self.symbols if counts and not counts.get(s)]
        if empty:
            raise UserError(f"symbol(s) {','.join(empty)}: no bars at all")
        first, last = sessions[0], sessions[-1]
        rows = self.bars.rows_by_date
        if rows and any(n for d, n in rows.items() if first < d < last):
            return  # whole dates inside [first open, last close)
        lo_ns, hi_ns = window_ns(sessions)
        for d in self.reader.dates(self.bars.through):
            if first <= d <= last and (not rows or rows.get(d)):
                ts = self.reader.read(d).ts
                if bool(((ts >= lo_ns) & (ts < hi_ns)).any()):
                    return
        raise no_session_bars(self.symbols, sessions)

    def fingerprint(self) -> str:
        return self._fp.digest()

    def _daily_files(self, sessions: Sequence[date], config: StrategyConfig) -> dict[int, DailyAt]:
        return {
            j: daily_at(daily_from_frame(self.daily[s]), sessions, config)
            for j, s in enumerate(self.symbols)
            if s in self.daily
        }

    def _prepare(self, day: date, sessions: set[date], config: StrategyConfig) -> _Prepared:
        """A date read, and what depends on its rows alone computed (on the reader thread,
        where numpy's loops run beside the engine): its aggregates for the snapshots of
        later sessions and, for a replayed session, its minute grid."""
        if day in self.reader.files:
            rows = self.reader.read(day)
        else:  # a session without a bar in the store
            f = np.empty(0)
            rows = Rows(
                day, np.empty(0, dtype=np.int32), np.empty(0, dtype=np.int64), f, f, f, f, f
            )
        agg = _aggregates(rows) if day < max(sessions) and is_session(day) else None
        if day not in sessions:
            return _Prepared(rows, agg)
        sess = session_for_config(day, config)
        open_ns = int(pd.Timestamp(sess.open).value)
        grid = new_grid(sess.minutes, len(self.symbols))
        # minute_grid leaves out what is before the open or from the close on
        vals = [rows.open, rows.high, rows.low, rows.close, rows.volume]
        count = minute_grid(grid, cast("NDArray[np.intp]", rows.code), rows.ts, vals, open_ns)
        return _Prepared(rows, agg, sess, open_ns, grid, count)

    def _dates(self, sessions: Sequence[date], config: StrategyConfig) -> Iterator[_Prepared]:
        """The store's dates and the sessions in order, ``AHEAD`` of them prepared on a
        thread meanwhile."""
        days = sorted(set(self.reader.dates(self.bars.through)) | set(sessions))
        wanted = set(sessions)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-read") as pool:
            ahead: list[Future[_Prepared]] = []
            for d in days[: self.AHEAD + 1]:
                ahead.append(pool.submit(self._prepare, d, wanted, config))
            self.held = len(ahead)
            self.max_held = max(self.max_held, self.held)
            nxt = len(ahead)
            while ahead:
                got = ahead.pop(0).result()
                yield got
                del got
                self.held -= 1
                if nxt < len(days):
                    ahead.append(pool.submit(self._prepare, days[nxt], wanted, config))
                    nxt += 1
                    self.held += 1
                    self.max_held = max(self.max_held, self.held)

    def stream(
        self, sessions: Sequence[date], config: StrategyConfig
    ) -> Generator[SessionInputs, None, None]:
        n = len(self.symbols)
        last = sessions[-1]
        state = SnapshotState(self.symbols, config, self._daily_files(sessions, config), sessions)
        closes = Tail(n, config.rolling_window)
        self.carried = lambda: state.nbytes() + int(closes.values.nbytes)
        for got in self._dates(sessions, config):
            rows = got.rows
            self._fp.add(rows.code, rows.ts, rows.close, rows.starts)
            if rows.day > last:
                continue  # after the replay: counted in the fingerprint only
            if got.grid is None:
                closes.append(rows.code, rows.close, starts=rows.starts)
                if got.agg is not None:
                    state.add(got.agg)
                continue
            assert got.session is not None
            before = rows.ts < got.open_ns
            early = bool(before.any())
            if early:
                closes.append(rows.code[before], rows.close[before])
            w = closes.width
            seeds = {
                sym: closes.values[0, j, w - k :]
                for j, (sym, k) in enumerate(zip(self.symbols, closes.count.tolist(), strict=True))
            }
            snaps = state.snapshots(rows.day)
            yield SessionInputs(rows.day, got.session, got.grid, seeds, snaps, got.bars)
            if rows.day < last:
                if early:
                    closes.append(rows.code[~before], rows.close[~before])
                else:
                    closes.append(rows.code, rows.close, starts=rows.starts)
                if got.agg is not None:
                    state.add(got.agg)


@dataclass(frozen=True)
class _Prepared:
    rows: Rows
    agg: SessionAggregates | None
    session: Session | None = None
    open_ns: int = 0
    grid: F64 | None = None
    bars: int = 0


def _aggregates(rows: Rows) -> SessionAggregates:
    return aggregate_session(rows.code, rows.ts, rows.high, rows.low, rows.close, rows.day)
