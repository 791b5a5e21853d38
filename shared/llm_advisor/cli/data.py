"""``python -m llm_advisor data download``: Alpaca bars -> ``DIR/SYMBOL.csv.gz``;
``data upload``: bar files -> ``s3://BUCKET/PREFIX/SYMBOL.parquet`` (the sweep store).

The files use the ``../shared/data`` format (``timestamp,open,high,low,close,volume``, ISO
UTC ``...Z`` bar-start stamps, integer volume, no rows for empty minutes), so a replay reads
them like the bundled data; with ``--cache-dir`` finished days are kept for offline reruns.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from llm_advisor.alpaca.bar_cache import BarCache, day_bounds, empty_frame
from llm_advisor.alpaca.keys import keys_from_env
from llm_advisor.alpaca.market_data import FEEDS, TIMEFRAMES, AlpacaMarketData
from llm_advisor.core.calendar import NY, make_session, sessions_between
from llm_advisor.core.config import settings_from_env
from llm_advisor.core.errors import UserError
from llm_advisor.core.models import validate_symbol
from llm_advisor.data.barfiles import write_bar_file, write_daily_file

CHUNK_DAYS = 31


def register(sub: Any) -> None:
    p = sub.add_parser("data", help="market data: download Alpaca bars into bar files")
    dsub = p.add_subparsers(dest="data_command", metavar="SUBCOMMAND", help="one of:")
    d = dsub.add_parser("download", help="download bars to DIR/SYMBOL.csv.gz")
    d.add_argument("--symbols", required=True, help="comma-separated, e.g. SPY,QQQ")
    d.add_argument("--start", required=True, help="first day, YYYY-MM-DD (New York)")
    d.add_argument("--end", required=True, help="last day, YYYY-MM-DD (inclusive)")
    d.add_argument("--dir", required=True, type=Path, help="output directory")
    d.add_argument(
        "--timeframe",
        default="1Min",
        choices=sorted(TIMEFRAMES),
        help="bar size (default 1Min; 1Day for the bias model's daily bars)",
    )
    d.add_argument("--feed", choices=FEEDS, help="default: ADVISOR_ALPACA_FEED (iex)")
    d.add_argument("--cache-dir", type=Path, help="keep finished days here for offline reruns")
    d.add_argument(
        "--regular-only",
        action="store_true",
        help="keep only regular-session bars (09:30-16:00 New York, early closes respected)",
    )
    d.set_defaults(func=run_download)
    u = dsub.add_parser(
        "upload", help="bar files -> s3://BUCKET/PREFIX/SYMBOL.parquet (the sweep's store)"
    )
    u.add_argument("--bars-dir", required=True, type=Path, help="directory of bar files")
    u.add_argument("--bucket", required=True, help="S3 bucket (e.g. the stack's archive)")
    u.add_argument("--prefix", default="bars/1m", help="key prefix (default bars/1m)")
    u.add_argument("--symbols", help="comma-separated (default: every file)")
    u.set_defaults(func=run_upload)
    c = dsub.add_parser(
        "convert", help="bar files -> one Parquet dataset by date (the replay's fast path)"
    )
    c.add_argument("--bars-dir", required=True, type=Path, help="directory of bar files")
    c.add_argument(
        "--out",
        type=Path,
        help="dataset folder (default BARS_DIR/.columnar, or data/cache/columnar/<hash>/ "
        "when BARS_DIR is read-only: where `replay --bars-dir BARS_DIR` looks; elsewhere, "
        "replay with --bars-dir OUT)",
    )
    c.add_argument("--symbols", help="comma-separated (default: every file)")
    c.set_defaults(func=run_convert)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{name}={value!r} is not a date (YYYY-MM-DD)") from None


def parse_symbols(value: str) -> list[str]:
    out = []
    for raw in value.split(","):
        s = raw.strip().upper()
        if not s:
            continue
        try:
            out.append(validate_symbol(s))
        except ValueError as exc:
            raise UserError(f"--symbols: {exc}") from None
    if not out:
        raise UserError(f"--symbols={value!r} names no symbol")
    return out


def regular_session_only(frame: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    idx = pd.DatetimeIndex(frame.index)
    keep = np.zeros(len(idx), dtype=bool)
    for day in sessions_between(start, end):
        s = make_session(day)
        keep |= np.asarray((idx >= pd.Timestamp(s.open)) & (idx < pd.Timestamp(s.close)))
    return frame[keep]


def download(
    market: AlpacaMarketData,
    symbols: list[str],
    start: date,
    end: date,
    out_dir: Path,
    timeframe: str = "1Min",
    regular_only: bool = False,
) -> dict[str, int]:
    """Fetch [start, end] (New York days) in month chunks and write one file per symbol."""
    if end < start:
        raise UserError(f"--end={end.isoformat()} is before --start={start.isoformat()}")
    parts: dict[str, list[pd.DataFrame]] = {s: [] for s in symbols}
    day = start
    while day <= end:
        last = min(end, day + timedelta(days=CHUNK_DAYS - 1))
        lo, hi = day_bounds(day)[0], day_bounds(last)[1]
        frames = market.get_bars(symbols, lo, hi, timeframe)  # type: ignore[arg-type]
        for s in symbols:
            if not frames[s].empty:
                parts[s].append(frames[s])
        day = last + timedelta(days=1)
    counts = {}
    for s in symbols:
        frame = pd.concat(parts[s]) if parts[s] else empty_frame()
        frame = frame[~frame.index.duplicated(keep="last")].sort_index()
        frame["volume"] = frame["volume"].round()
        path = out_dir / f"{s}.csv.gz"
        if timeframe == "1Day":  # the daily/ format: a New York date, not an instant
            days = pd.DatetimeIndex(frame.index).tz_convert(NY).tz_localize(None).normalize()
            write_daily_file(frame.set_axis(days.rename("date")), path)
        else:
            if regular_only:
                frame = regular_session_only(frame, start, end)
            write_bar_file(frame, path)
        counts[s] = len(frame)
    return counts


def run_download(args: argparse.Namespace) -> int:
    symbols = parse_symbols(args.symbols)
    start, end = _day(args.start, "--start"), _day(args.end, "--end")
    settings = settings_from_env()
    keys = keys_from_env()
    market = AlpacaMarketData.connect(
        keys,
        feed=args.feed or settings.alpaca_feed,
        url_override=settings.alpaca_url_override,
        cache=BarCache(args.cache_dir) if args.cache_dir else None,
    )
    t0 = datetime.now().astimezone()
    counts = download(
        market, symbols, start, end, args.dir, args.timeframe, regular_only=args.regular_only
    )
    for s, n in counts.items():
        print(f"{args.dir / (s + '.csv.gz')}: {n} bars")
    secs = (datetime.now().astimezone() - t0).total_seconds()
    print(f"{sum(counts.values())} bars, {market.requests} requests, {secs:.1f}s")
    return 0


def run_upload(args: argparse.Namespace) -> int:
    """``data upload``: the columnar store the sweep workers read (docs/sweep.md)."""
    from llm_advisor.aws.clients import client
    from llm_advisor.sweep.data import upload_store

    symbols = parse_symbols(args.symbols) if args.symbols else None
    counts = upload_store(args.bars_dir, args.bucket, args.prefix, client("s3"), symbols)
    uri = f"s3://{args.bucket}/{args.prefix.strip('/')}"
    print(f"{len(counts)} symbols, {sum(counts.values())} bars -> {uri}/SYMBOL.parquet")
    print(f"sweep with --bars-dir {uri}")
    return 0


def run_convert(args: argparse.Namespace) -> int:
    """``data convert``: validate the bar files once into the columnar store
    (``data/columnar.py``); a replay of ``--bars-dir`` then reads only what it needs."""
    import time

    from llm_advisor.data import columnar

    if not args.bars_dir.is_dir():
        raise UserError(f"--bars-dir={args.bars_dir}: not a directory")
    symbols = parse_symbols(args.symbols) if args.symbols else None
    out = args.out or columnar.cache_root_for(args.bars_dir)
    t0 = time.perf_counter()
    counts = columnar.convert(args.bars_dir, out, symbols)  # DataError: one line, exit 2
    secs = time.perf_counter() - t0
    print(f"{len(counts)} symbols, {sum(counts.values())} bars -> {out} in {secs:.1f}s")
    return 0
