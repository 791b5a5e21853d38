"""One Parquet dataset of 1-minute bars, partitioned by New York date: the replay's fast path.

Why: a replay over many symbols spent most of its time in ``pd.read_csv`` (500 CSV.gz files
take ~5 s to parse and validate, longer than the engine). The bar files are validated once,
by ``data convert`` or on the first replay of a CSV directory, and stored as one dataset::

    ROOT/_columnar.json                         what was converted (source fingerprint)
    ROOT/session_date=YYYY-MM-DD/data.parquet   that date's rows of every symbol, sorted by
                                                (symbol, timestamp), one row group, LZ4

One file per date, one row group: a streamed replay reads a date at a time
(``PartitionReader``), and one file decodes without copies at twice the speed of the ten
per-batch files with small row groups that ``write_to_dataset`` leaves (stores written that
way are still read, and a cache of that layout is rebuilt once, as out of date).

A read asks only for the dates it needs (the filter is pushed down to the partition
directories), so a year of data on disk costs a 20-session replay nothing; other
symbols' rows of a date are decoded and dropped (a replay wants most symbols of the
store). Columns: ``symbol`` (string), ``timestamp`` (UTC, ns), OHLCV as float64: exactly
what ``barfiles.load_bar_file`` returns, so a replay from the store equals a replay from
the files it came from. Rows are not re-validated on read: only validated frames are
ever written here, and the store is a cache of its source (stale -> rebuilt).

The store is a derived cache: the source directory is never modified, and a read-only data
folder gets its cache elsewhere (``cache_root_for``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from llm_advisor.core.calendar import NY
from llm_advisor.core.errors import DataError
from llm_advisor.data.barfiles import VALUE_COLUMNS, BarDirectory

MANIFEST = "_columnar.json"
FORMAT = "llm-advisor-columnar-1"
PARTITION = "session_date"
SYMBOLS_PER_BATCH = 50  # symbols held in memory at once while converting (~0.5 GB a year)
DEFAULT_CACHE = Path("data/cache/columnar")
LAYOUT = "one-file-per-date"
DATA_FILE = "data.parquet"
COLUMNS = ("symbol", "timestamp", *VALUE_COLUMNS)


def _pa() -> tuple[Any, Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.dataset as ds
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        raise DataError("the columnar bar store needs pyarrow (pip install pyarrow)") from None
    return pa, ds, pq


def source_fingerprint(bars_dir: Path) -> str:
    """Names, sizes and mtimes of the bar files: changes whenever a file does."""
    d = BarDirectory(bars_dir)
    h = hashlib.sha256(str(Path(bars_dir).resolve()).encode())
    for sym in d.symbols():
        st = d.path_for(sym).stat()
        h.update(f"{d.path_for(sym).name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def _manifest(root: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((root / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def is_store(root: Path) -> bool:
    return _manifest(root) is not None


def store_symbols(root: Path) -> list[str]:
    m = _manifest(root)
    if m is None:
        raise DataError(f"{root}: not a columnar bar store (no {MANIFEST})")
    return [str(s) for s in m["symbols"]]


def is_fresh(root: Path, bars_dir: Path) -> bool:
    """The store holds every file of ``bars_dir`` as it is now (a ``--symbols`` subset is
    not fresh: a replay of the whole directory would miss symbols)."""
    m = _manifest(root)
    return (
        m is not None
        and m.get("layout") == LAYOUT
        and m.get("source_fingerprint") == source_fingerprint(bars_dir)
        and m.get("symbols") == BarDirectory(bars_dir).symbols()
    )


def _table(frames: dict[str, pd.DataFrame]) -> Any:
    """One Arrow table of the batch, sorted by (symbol, timestamp), with its NY date.

    The symbol and the date are dictionary-encoded, and the date is computed by Arrow
    (local wall-clock time, then a cast): formatting millions of dates as text in pandas
    took longer than parsing the CSV files."""
    pa, _, _ = _pa()
    import pyarrow.compute as pc

    syms = sorted(frames)
    sizes = [len(frames[s]) for s in syms]
    ts = np.concatenate([pd.DatetimeIndex(frames[s].index).asi8 for s in syms])
    codes = np.repeat(np.arange(len(syms), dtype=np.int32), sizes)
    local = pc.local_timestamp(pa.array(ts, pa.timestamp("ns", tz=str(NY))))
    days = pc.cast(local, pa.date32()).dictionary_encode()
    cols: dict[str, Any] = {
        "symbol": pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(syms, pa.string())),
        "timestamp": pa.array(ts, pa.timestamp("ns", tz="UTC")),
    }
    for c in VALUE_COLUMNS:
        cols[c] = pa.array(np.concatenate([frames[s][c].to_numpy(np.float64) for s in syms]))
    cols[PARTITION] = pa.DictionaryArray.from_arrays(
        days.indices, days.dictionary.cast(pa.string())
    )
    return pa.table(cols)


def convert(
    bars_dir: Path,
    out: Path,
    symbols: Sequence[str] | None = None,
    on_batch: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Validate every bar file of ``bars_dir`` and write the dataset to ``out``.

    Written into a temporary sibling folder and renamed into place, so a reader never sees
    half a store and a failed conversion (``DataError`` naming file and line) leaves any
    previous store untouched. Returns the bar count per symbol."""
    src = BarDirectory(bars_dir)
    wanted = sorted(symbols) if symbols else src.symbols()
    if not wanted:
        raise DataError(f"--bars-dir {bars_dir}: no bar files found")
    out = Path(out)
    if out.exists() and not is_store(out) and (not out.is_dir() or any(out.iterdir())):
        raise DataError(f"--out {out}: exists and is not a columnar bar store; not replaced")
    fingerprint = source_fingerprint(bars_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    counts: dict[str, int] = {}
    try:
        for b in range(0, len(wanted), SYMBOLS_PER_BATCH):
            batch = wanted[b : b + SYMBOLS_PER_BATCH]
            frames = {s: src.load(s) for s in batch}
            for s, df in frames.items():
                if df.index.name != "timestamp":
                    raise DataError(
                        f"{src.path_for(s)}: holds daily bars (a 'date' column); the columnar "
                        "store is for 1-minute bars (a 'timestamp' column)"
                    )
                counts[s] = len(df)
            _write_batch(_table(frames), tmp, b // SYMBOLS_PER_BATCH)
            src._cache.clear()  # one batch in memory at a time
            if on_batch is not None:
                on_batch(min(b + SYMBOLS_PER_BATCH, len(wanted)), len(wanted))
        _one_file_per_date(tmp)
        manifest = {
            "format": FORMAT,
            "layout": LAYOUT,
            "source": str(Path(bars_dir).resolve()),
            "source_fingerprint": fingerprint,
            "symbols": sorted(counts),
            "bars": sum(counts.values()),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return counts


def _write_batch(table: Any, root: Path, batch: int) -> None:
    """One file per date of a batch's rows (uncompressed: merged into the date's file by
    ``_one_file_per_date`` straight after). A stable sort by date keeps each date's rows
    in (symbol, timestamp) order."""
    _, _, pq = _pa()
    days = table.column(PARTITION).combine_chunks()
    codes = days.indices.to_numpy(zero_copy_only=False)
    order = np.argsort(codes, kind="stable")
    rows = table.drop_columns([PARTITION]).take(order)
    counts = np.bincount(codes, minlength=len(days.dictionary))
    at = 0
    for name, n in zip(days.dictionary.to_pylist(), counts.tolist(), strict=True):
        if n:
            folder = root / f"{PARTITION}={name}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(
                rows.slice(at, n),
                folder / f"part-{batch:05d}-0.parquet",
                compression="none",
                use_dictionary=["symbol"],
                write_statistics=False,
            )
        at += n


def _one_file_per_date(root: Path) -> None:
    """Merge each date's per-batch files into one file of one row group (one date in memory
    at a time). The batches hold consecutive runs of the sorted symbols, so their
    concatenation in file-name order stays sorted by (symbol, timestamp)."""
    pa, _, pq = _pa()
    for folder in sorted(root.glob(f"{PARTITION}=*")):
        parts = sorted(folder.glob("part-*.parquet"))
        tables = [pq.ParquetFile(f).read(columns=list(COLUMNS)) for f in parts]
        table = pa.concat_tables(tables).unify_dictionaries().combine_chunks()
        pq.write_table(
            table, folder / DATA_FILE, compression="lz4", row_group_size=max(table.num_rows, 1)
        )
        for f in parts:
            f.unlink()


def write_frames(frames: Iterable[Mapping[str, pd.DataFrame]], out: Path) -> None:
    """Write already-validated ``load_bar_file`` frames as a store, batch by batch (tests
    and benchmarks: synthetic bars without the CSV round trip, a year of 500 symbols without
    holding it in memory). Every batch's symbols sort after the previous batch's; ``out``
    must not exist yet."""
    syms: list[str] = []
    bars = 0
    for b, batch in enumerate(frames):
        names = sorted(batch)
        if syms and names and names[0] <= syms[-1]:
            raise ValueError(f"batch {b}: {names[0]} does not sort after {syms[-1]}")
        _write_batch(_table({s: batch[s] for s in names}), Path(out), b)
        syms += names
        bars += sum(len(batch[s]) for s in names)
    _one_file_per_date(Path(out))
    manifest = {"format": FORMAT, "layout": LAYOUT, "source": "frames", "symbols": syms,
                "bars": bars}  # fmt: skip
    (Path(out) / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")


def read_bars(
    root: Path,
    symbols: Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> dict[str, pd.DataFrame]:
    """Bars of ``symbols`` (default: all) whose New York date is in [start, end] (either
    bound open), as ``load_bar_file`` frames. A symbol with no bar in the range is absent."""
    pa, ds, _ = _pa()
    known = store_symbols(root)
    wanted = list(symbols) if symbols else known
    unknown = [s for s in wanted if s not in set(known)]
    if unknown:
        raise DataError(f"symbol={unknown[0]!r}: not in the columnar store {root}")
    part = ds.partitioning(pa.schema([(PARTITION, pa.string())]), flavor="hive")
    dataset = ds.dataset(root, format="parquet", partitioning=part, exclude_invalid_files=False)
    cond = None
    if start is not None:
        cond = ds.field(PARTITION) >= start.isoformat()
    if end is not None:
        hi = ds.field(PARTITION) <= end.isoformat()
        cond = hi if cond is None else cond & hi
    if len(wanted) < len(known):
        sym = ds.field("symbol").isin(wanted)
        cond = sym if cond is None else cond & sym
    table = dataset.to_table(columns=["symbol", "timestamp", *VALUE_COLUMNS], filter=cond)
    return _split(table)


def _split(table: Any) -> dict[str, pd.DataFrame]:
    """Per-symbol frames from the (date, symbol)-ordered rows: a stable sort by symbol keeps
    each symbol's dates in order; checked, and fully sorted if a reader ever reorders."""
    pa, _, _ = _pa()
    if table.num_rows == 0:
        return {}
    col = table.column("symbol")
    if pa.types.is_dictionary(col.type):
        enc = table.unify_dictionaries().column("symbol").combine_chunks()
    else:
        enc = col.combine_chunks().dictionary_encode()
    names = [str(s) for s in enc.dictionary.to_pylist()]
    rank = np.argsort(np.array(names, dtype=object)).argsort()
    all_codes = rank[enc.indices.to_numpy()]
    all_ts = table.column("timestamp").combine_chunks().cast(pa.int64()).to_numpy()
    order = np.argsort(all_codes, kind="stable")
    codes, ts = all_codes[order], all_ts[order]
    if bool(((codes[1:] == codes[:-1]) & (ts[1:] <= ts[:-1])).any()):
        order = np.lexsort((all_ts, all_codes))
        codes, ts = all_codes[order], all_ts[order]
    values = {c: table.column(c).combine_chunks().to_numpy()[order] for c in VALUE_COLUMNS}
    bounds = np.flatnonzero(np.diff(codes)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(codes)]])
    by_rank = sorted(names)
    out: dict[str, pd.DataFrame] = {}
    for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
        index = pd.DatetimeIndex(ts[lo:hi].astype("datetime64[ns]"), name="timestamp")
        frame = pd.DataFrame(
            {c: values[c][lo:hi] for c in VALUE_COLUMNS},
            index=index.tz_localize("UTC"),
        )
        out[by_rank[int(codes[lo])]] = frame
    return out


def cache_root_for(bars_dir: Path, cache_dir: Path = DEFAULT_CACHE) -> Path:
    """Where the store of ``bars_dir`` lives: ``bars_dir/.columnar`` when the folder is
    writable, else ``cache_dir/<hash of path and files>/`` (../shared/data is read-only)."""
    bars_dir = Path(bars_dir)
    beside = bars_dir / ".columnar"
    if is_store(beside) or os.access(bars_dir, os.W_OK):
        return beside
    return Path(cache_dir) / source_fingerprint(bars_dir)


def ensure_store(
    bars_dir: Path, cache_dir: Path = DEFAULT_CACHE, note: Callable[[str], None] | None = None
) -> Path:
    """The fresh store of ``bars_dir`` (itself if it is a store), converting it when missing
    or older than the files (``note`` then gets one line saying so)."""
    bars_dir = Path(bars_dir)
    if is_store(bars_dir):
        return bars_dir
    root = cache_root_for(bars_dir, cache_dir)
    if is_fresh(root, bars_dir):
        return root
    why = "out of date" if is_store(root) else "first read"
    convert(bars_dir, root)
    if note is not None:  # after success: a refused file stays a one-line error
        note(f"note: {why} of {bars_dir}: converted to a columnar store in {root}")
    return root
