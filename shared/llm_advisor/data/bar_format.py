"""The bar files' format on disk: columns, file kinds, and reading and writing the bytes.

Everything here is about the container (CSV, gzip, Parquet; header and blank lines), none of
it about whether a bar is valid: ``bar_parse`` judges the rows this module reads, and
``barfiles`` is the public entry point that joins the two.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from llm_advisor.core.errors import DataError

PRICE_COLUMNS = ("open", "high", "low", "close")
VALUE_COLUMNS = (*PRICE_COLUMNS, "volume")
SUFFIXES = (".csv.gz", ".csv", ".parquet")

Kind = Literal["intraday", "daily"]
KEY_COLUMN = {"intraday": "timestamp", "daily": "date"}


def is_parquet(path: Path) -> bool:
    return path.name.lower().endswith(".parquet")


def is_gz(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def read_raw(path: Path, key: str) -> pd.DataFrame:
    """The file as a frame, key column as text (CSV) and everything else as the reader gives."""
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        if is_parquet(path):
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
            compression="gzip" if is_gz(path) else None,
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
        what = "0 rows" if is_parquet(path) else "only a header line"
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


def write_frame(df: pd.DataFrame, path: Path, key: str) -> None:
    """``df`` in the container the file name asks for, its index written as column ``key``."""
    path = Path(path)
    out = _to_frame_for_writing(df, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    if is_parquet(path):
        out.reset_index().to_parquet(path, index=False)
        return
    # mtime=0 keeps .gz output byte-identical across runs (reproducible fixtures).
    out.to_csv(
        path,
        compression={"method": "gzip", "mtime": 0} if is_gz(path) else None,
        lineterminator="\n",
    )
