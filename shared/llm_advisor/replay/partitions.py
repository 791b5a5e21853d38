"""The columnar bar store read a date at a time, straight into numpy arrays.

A streamed replay (``store_source.StoreSource``) asks for one date after another: this
reads that date's file(s) of the store (``data/columnar.py``) with the symbol dictionary
codes mapped to the replay's symbol columns, and no per-symbol pandas frames. A store of the
current layout (one file, one row group a date) is decoded without copies; older layouts
and foreign row orders are read too (concatenated, and sorted when not grouped by symbol).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from llm_advisor.data.barfiles import VALUE_COLUMNS
from llm_advisor.data.columnar import COLUMNS, PARTITION, _pa


def partition_files(root: Path) -> dict[date, list[Path]]:
    """The Parquet files of each date of the store, in date order."""
    out: dict[date, list[Path]] = {}
    for folder in sorted(Path(root).glob(f"{PARTITION}=*")):
        files = sorted(folder.glob("*.parquet"))
        if files:
            out[date.fromisoformat(folder.name.split("=", 1)[1])] = files
    return out


@dataclass(frozen=True)
class Rows:
    """One date's bars of the asked symbols as flat arrays: ``code`` is the symbol's index
    in the reader's list, each symbol's rows are one run in time order."""

    day: date
    code: NDArray[np.int32]
    ts: NDArray[np.int64]
    open: NDArray[np.float64]
    high: NDArray[np.float64]
    low: NDArray[np.float64]
    close: NDArray[np.float64]
    volume: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.code.size)

    @cached_property
    def starts(self) -> NDArray[np.intp]:
        """Where each symbol's run begins."""
        if self.code.size == 0:
            return np.empty(0, dtype=np.intp)
        starts = np.flatnonzero(self.code[1:] != self.code[:-1])
        starts += 1
        return np.concatenate((np.zeros(1, dtype=starts.dtype), starts))

    def take(self, keep: NDArray[np.bool_] | NDArray[np.intp]) -> Rows:
        return Rows(self.day, *(a[keep] for a in self._arrays()))

    def _arrays(self) -> tuple[NDArray[Any], ...]:
        return (self.code, self.ts, self.open, self.high, self.low, self.close, self.volume)


class PartitionReader:
    """Reads the store one date at a time, straight into numpy arrays (zero-copy for a
    one-row-group file): symbol dictionary codes mapped to ``symbols`` positions, no
    per-symbol frames. Symbols not asked for are dropped."""

    def __init__(self, root: Path, symbols: Sequence[str]) -> None:
        self.root = Path(root)
        self.files = partition_files(self.root)
        self.code_of = {s: i for i, s in enumerate(symbols)}

    def dates(self, through: date | None = None) -> list[date]:
        return [d for d in self.files if through is None or d <= through]

    def has(self, day: date) -> bool:
        return day in self.files

    def _chunks(self, table: Any) -> Iterator[tuple[NDArray[np.int32], NDArray[Any]]]:
        """Per chunk of the symbol column: its dictionary as our codes, and its indices."""
        pa, _, _ = _pa()
        for chunk in table.column("symbol").chunks:
            enc = chunk if pa.types.is_dictionary(chunk.type) else chunk.dictionary_encode()
            names = enc.dictionary.to_pylist()
            lut = np.array([self.code_of.get(n, -1) for n in names] or [-1], dtype=np.int32)
            yield lut, enc.indices.to_numpy(zero_copy_only=False)

    def _codes(self, table: Any) -> NDArray[np.int32]:
        out = [lut[idx] for lut, idx in self._chunks(table)]
        return np.concatenate(out) if len(out) != 1 else out[0]

    def _table(self, day: date, columns: Sequence[str]) -> Any:
        pa, _, pq = _pa()
        tables = [pq.ParquetFile(f).read(columns=list(columns)) for f in self.files[day]]
        return tables[0] if len(tables) == 1 else pa.concat_tables(tables)

    def count(self, day: date) -> NDArray[np.int64]:
        """Rows per symbol on ``day`` (reads the symbol column only)."""
        out = np.zeros(len(self.code_of), dtype=np.int64)
        for lut, idx in self._chunks(self._table(day, ["symbol"])):
            per_name = np.bincount(idx, minlength=lut.size)
            np.add.at(out, lut[lut >= 0], per_name[lut >= 0])
        return out

    def read(self, day: date) -> Rows:
        pa, _, _ = _pa()
        table = self._table(day, COLUMNS)
        ts = _numpy(table.column("timestamp"), pa.int64())
        rows = Rows(day, self._codes(table), ts, *(_numpy(table.column(c)) for c in VALUE_COLUMNS))
        if bool((rows.code < 0).any()):
            rows = rows.take(rows.code >= 0)
        if not _grouped(rows.code, rows.ts):  # another writer's order: sort it
            rows = rows.take(np.lexsort((rows.ts, rows.code)))
        return rows


def _numpy(col: Any, view: Any = None) -> NDArray[Any]:
    """A column as one numpy array (zero-copy when it is one chunk without nulls)."""
    chunks = [c if view is None else c.view(view) for c in col.chunks]
    arrays = [c.to_numpy(zero_copy_only=False) for c in chunks]
    if not arrays:
        return np.empty(0, dtype=np.int64 if view is not None else np.float64)
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def _grouped(code: NDArray[np.int32], ts: NDArray[np.int64]) -> bool:
    """Each code's rows form one run with rising timestamps."""
    if code.size < 2:
        return True
    same = code[1:] == code[:-1]
    if bool((same & (ts[1:] <= ts[:-1])).any()):
        return False
    run_codes = code[np.concatenate(([0], np.flatnonzero(~same) + 1))]
    return bool(np.bincount(run_codes).max() <= 1)
