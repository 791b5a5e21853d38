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
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from llm_advisor.core.errors import DataError
from llm_advisor.data.bar_checks import finite_rules, value_rules

PRICE_COLUMNS = ("open", "high", "low", "close")
VALUE_COLUMNS = (*PRICE_COLUMNS, "volume")
SUFFIXES = (".csv.gz", ".csv", ".parquet")

Kind = Literal["intraday", "daily"]
_KEY = {"intraday": "timestamp", "daily": "date"}
_ZONE_RE = r"(?:Z|z|[+-]\d{2}(?::?\d{2})?)$"

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class _Where:
    """How to name a row of one file in a message."""

    path: Path
    parquet: bool

    def at(self, row: int) -> str:
        """``row`` is the 0-based data row; the header is line 1."""
        unit = "row" if self.parquet else "line"
        return f"{self.path}: {unit} {row + 2}"

    def header(self) -> str:
        return f"{self.path}: {'schema' if self.parquet else 'line 1'}"


def _is_parquet(path: Path) -> bool:
    return path.name.lower().endswith(".parquet")


def _is_gz(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def _read_raw(path: Path, key: str) -> pd.DataFrame:
    """The file as a frame, key column as text (CSV) and everything else as the reader gives."""
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        if _is_parquet(path):
            df = pd.read_parquet(path)
            if key not in df.columns and df.index.name == key:
                df = df.reset_index()
            return _require_rows(df, path)
        # skip_blank_lines=False keeps file line == data row + 2; blank lines become NaN rows
        # and are refused (except trailing ones, trimmed below).
        df = pd.read_csv(
            path,
            dtype={key: str},
            skip_blank_lines=False,
            compression="gzip" if _is_gz(path) else None,
        )
    except ImportError as exc:
        raise DataError(f"{path}: reading Parquet needs pyarrow ({exc})") from None
    except pd.errors.EmptyDataError:
        # 0 bytes, or a gzip stream of nothing: same message whichever way it was written.
        raise DataError(f"{path}: line 1: empty file, no bars (expected a header)") from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{path}: cannot parse CSV: {exc}") from None
    except (OSError, EOFError, ValueError, UnicodeDecodeError, zlib.error) as exc:
        raise DataError(f"{path}: cannot read file: {exc}") from None
    return _require_rows(_trim_trailing_blank(df), path)


def _require_rows(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Refuse a file with a header and no data rows: an empty frame passed on crashes the
    feature code far from the cause (``IndexError``) or replays to a silent "0 trades"."""
    if len(df) == 0:
        what = "0 rows" if _is_parquet(path) else "only a header line"
        raise DataError(f"{path}: no bars ({what})")
    return df


def _trim_trailing_blank(df: pd.DataFrame) -> pd.DataFrame:
    if len(df) == 0:
        return df
    blank = df.isna().all(axis=1).to_numpy()
    if not blank[-1]:
        return df
    keep = len(blank) - int(np.argmin(blank[::-1])) if not blank.all() else 0
    return df.iloc[:keep]


def _require_columns(df: pd.DataFrame, key: str, where: _Where) -> None:
    have = [str(c) for c in df.columns]
    for col in (key, *VALUE_COLUMNS):
        if col not in have:
            raise DataError(
                f"{where.header()}: missing column '{col}' "
                f"(expected {key},{','.join(VALUE_COLUMNS)}; found {','.join(have) or 'nothing'})"
            )


def _first(mask: BoolArray) -> int | None:
    if not mask.any():
        return None
    return int(np.argmax(mask))


def _refuse_first(where: _Where, checks: Iterable[tuple[BoolArray, Callable[[int], str]]]) -> None:
    """Raise for the earliest row that fails any check (ties: the first check listed)."""
    best: tuple[int, Callable[[int], str]] | None = None
    for mask, reason in checks:
        i = _first(mask)
        if i is not None and (best is None or i < best[0]):
            best = (i, reason)
    if best is not None:
        row, reason = best
        raise DataError(f"{where.at(row)}: {reason(row)}")


_CANONICAL = {4: "-", 7: "-", 10: "T", 13: ":", 16: ":", 19: "Z"}


def _canonical_utc(raw: pd.Series) -> pd.DatetimeIndex | None:
    """Fast path for files that are all ``YYYY-MM-DDTHH:MM:SSZ`` (numpy's C parser); None
    when any row deviates, so the general path can find and name the offending line."""
    if len(raw) == 0 or raw.dtype != object:
        return None
    try:
        text = raw.to_numpy(dtype="U21")
    except (TypeError, ValueError):
        return None
    codes = text.view(np.uint32).reshape(len(text), 21)
    ok = codes[:, 20] == 0
    for pos, char in _CANONICAL.items():
        ok &= codes[:, pos] == ord(char)
    if not bool(ok.all()):
        return None
    try:
        stamps = text.astype("U19").astype("datetime64[s]")
    except ValueError:
        return None
    return pd.DatetimeIndex(stamps.astype("datetime64[ns]")).tz_localize("UTC")


def _parse_timestamps(raw: pd.Series, where: _Where) -> pd.DatetimeIndex:
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return pd.DatetimeIndex(raw).tz_convert("UTC")
    if pd.api.types.is_datetime64_dtype(raw.dtype):
        raise DataError(
            f"{where.at(0)}: timestamp {raw.iloc[0]} has no time zone "
            "(naive timestamps are refused; store UTC, e.g. 2026-02-02T14:30:00Z)"
        )
    fast = _canonical_utc(raw)
    if fast is not None:
        return fast
    text = raw.astype("string")
    missing = text.isna().to_numpy()
    filled = text.fillna("")
    if bool(filled.str.endswith("Z").all()):
        zoned = np.ones(len(text), dtype=bool)
    else:
        zoned = filled.str.contains(_ZONE_RE, regex=True).to_numpy(dtype=bool)
    parsed = pd.to_datetime(filled, format="ISO8601", utc=True, errors="coerce")
    bad = pd.isna(parsed)
    unparseable = np.asarray(bad, dtype=bool) & ~missing
    _refuse_first(
        where,
        [
            (missing, lambda _i: "timestamp is empty"),
            (unparseable, lambda i: f"unparseable timestamp {text.iloc[i]!r}"),
            (
                ~zoned & ~missing & ~unparseable,
                lambda i: (
                    f"timestamp {text.iloc[i]!r} has no time zone (naive timestamps are "
                    "refused; write UTC with a Z, e.g. 2026-02-02T14:30:00Z)"
                ),
            ),
        ],
    )
    return pd.DatetimeIndex(parsed)


def _parse_dates(raw: pd.Series, where: _Where) -> pd.DatetimeIndex:
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        raw = pd.Series(pd.DatetimeIndex(raw).tz_localize(None))
    if pd.api.types.is_datetime64_dtype(raw.dtype):
        parsed = pd.DatetimeIndex(raw)
        missing = np.asarray(pd.isna(parsed), dtype=bool)
        timed = ~missing & np.asarray(parsed != parsed.normalize(), dtype=bool)
        _refuse_first(
            where,
            [
                (missing, lambda _i: "date is empty"),
                (timed, lambda i: f"date {parsed[i]} has a time of day (expected YYYY-MM-DD)"),
            ],
        )
        return parsed
    text = raw.astype("string")
    missing = text.isna().to_numpy()
    parsed = pd.DatetimeIndex(pd.to_datetime(text.fillna(""), format="%Y-%m-%d", errors="coerce"))
    unparseable = np.asarray(pd.isna(parsed), dtype=bool) & ~missing
    _refuse_first(
        where,
        [
            (missing, lambda _i: "date is empty"),
            (unparseable, lambda i: f"unparseable date {text.iloc[i]!r} (expected YYYY-MM-DD)"),
        ],
    )
    return parsed


def _said(col: str, raw: pd.Series, reason: str) -> Callable[[int], str]:
    return lambda i: f"{col} {raw.iloc[i]!r} {reason}"


def _numeric(df: pd.DataFrame, where: _Where) -> dict[str, npt.NDArray[np.float64]]:
    out: dict[str, npt.NDArray[np.float64]] = {}
    checks: list[tuple[BoolArray, Callable[[int], str]]] = []
    for col in VALUE_COLUMNS:
        raw = df[col]
        if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
            values = raw.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            coerced = pd.to_numeric(raw, errors="coerce")
            values = coerced.to_numpy(dtype=np.float64, na_value=np.nan)
            not_number = np.isnan(values) & raw.notna().to_numpy()
            checks.append((not_number, _said(col, raw, "is not a number")))
        out[col] = values
        checks += [(r.mask, r.message) for r in finite_rules(col, values)]
    _refuse_first(where, checks)
    return out


def _validate_values(
    v: dict[str, npt.NDArray[np.float64]], where: _Where, tolerance: float
) -> None:
    """The per-bar rules live in ``bar_checks`` (the live tick applies the same ones)."""
    rules = value_rules(v["open"], v["high"], v["low"], v["close"], v["volume"], tolerance)
    _refuse_first(where, [(r.mask, r.message) for r in rules])


def _refuse_duplicates(index: pd.DatetimeIndex, key: str, where: _Where) -> None:
    dup = np.asarray(index.duplicated(keep="first"), dtype=bool)
    i = _first(dup)
    if i is None:
        return
    earlier = int(np.argmax(np.asarray(index == index[i], dtype=bool)))
    stamp = index[i].isoformat() if key == "date" else _iso_z(index[i])
    raise DataError(
        f"{where.at(i)}: duplicate {key} {stamp} (first seen at "
        f"{'row' if where.parquet else 'line'} {earlier + 2})"
    )


def _iso_z(ts: pd.Timestamp) -> str:
    return str(ts.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _load(path: Path, kind: Kind, tolerance: float) -> pd.DataFrame:
    path = Path(path)
    key = _KEY[kind]
    where = _Where(path, _is_parquet(path))
    raw = _read_raw(path, key)
    _require_columns(raw, key, where)
    if kind == "intraday":
        index = _parse_timestamps(raw[key], where)
    else:
        index = _parse_dates(raw[key], where)
    values = _numeric(raw, where)
    _validate_values(values, where, tolerance)
    index = pd.DatetimeIndex(index, name=key)
    _refuse_duplicates(index, key, where)
    df = pd.DataFrame(values, index=index, columns=list(VALUE_COLUMNS))
    if not index.is_monotonic_increasing:
        df = df.sort_index(kind="stable")
    return df


def load_bar_file(path: Path) -> pd.DataFrame:
    """Intraday bars, validated: UTC ``DatetimeIndex`` named ``timestamp``, float64 OHLCV.

    ``DataError`` (file, line, reason) for any bad row; see the module docstring for rules.
    """
    return _load(path, "intraday", 0.0)


DAILY_OHLC_TOLERANCE = 1e-3
"""Adjusted daily prices (split/dividend factors, 8 significant digits) put open/close a hair
outside [low, high] on real Yahoo rows (COP, MRK, VZ in ../shared/data/daily, by up to 0.04%);
such rows are accepted unchanged. Intraday files get no slack."""


def load_daily_file(path: Path, tolerance: float = DAILY_OHLC_TOLERANCE) -> pd.DataFrame:
    """Daily bars, validated: tz-naive midnight ``DatetimeIndex`` named ``date``, float64 OHLCV.

    ``tolerance`` is the relative slack allowed for open/close outside [low, high].
    """
    return _load(path, "daily", tolerance)


def sniff_kind(path: Path) -> Kind:
    """``daily`` when the file's first column is ``date``, else ``intraday``."""
    path = Path(path)
    if _is_parquet(path):
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
        opener = gzip.open if _is_gz(path) else open
        try:
            with opener(path, "rt", encoding="utf-8") as fh:
                names = fh.readline().strip().split(",")
        except (OSError, EOFError, UnicodeDecodeError, zlib.error) as exc:
            raise DataError(f"{path}: cannot read file: {exc}") from None
    return "daily" if "date" in names and "timestamp" not in names else "intraday"


def load_any(path: Path) -> pd.DataFrame:
    """Intraday or daily file, chosen by its header (``timestamp`` vs ``date``)."""
    kind = sniff_kind(path)
    return _load(path, kind, DAILY_OHLC_TOLERANCE if kind == "daily" else 0.0)


def _to_frame_for_writing(df: pd.DataFrame, key: str) -> pd.DataFrame:
    missing = [c for c in VALUE_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(f"cannot write bars: missing column(s) {', '.join(missing)}")
    out = df.loc[:, list(VALUE_COLUMNS)].copy()
    vol = out["volume"].to_numpy(dtype=np.float64)
    if np.all(np.isfinite(vol)) and np.all(vol == np.round(vol)):
        out["volume"] = vol.astype(np.int64)
    idx = pd.DatetimeIndex(df.index)
    if key == "timestamp":
        if idx.tz is None:
            raise DataError("cannot write bars: the index has no time zone (expected UTC)")
        stamps = idx.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        stamps = idx.strftime("%Y-%m-%d")
    out.index = pd.Index(stamps, name=key)
    return out


def _write(df: pd.DataFrame, path: Path, key: str) -> None:
    path = Path(path)
    out = _to_frame_for_writing(df, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    if _is_parquet(path):
        out.reset_index().to_parquet(path, index=False)
        return
    # mtime=0 keeps .gz output byte-identical across runs (reproducible fixtures).
    out.to_csv(
        path,
        compression={"method": "gzip", "mtime": 0} if _is_gz(path) else None,
        lineterminator="\n",
    )


def write_bar_file(df: pd.DataFrame, path: Path) -> None:
    """Write intraday bars (UTC index) as CSV, CSV.gz (name ends .gz) or Parquet (.parquet).

    Timestamps are written as ``YYYY-MM-DDTHH:MM:SSZ``; whole-number volumes as integers.
    """
    _write(df, path, "timestamp")


def write_daily_file(df: pd.DataFrame, path: Path) -> None:
    """Write daily bars (``date`` index) in the ``daily/`` format."""
    _write(df, path, "date")


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
