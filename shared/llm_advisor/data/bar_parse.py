"""Turning a bar file's raw rows into a validated OHLCV frame, or one precise refusal.

A bad bar silently turns into a bad trade, so each rule is one vectorized numpy mask over
the whole file, and only the first offending row is worded (file, line, reason) in a
``DataError``. The per-bar value rules are shared with the live tick (``bar_checks``); the
column, time-zone, date and duplicate rules of the file format are here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from llm_advisor.core.errors import DataError
from llm_advisor.data.bar_checks import finite_rules, value_rules
from llm_advisor.data.bar_format import (
    KEY_COLUMN,
    VALUE_COLUMNS,
    Kind,
    is_parquet,
    read_raw,
)

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


def load_validated(path: Path, kind: Kind, tolerance: float) -> pd.DataFrame:
    """The file read and checked whole: the ascending OHLCV frame, or ``DataError`` naming the
    first bad row (``barfiles`` documents the rules)."""
    path = Path(path)
    key = KEY_COLUMN[kind]
    where = _Where(path, is_parquet(path))
    raw = read_raw(path, key)
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
