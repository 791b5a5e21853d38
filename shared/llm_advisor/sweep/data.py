"""Where a sweep's bars come from: a local bar directory or the columnar store on S3.

The store is what ``data upload`` writes: one ``SYMBOL.parquet`` per symbol under
``s3://BUCKET/PREFIX/`` (the bar-file format of ``data/barfiles.py``, so ``BarDirectory``
reads a downloaded copy exactly like a local directory). Bars are loaded once per process
(a pool worker, a warm Lambda container) and reused by every trial it runs.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from llm_advisor.core.errors import UserError


@dataclass(frozen=True)
class DataSpec:
    """The data every trial of a sweep replays: location, symbols, dates, base settings."""

    bars: str  # a directory, or s3://bucket/prefix
    start: date
    end: date
    symbols: tuple[str, ...] = ()  # empty: every symbol in the store
    base: Mapping[str, str] = field(default_factory=dict)  # --set applied to every trial

    def to_json(self) -> dict[str, Any]:
        return {
            "bars": self.bars,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "symbols": list(self.symbols),
            "base": dict(self.base),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> DataSpec:
        try:
            return cls(
                bars=str(d["bars"]),
                start=date.fromisoformat(str(d["start"])),
                end=date.fromisoformat(str(d["end"])),
                symbols=tuple(str(s) for s in d.get("symbols") or ()),
                base={str(k): str(v) for k, v in (d.get("base") or {}).items()},
            )
        except KeyError as exc:
            raise UserError(f"data.{exc.args[0]}: missing") from None
        except ValueError as exc:
            raise UserError(f"data: {exc}") from None


_CACHE: dict[tuple[str, tuple[str, ...], date, date], dict[str, pd.DataFrame]] = {}


def split_s3(uri: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix/`` -> (``bucket``, ``some/prefix``)."""
    rest = uri.removeprefix("s3://")
    bucket, _, prefix = rest.partition("/")
    if not uri.startswith("s3://") or not bucket:
        raise UserError(f"bars={uri!r}: expected s3://BUCKET/PREFIX")
    return bucket, prefix.strip("/")


def download_store(uri: str, s3: Any, symbols: tuple[str, ...] = ()) -> Path:
    """Copy the store's Parquet files (all, or ``symbols``) into a local directory once.

    The directory is named after the objects' ETags too: a store uploaded again under the
    same prefix gets a fresh copy instead of a stale one left by an earlier run."""
    bucket, prefix = split_s3(uri)
    found: list[tuple[str, str]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for obj in page.get("Contents", []):
            name = obj["Key"].rsplit("/", 1)[-1]
            if name.endswith(".parquet") and (not symbols or name[:-8] in symbols):
                found.append((obj["Key"], str(obj.get("ETag", ""))))
    if not found:
        raise UserError(f"bars={uri}: no SYMBOL.parquet objects (run `data upload` first)")
    found.sort()
    tag = hashlib.sha256(json.dumps([uri, found]).encode()).hexdigest()[:12]
    local = Path(tempfile.gettempdir()) / f"sweep-bars-{tag}"
    local.mkdir(parents=True, exist_ok=True)
    for key, _ in found:
        target = local / key.rsplit("/", 1)[-1]
        if not target.exists():
            tmp = target.with_suffix(".part")
            s3.download_file(bucket, key, str(tmp))
            tmp.rename(target)
    return local


def load_bars(spec: DataSpec, s3: Any = None) -> dict[str, pd.DataFrame]:
    """The bars of ``spec`` (cached per process), checked like ``replay --bars-dir``.

    The cache is keyed by the local directory actually read: for S3 that is the copy named
    after the objects' ETags, so a warm worker whose store was uploaded again reads the new
    bars (one listing per call) instead of replaying the old ones from memory."""
    from llm_advisor.replay.inputs import from_directory

    if spec.bars.startswith("s3://"):
        if s3 is None:
            from llm_advisor.aws.clients import client

            s3 = client("s3")
        directory = download_store(spec.bars, s3, spec.symbols)
    else:
        directory = Path(spec.bars)
    key = (str(directory), spec.symbols, spec.start, spec.end)
    found = _CACHE.get(key)
    if found is not None:
        return found
    inp = from_directory(directory, list(spec.symbols) or None, spec.start, spec.end)
    _CACHE[key] = dict(inp.bars)
    return _CACHE[key]


def upload_store(
    bars_dir: Path, bucket: str, prefix: str, s3: Any, symbols: list[str] | None = None
) -> dict[str, int]:
    """``data upload``: every bar file of ``bars_dir`` (validated on the way) as
    ``s3://bucket/prefix/SYMBOL.parquet``; returns the bar count per symbol."""
    from llm_advisor.data.barfiles import BarDirectory, write_bar_file

    d = BarDirectory(bars_dir)
    wanted = symbols or d.symbols()
    if not wanted:
        raise UserError(f"--bars-dir {bars_dir}: no bar files found")
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for sym in wanted:
            df = d.load(sym)
            if df.index.name != "timestamp":
                raise UserError(f"--bars-dir {bars_dir}: {sym} holds daily bars, not 1-minute")
            path = Path(tmp) / f"{sym}.parquet"
            write_bar_file(df, path)
            s3.upload_file(str(path), bucket, f"{prefix.strip('/')}/{sym}.parquet")
            counts[sym] = len(df)
    return counts
