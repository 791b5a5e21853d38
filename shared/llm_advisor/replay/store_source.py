"""The columnar store as a replay's session source, streamed a date at a time.

``StoreBars`` is what ``inputs.from_columnar`` hands out: a mapping of the asked symbols'
frames that reads nothing until asked (the report charts a few symbol-days), and that
``run_replay`` recognizes and streams through ``StoreSource``: one pass over the dates in
order, the next date read and its grid and aggregates computed on a thread while the engine
runs the current one, and per symbol only what the next session needs (``streamed``).
Its memory does not grow with the number of sessions, and its replay equals the replay of
the same bars as frames (``FrameSource``), trade for trade and id for id.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path

import pandas as pd

from llm_advisor.core.errors import UserError
from llm_advisor.data.columnar import read_bars
from llm_advisor.replay.partitions import PartitionReader
from llm_advisor.replay.source import no_session_bars, window_ns
from llm_advisor.replay.streamed import StreamedSource


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


class StoreSource(StreamedSource):
    """The sessions of a ``StoreBars``, streamed (``streamed.StreamedSource``)."""

    def __init__(self, bars: StoreBars, daily: Mapping[str, pd.DataFrame] | None = None) -> None:
        self.reader: PartitionReader = PartitionReader(bars.root, bars.symbols)
        super().__init__(bars.symbols, self.reader, bars.through, daily)
        self.bars = bars

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
