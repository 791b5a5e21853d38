"""Bar files in the ``../shared/data`` format: read, validate, write.

A bad bar silently turns into a bad trade, so a file is either accepted whole or refused with
a ``DataError`` naming the file, the line and the reason; nothing is dropped or repaired
behind the caller's back. The one exception is row order: rows that are merely out of order
are sorted (stable), because sorting loses nothing and every consumer needs ascending time;
duplicate timestamps are refused, since choosing one of two rows would be a silent repair.

Validation is vectorized (one numpy mask per rule); the Python-level work happens only to
word the message for the first offending row, so a 15k-row file loads in a few milliseconds.

Formats (chosen by file name): ``.csv``, ``.csv.gz`` (gzip) and ``.parquet``.

- Intraday files: header ``timestamp,open,high,low,close,volume``; ``timestamp`` is the bar
  START as ISO-8601 with a zone (``2026-02-02T14:30:00Z`` or ``...-05:00``). A timestamp
  without a zone is refused: guessing UTC vs New York would shift every bar by hours.
- Daily files: header ``date,open,high,low,close,volume``; ``date`` is ``YYYY-MM-DD``. The
  result is indexed by a tz-naive, midnight-normalized ``DatetimeIndex`` named ``date``
  (a calendar date, not an instant, so it carries no zone).

Line numbers are 1-based file lines with the header as line 1 (data row k is line k + 1).
Parquet has no lines, so its messages say ``row N`` with the same numbering.
Extra columns (e.g. ``vwap``) are ignored; empty lines at the very end of a CSV are not data.

This module is the public entry point (load, sniff, write, ``BarDirectory``); the container
format is in ``bar_format`` and the row validation in ``bar_parse``. The format's names
(``VALUE_COLUMNS``, ``Kind``, ...) are re-exported here.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pandas as pd

from llm_advisor.core.errors import DataError
from llm_advisor.data.bar_format import (
    PRICE_COLUMNS,
    SUFFIXES,
    VALUE_COLUMNS,
    Kind,
    is_gz,
    is_parquet,
    write_frame,
)
from llm_advisor.data.bar_parse import load_validated

__all__ = [
    "DAILY_OHLC_TOLERANCE",
    "PRICE_COLUMNS",
    "SUFFIXES",
    "VALUE_COLUMNS",
    "BarDirectory",
    "Kind",
    "load_any",
    "load_bar_file",
    "load_daily_file",
    "sniff_kind",
    "write_bar_file",
    "write_daily_file",
]


def load_bar_file(path: Path) -> pd.DataFrame:
    """Intraday bars, validated: UTC ``DatetimeIndex`` named ``timestamp``, float64 OHLCV.

    ``DataError`` (file, line, reason) for any bad row; see the module docstring for rules.
    """
    return load_validated(path, "intraday", 0.0)


DAILY_OHLC_TOLERANCE = 1e-3
"""Adjusted daily prices (split/dividend factors, 8 significant digits) put open/close a hair
outside [low, high] on real Yahoo rows (COP, MRK, VZ in ../shared/data/daily, by up to 0.04%);
such rows are accepted unchanged. Intraday files get no slack."""


def load_daily_file(path: Path, tolerance: float = DAILY_OHLC_TOLERANCE) -> pd.DataFrame:
    """Daily bars, validated: tz-naive midnight ``DatetimeIndex`` named ``date``, float64 OHLCV.

    ``tolerance`` is the relative slack allowed for open/close outside [low, high].
    """
    return load_validated(path, "daily", tolerance)


def sniff_kind(path: Path) -> Kind:
    """``daily`` when the file's first column is ``date``, else ``intraday``."""
    path = Path(path)
    if is_parquet(path):
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise DataError(
                f"{path}: reading Parquet needs pyarrow (pip install pyarrow)"
            ) from None
        try:
            names = [str(n) for n in pq.read_schema(path).names]
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: cannot read Parquet schema: {exc}") from None
    else:
        opener = gzip.open if is_gz(path) else open
        try:
            with opener(path, "rt", encoding="utf-8") as fh:
                names = fh.readline().strip().split(",")
        except (OSError, EOFError, UnicodeDecodeError, zlib.error) as exc:
            raise DataError(f"{path}: cannot read file: {exc}") from None
    return "daily" if "date" in names and "timestamp" not in names else "intraday"


def load_any(path: Path) -> pd.DataFrame:
    """Intraday or daily file, chosen by its header (``timestamp`` vs ``date``)."""
    kind = sniff_kind(path)
    return load_validated(path, kind, DAILY_OHLC_TOLERANCE if kind == "daily" else 0.0)


def write_bar_file(df: pd.DataFrame, path: Path) -> None:
    """Write intraday bars (UTC index) as CSV, CSV.gz (name ends .gz) or Parquet (.parquet).

    Timestamps are written as ``YYYY-MM-DDTHH:MM:SSZ``; whole-number volumes as integers.
    """
    write_frame(df, path, "timestamp")


def write_daily_file(df: pd.DataFrame, path: Path) -> None:
    """Write daily bars (``date`` index) in the ``daily/`` format."""
    write_frame(df, path, "date")


def _symbol_of(path: Path) -> str | None:
    name = path.name
    for suffix in SUFFIXES:
        if name.lower().endswith(suffix) and not name.startswith(("_", ".")):
            return name[: -len(suffix)]
    return None


class BarDirectory:
    """A directory of ``SYMBOL.csv.gz`` / ``.csv`` / ``.parquet`` files, loaded on demand.

    Each symbol is read and validated once per instance; ``load`` returns the cached frame
    itself (callers must not mutate it). Files starting with ``_`` (manifests) are not
    symbols. Two files for one symbol (e.g. ``SPY.csv`` and ``SPY.parquet``) are refused
    rather than one being picked silently. The file kind (intraday or daily) is read from
    the header, so the same class serves ``bars_1m/`` and ``daily/``.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise DataError(f"bars directory {self.path} does not exist or is not a directory")
        self._files: dict[str, list[Path]] = {}
        for p in sorted(self.path.iterdir()):
            sym = _symbol_of(p)
            if sym is not None and p.is_file():
                self._files.setdefault(sym, []).append(p)
        self._cache: dict[str, pd.DataFrame] = {}

    def symbols(self) -> list[str]:
        return sorted(self._files)

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._files

    def path_for(self, symbol: str) -> Path:
        files = self._files.get(symbol)
        if not files:
            have = self.symbols()
            shown = ", ".join(have[:20]) + (f", ... ({len(have)} in all)" if len(have) > 20 else "")
            raise DataError(
                f"symbol={symbol!r}: no bar file in {self.path} (available: {shown or 'none'})"
            )
        if len(files) > 1:
            names = ", ".join(f.name for f in files)
            raise DataError(f"symbol={symbol!r}: several files in {self.path}: {names}; keep one")
        return files[0]

    def load(self, symbol: str) -> pd.DataFrame:
        if symbol not in self._cache:
            self._cache[symbol] = load_any(self.path_for(symbol))
        return self._cache[symbol]
