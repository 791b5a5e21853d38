"""A replay's sessions streamed a date at a time from any reader of dated rows.

``StreamedSource`` is one pass over the dates in order: the next date read, its aggregates
(for later snapshots) and, for a replayed session, its minute grid computed on a thread
while the engine runs the current one; per symbol only what the next session needs is
carried (``stream_state``). Its memory does not grow with the number of sessions. The
columnar store (``store_source.StoreSource``) and frames in memory
(``frame_source.FrameSource``) are its two readers, so both replay through the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Protocol, cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from llm_advisor.core.calendar import Session, is_session
from llm_advisor.core.config import StrategyConfig
from llm_advisor.engine import session_for_config
from llm_advisor.engine.grid import minute_grid, new_grid
from llm_advisor.features.aggregate import SessionAggregates, aggregate_session, daily_from_frame
from llm_advisor.features.snapshot import DailyAt, daily_at
from llm_advisor.replay.partitions import Rows
from llm_advisor.replay.source import F64, Fingerprint, SessionInputs, no_bars_at_all
from llm_advisor.replay.stream_state import SnapshotState, Tail


class DateReader(Protocol):
    """Rows of the replay's symbols a New York date at a time (``partitions.Rows``)."""

    def dates(self, through: date | None = None) -> list[date]:
        """The dates that have rows, in order (up to ``through``)."""

    def has(self, day: date) -> bool: ...

    def read(self, day: date) -> Rows: ...


class StreamedSource:
    """The sessions of ``reader``'s rows, streamed: see the module docstring. Subclasses
    add ``check`` (what their input can say about empty symbols and ranges cheaply)."""

    AHEAD = 1  # dates decoded ahead of the one being replayed

    def __init__(
        self,
        symbols: Sequence[str],
        reader: DateReader,
        through: date | None,
        daily: Mapping[str, pd.DataFrame] | None = None,
    ) -> None:
        self.symbols = list(symbols)
        self.reader = reader
        self.through = through
        self.daily = daily or {}
        self._fp = Fingerprint(self.symbols)
        self.held = 0  # dates read and not yet done with (at most AHEAD + 1)
        self.max_held = 0
        self.carried: Callable[[], int] = lambda: 0  # bytes carried between sessions

    def fingerprint(self) -> str:
        return self._fp.digest()

    def span(self) -> tuple[date, date]:
        days = self.reader.dates(self.through)
        if not days:
            raise no_bars_at_all(self.symbols)
        return days[0], days[-1]

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
        if self.reader.has(day):
            rows = self.reader.read(day)
        else:  # a session without a single bar
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
        """The reader's dates and the sessions in order, ``AHEAD`` of them prepared on a
        thread meanwhile."""
        days = sorted(set(self.reader.dates(self.through)) | set(sessions))
        wanted = set(sessions)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="replay-read") as pool:
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
