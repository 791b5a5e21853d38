"""Empty, header-only and corrupt input files: one ``DataError`` naming the file, every reader.

A header-only bar file used to load as an empty frame and crash replay much later with an
``IndexError``; a corrupt gzip escaped as a raw ``zlib.error``. Each reader (intraday and
daily, CSV and CSV.gz, ``load_any``, ``BarDirectory``, the news file) must refuse such a file
itself, with the path in the message.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from llm_advisor.core.errors import DataError
from llm_advisor.data.barfiles import (
    BarDirectory,
    load_any,
    load_bar_file,
    load_daily_file,
)
from llm_advisor.premarket.news.files import FileNewsSource, read_news_csv

INTRADAY = b"timestamp,open,high,low,close,volume\n"
DAILY = b"date,open,high,low,close,volume\n"
GOOD_ROW = b"2026-03-02T14:30:00Z,100.0,101.0,99.5,100.5,1200\n"


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _corrupt_gz() -> bytes:
    """A valid gzip header followed by a deflate stream that is not one (zlib.error)."""
    return _gz(INTRADAY + GOOD_ROW)[:10] + b"\xff" * 40


# name, bytes on disk, the words the message must hold
EMPTY_CASES = [
    ("zero.csv", b"", "empty file, no bars"),
    ("zero.csv.gz", b"", "empty file, no bars"),
    ("nothing.csv.gz", _gz(b""), "empty file, no bars"),
    ("header.csv", INTRADAY, "no bars (only a header line)"),
    ("header.csv.gz", _gz(INTRADAY), "no bars (only a header line)"),
    ("header_blank.csv", INTRADAY + b"\n\n", "no bars (only a header line)"),
    ("dheader.csv", DAILY, "no bars (only a header line)"),
    ("dheader.csv.gz", _gz(DAILY), "no bars (only a header line)"),
]

Loader = Callable[[Path], pd.DataFrame]
LOADERS: list[tuple[str, Loader]] = [
    ("load_bar_file", load_bar_file),
    ("load_daily_file", load_daily_file),
    ("load_any", load_any),
]


@pytest.mark.parametrize(("name", "data", "words"), EMPTY_CASES)
@pytest.mark.parametrize(("_label", "loader"), LOADERS)
def test_every_bar_reader_refuses_a_file_without_bars(
    tmp_path: Path, name: str, data: bytes, words: str, _label: str, loader: Loader
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DataError) as info:
        loader(path)
    text = str(info.value)
    assert text.startswith(str(path)) and words in text and "\n" not in text


@pytest.mark.parametrize(("name", "data", "words"), EMPTY_CASES)
def test_bar_directory_refuses_a_file_without_bars(
    tmp_path: Path, name: str, data: bytes, words: str
) -> None:
    symbol_file = tmp_path / ("SPY" + name[name.index(".") :])
    symbol_file.write_bytes(data)
    with pytest.raises(DataError, match="no bars") as info:
        BarDirectory(tmp_path).load("SPY")
    assert str(symbol_file) in str(info.value) and words in str(info.value)


def test_a_file_with_one_bar_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "one.csv.gz"
    path.write_bytes(_gz(INTRADAY + GOOD_ROW))
    assert len(load_bar_file(path)) == 1


def test_a_parquet_file_with_no_rows_is_refused(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "SPY.parquet"
    cols = ["open", "high", "low", "close", "volume"]
    pd.DataFrame({"timestamp": pd.Series(dtype=str), **{c: [] for c in cols}}).to_parquet(path)
    with pytest.raises(DataError, match=r"SPY\.parquet: no bars \(0 rows\)"):
        load_bar_file(path)


@pytest.mark.parametrize("loader", [load_bar_file, load_any])
def test_a_corrupt_gzip_is_a_file_error_not_a_zlib_traceback(
    tmp_path: Path, loader: Loader
) -> None:
    path = tmp_path / "SPY.csv.gz"
    path.write_bytes(_corrupt_gz())
    with pytest.raises(DataError, match=r"SPY\.csv\.gz: cannot read file"):
        loader(path)


NEWS_HEADER = b"published_utc,symbols,headline,source,url\n"


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("zero.csv", b"", "empty file, no headlines"),
        ("zero.csv.gz", b"", "empty file, no headlines"),
        ("nothing.csv.gz", _gz(b""), "empty file, no headlines"),
        ("blank.csv", b"\n\n", "empty file, no headlines"),
        ("header.csv", NEWS_HEADER, "no headlines (only a header line)"),
        ("header.csv.gz", _gz(NEWS_HEADER), "no headlines (only a header line)"),
        ("corrupt.csv.gz", _corrupt_gz(), "bad gzip data"),
    ],
)
def test_the_news_reader_refuses_a_file_without_headlines(
    tmp_path: Path, name: str, data: bytes, words: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DataError) as info:
        read_news_csv(path)
    text = str(info.value)
    assert text.startswith(f"news file {path}") and words in text and "\n" not in text
    with pytest.raises(DataError, match="news file"):
        FileNewsSource(path).fetch(
            ["SPY"], datetime(2026, 3, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
        )


def test_a_news_file_with_one_headline_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_bytes(NEWS_HEADER + b"2026-03-13T14:42:20Z,SPY,Stocks rise,src,\n")
    assert [i.headline for i in read_news_csv(path)] == ["Stocks rise"]
