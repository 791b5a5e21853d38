"""Bar files: every kind of bad file is refused with file, line and reason; good ones round-trip."""

from __future__ import annotations

import csv
import gzip
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from llm_advisor.core.errors import DataError
from llm_advisor.data.barfiles import (
    BarDirectory,
    load_any,
    load_bar_file,
    load_daily_file,
    write_bar_file,
    write_daily_file,
)

HEADER = "timestamp,open,high,low,close,volume"
GOOD_ROWS = [
    "2026-02-02T14:30:00Z,100.00,100.50,99.80,100.20,1000",
    "2026-02-02T14:31:00Z,100.20,100.40,100.00,100.30,800",
    "2026-02-02T14:32:00Z,100.30,100.90,100.10,100.80,1200",
    "2026-02-02T14:33:00Z,100.80,101.00,100.60,100.70,900",
]


def _write(tmp_path: Path, rows: list[str], header: str = HEADER, name: str = "X.csv") -> Path:
    path = tmp_path / name
    text = "\n".join([header, *rows]) + "\n"
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def _with_row(index: int, row: str) -> list[str]:
    rows = list(GOOD_ROWS)
    rows[index] = row
    return rows


def _refused(path: Path, line: int, reason: str, daily: bool = False) -> str:
    with pytest.raises(DataError) as info:
        (load_daily_file if daily else load_bar_file)(path)
    msg = str(info.value)
    assert str(path) in msg
    assert f"line {line}:" in msg
    assert re.search(reason, msg), msg
    return msg


def test_good_file_loads_with_utc_index_and_float_columns(tmp_path: Path) -> None:
    df = load_bar_file(_write(tmp_path, GOOD_ROWS))
    assert list(df.columns) == ["open", "high", "low", "close", "volume"]
    assert all(dt == np.float64 for dt in df.dtypes)
    assert isinstance(df.index, pd.DatetimeIndex)
    assert df.index.name == "timestamp"
    assert str(pd.DatetimeIndex(df.index).tz) == "UTC"
    assert df.index[0] == pd.Timestamp("2026-02-02T14:30:00Z")
    assert df["close"].iloc[-1] == 100.70
    assert len(df) == 4


def test_offsets_other_than_z_are_converted_to_utc(tmp_path: Path) -> None:
    rows = _with_row(0, "2026-02-02T09:30:00-05:00,100.00,100.50,99.80,100.20,1000")
    df = load_bar_file(_write(tmp_path, rows))
    assert df.index[0] == pd.Timestamp("2026-02-02T14:30:00Z")


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = _write(
        tmp_path, [r.rsplit(",", 1)[0] for r in GOOD_ROWS], header="timestamp,open,high,low,close"
    )
    msg = _refused(path, 1, "missing column 'volume'")
    assert "found timestamp,open,high,low,close" in msg


def test_missing_timestamp_column_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD_ROWS, header="time,open,high,low,close,volume")
    _refused(path, 1, "missing column 'timestamp'")


def test_unparseable_timestamp(tmp_path: Path) -> None:
    path = _write(tmp_path, _with_row(2, "2026-02-30T14:32:00Z,100.30,100.90,100.10,100.80,1"))
    _refused(path, 4, "unparseable timestamp '2026-02-30T14:32:00Z'")


def test_garbage_timestamp(tmp_path: Path) -> None:
    path = _write(tmp_path, _with_row(1, "yesterday,100.30,100.90,100.10,100.80,1"))
    _refused(path, 3, "unparseable timestamp 'yesterday'")


def test_naive_timestamp_is_refused_not_assumed_utc(tmp_path: Path) -> None:
    path = _write(tmp_path, _with_row(3, "2026-02-02 14:33:00,100.80,101.00,100.60,100.70,900"))
    _refused(path, 5, "has no time zone")


def test_naive_timestamp_refused_even_when_every_row_is_naive(tmp_path: Path) -> None:
    rows = [r.replace("Z,", ",") for r in GOOD_ROWS]
    _refused(_write(tmp_path, rows), 2, "'2026-02-02T14:30:00' has no time zone")


def test_high_below_low(tmp_path: Path) -> None:
    path = _write(tmp_path, _with_row(1, "2026-02-02T14:31:00Z,100.20,100.00,100.40,100.30,800"))
    _refused(path, 3, r"high 100\.0 < low 100\.4")


def test_open_outside_range(tmp_path: Path) -> None:
    path = _write(tmp_path, _with_row(2, "2026-02-02T14:32:00Z,101.30,100.90,100.10,100.80,1"))
    _refused(path, 4, r"open 101\.3 outside \[low 100\.1, high 100\.9\]")


def test_close_outside_range(tmp_path: Path) -> None:
    path = _write(tmp_path, _with_row(0, "2026-02-02T14:30:00Z,100.00,100.50,99.80,99.70,1000"))
    _refused(path, 2, r"close 99\.7 outside")


@pytest.mark.parametrize("price", ["0", "-5.0"])
def test_zero_or_negative_price(tmp_path: Path, price: str) -> None:
    row = f"2026-02-02T14:31:00Z,{price},100.40,{price},100.30,800"
    _refused(_write(tmp_path, _with_row(1, row)), 3, "open .* is zero or negative")


def test_negative_volume(tmp_path: Path) -> None:
    path = _write(tmp_path, _with_row(3, "2026-02-02T14:33:00Z,100.80,101.00,100.60,100.70,-1"))
    _refused(path, 5, r"volume -1\.0 is negative")


def test_zero_volume_is_allowed(tmp_path: Path) -> None:
    df = load_bar_file(
        _write(tmp_path, _with_row(3, "2026-02-02T14:33:00Z,100.80,101.00,100.60,100.70,0"))
    )
    assert df["volume"].iloc[3] == 0.0


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("2026-02-02T14:32:00Z,100.30,,100.10,100.80,1", "high is empty or NaN"),
        ("2026-02-02T14:32:00Z,100.30,NaN,100.10,100.80,1", "high is empty or NaN"),
        ("2026-02-02T14:32:00Z,100.30,100.90,100.10,100.80", "volume is empty or NaN"),
        ("2026-02-02T14:32:00Z,100.30,abc,100.10,100.80,1", "high 'abc' is not a number"),
        ("2026-02-02T14:32:00Z,100.30,inf,100.10,100.80,1", "high is infinite"),
    ],
)
def test_nan_and_non_numbers(tmp_path: Path, row: str, reason: str) -> None:
    _refused(_write(tmp_path, _with_row(2, row)), 4, reason)


def test_duplicate_timestamp_names_both_lines(tmp_path: Path) -> None:
    rows = [*GOOD_ROWS, "2026-02-02T14:31:00Z,100.20,100.40,100.00,100.30,800"]
    msg = _refused(_write(tmp_path, rows), 6, "duplicate timestamp 2026-02-02T14:31:00Z")
    assert "first seen at line 3" in msg


def test_duplicate_instant_written_with_different_offsets(tmp_path: Path) -> None:
    rows = [*GOOD_ROWS, "2026-02-02T09:30:00-05:00,100.00,100.50,99.80,100.20,1000"]
    _refused(_write(tmp_path, rows), 6, "duplicate timestamp 2026-02-02T14:30:00Z")


def test_unsorted_rows_are_sorted_without_loss(tmp_path: Path) -> None:
    rows = [GOOD_ROWS[2], GOOD_ROWS[0], GOOD_ROWS[3], GOOD_ROWS[1]]
    df = load_bar_file(_write(tmp_path, rows))
    assert df.index.is_monotonic_increasing
    assert len(df) == 4
    assert list(df["close"]) == [100.20, 100.30, 100.80, 100.70]


def test_blank_line_inside_is_refused_trailing_blank_lines_are_not_data(tmp_path: Path) -> None:
    path = tmp_path / "X.csv"
    path.write_text("\n".join([HEADER, GOOD_ROWS[0], "", GOOD_ROWS[1]]) + "\n")
    _refused(path, 3, "timestamp is empty")
    path.write_text("\n".join([HEADER, *GOOD_ROWS]) + "\n\n\n")
    assert len(load_bar_file(path)) == 4


def test_too_many_fields_is_refused_with_line(tmp_path: Path) -> None:
    row = "2026-02-02T14:32:00Z,100.30,100.90,100.10,100.80,1,7"
    with pytest.raises(DataError, match=r"X\.csv.*line 4"):
        load_bar_file(_write(tmp_path, _with_row(2, row)))


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "E.csv"
    empty.write_text("")
    with pytest.raises(DataError, match=r"E\.csv: line 1: empty file"):
        load_bar_file(empty)
    with pytest.raises(DataError, match="file not found"):
        load_bar_file(tmp_path / "nope.csv")
    only_header = _write(tmp_path, [], name="H.csv")
    with pytest.raises(DataError, match=r"H\.csv: no bars \(only a header line\)"):
        load_bar_file(only_header)


def test_first_bad_line_wins_across_rules(tmp_path: Path) -> None:
    rows = list(GOOD_ROWS)
    rows[3] = "2026-02-02T14:33:00Z,100.80,101.00,100.60,100.70,-1"  # line 5: volume
    rows[1] = "2026-02-02T14:31:00Z,100.20,100.00,100.40,100.30,800"  # line 3: high < low
    _refused(_write(tmp_path, rows), 3, "high .* < low")


def test_gz_file_reports_lines_too(tmp_path: Path) -> None:
    row = "2026-02-02T14:32:00Z,100.30,100.90,100.10,100.80,-3"
    _refused(_write(tmp_path, _with_row(2, row), name="X.csv.gz"), 4, "volume -3.0 is negative")


def test_extra_columns_are_ignored(tmp_path: Path) -> None:
    rows = [r + ",1.0" for r in GOOD_ROWS]
    df = load_bar_file(_write(tmp_path, rows, header=HEADER + ",vwap"))
    assert list(df.columns) == ["open", "high", "low", "close", "volume"]


# --- round trips -----------------------------------------------------------------------------


def _sample_frame() -> pd.DataFrame:
    idx = pd.date_range("2026-03-06T14:30:00Z", periods=50, freq="min", name="timestamp")
    rng = np.random.default_rng(1)
    close = np.round(100 + np.cumsum(rng.normal(0, 0.05, 50)), 2)
    open_ = np.concatenate([[100.0], close[:-1]])
    high = np.maximum(open_, close) + 0.03
    low = np.minimum(open_, close) - 0.02
    vol = rng.integers(100, 10_000, 50).astype(np.float64)
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": vol}, index=idx
    )


@pytest.mark.parametrize("name", ["S.csv", "S.csv.gz", "S.parquet"])
def test_round_trip(tmp_path: Path, name: str) -> None:
    df = _sample_frame()
    path = tmp_path / name
    write_bar_file(df, path)
    back = load_bar_file(path)
    pd.testing.assert_frame_equal(back, df, check_freq=False, check_index_type=False)
    assert back.index.dtype == df.index.dtype


def test_written_csv_format_matches_shared_data(tmp_path: Path) -> None:
    path = tmp_path / "S.csv.gz"
    write_bar_file(_sample_frame(), path)
    with gzip.open(path, "rt") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        first = next(reader)
    assert header == ["timestamp", "open", "high", "low", "close", "volume"]
    assert first[0] == "2026-03-06T14:30:00Z"
    assert re.fullmatch(r"\d+", first[5])


def test_csv_gz_and_parquet_are_the_same_frame(tmp_path: Path) -> None:
    df = _sample_frame()
    write_bar_file(df, tmp_path / "A.csv.gz")
    write_bar_file(df, tmp_path / "A.parquet")
    pd.testing.assert_frame_equal(
        load_bar_file(tmp_path / "A.csv.gz"), load_bar_file(tmp_path / "A.parquet")
    )


def test_parquet_naive_timestamps_are_refused(tmp_path: Path) -> None:
    df = _sample_frame().reset_index()
    df["timestamp"] = df["timestamp"].dt.tz_localize(None)
    path = tmp_path / "N.parquet"
    df.to_parquet(path, index=False)
    with pytest.raises(DataError, match=r"N\.parquet: row 2: .*has no time zone"):
        load_bar_file(path)


def test_parquet_bad_row_is_named_by_row(tmp_path: Path) -> None:
    df = _sample_frame()
    df.loc[df.index[7], "high"] = 1.0
    path = tmp_path / "B.parquet"
    df.reset_index().to_parquet(path, index=False)
    with pytest.raises(DataError, match=r"B\.parquet: row 9: high 1\.0 < low"):
        load_bar_file(path)


# --- daily files -----------------------------------------------------------------------------

DAILY_HEADER = "date,open,high,low,close,volume"


def test_daily_file_loads_with_date_index(tmp_path: Path) -> None:
    rows = ["2026-02-02,100,101,99,100.5,1000", "2026-02-03,100.5,102,100,101,2000"]
    df = load_daily_file(_write(tmp_path, rows, header=DAILY_HEADER))
    assert df.index.name == "date"
    assert pd.DatetimeIndex(df.index).tz is None
    assert df.index[1] == pd.Timestamp("2026-02-03")
    assert all(dt == np.float64 for dt in df.dtypes)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("2026-02-31,100,101,99,100.5,1", "unparseable date '2026-02-31'"),
        ("2026-02-03T10:00:00Z,100,101,99,100.5,1", "unparseable date"),
        ("2026-02-03,100,99,101,100.5,1", "high 99.0 < low 101.0"),
        ("2026-02-02,100,101,99,100.5,1", "duplicate date 2026-02-02"),
        ("2026-02-03,-1,101,-2,100.5,1", "open -1.0 is zero or negative"),
    ],
)
def test_bad_daily_rows(tmp_path: Path, row: str, reason: str) -> None:
    rows = ["2026-02-02,100,101,99,100.5,1000", row]
    _refused(_write(tmp_path, rows, header=DAILY_HEADER), 3, re.escape(reason), daily=True)


def test_daily_tolerates_adjustment_rounding_but_not_real_breaks(tmp_path: Path) -> None:
    # Close 0.0004 x below the low: a Yahoo adjustment artefact (VZ in ../shared/data/daily).
    ok = ["2026-02-02,47,48.06,46.959999,46.939999,1000"]
    assert len(load_daily_file(_write(tmp_path, ok, header=DAILY_HEADER))) == 1
    bad = ["2026-02-02,47,48.06,46.96,46.0,1000"]
    _refused(_write(tmp_path, bad, header=DAILY_HEADER), 2, "close 46.0 outside", daily=True)
    # Intraday files get no slack.
    intraday = ["2026-02-02T14:30:00Z,47,48.06,46.959999,46.939999,1000"]
    _refused(_write(tmp_path, intraday), 2, "close 46.939999 outside")


def test_daily_round_trip(tmp_path: Path) -> None:
    rows = ["2026-02-02,100,101,99,100.5,1000", "2026-02-03,100.5,102,100,101,2000"]
    df = load_daily_file(_write(tmp_path, rows, header=DAILY_HEADER))
    write_daily_file(df, tmp_path / "D.csv.gz")
    pd.testing.assert_frame_equal(load_daily_file(tmp_path / "D.csv.gz"), df)
    assert load_any(tmp_path / "D.csv.gz").index.name == "date"


# --- directory -------------------------------------------------------------------------------


def test_bar_directory_lists_loads_caches_and_names_unknown_symbols(tmp_path: Path) -> None:
    write_bar_file(_sample_frame(), tmp_path / "SPY.csv.gz")
    write_bar_file(_sample_frame(), tmp_path / "QQQ.parquet")
    write_bar_file(_sample_frame(), tmp_path / "IWM.csv")
    (tmp_path / "_manifest.csv").write_text("a,b\n")
    (tmp_path / "notes.txt").write_text("x")
    bars = BarDirectory(tmp_path)
    assert bars.symbols() == ["IWM", "QQQ", "SPY"]
    assert bars.path_for("QQQ") == tmp_path / "QQQ.parquet"
    first = bars.load("SPY")
    assert bars.load("SPY") is first
    pd.testing.assert_frame_equal(bars.load("QQQ"), first)
    with pytest.raises(DataError) as info:
        bars.load("TSLA")
    msg = str(info.value)
    assert "'TSLA'" in msg
    assert str(tmp_path) in msg
    assert "IWM, QQQ, SPY" in msg


def test_bar_directory_refuses_two_files_for_one_symbol(tmp_path: Path) -> None:
    write_bar_file(_sample_frame(), tmp_path / "SPY.csv.gz")
    write_bar_file(_sample_frame(), tmp_path / "SPY.parquet")
    with pytest.raises(DataError, match="several files"):
        BarDirectory(tmp_path).load("SPY")


def test_bar_directory_missing_dir(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        BarDirectory(tmp_path / "nope")


# --- real data -------------------------------------------------------------------------------


def _manifest_rows(shared: Path, directory: str) -> dict[str, int]:
    manifest = pd.read_csv(shared / "MANIFEST.csv")
    sel = manifest[manifest["dir"] == directory]
    return dict(zip(sel["symbol"], sel["rows"].astype(int), strict=True))


@pytest.mark.shared_data
@pytest.mark.parametrize("symbol", ["SPY", "QQQ", "NVDA"])
def test_real_one_minute_file_loads_whole(shared_data: Path, symbol: str) -> None:
    df = load_bar_file(shared_data / "bars_1m" / f"{symbol}.csv.gz")
    assert len(df) == _manifest_rows(shared_data, "bars_1m")[symbol]
    assert str(pd.DatetimeIndex(df.index).tz) == "UTC"
    assert df.index.is_monotonic_increasing
    assert df.index[0] == pd.Timestamp("2026-01-22T14:30:00Z")


@pytest.mark.shared_data
def test_real_extended_hours_file_loads(shared_data: Path) -> None:
    bars = BarDirectory(shared_data / "bars_1m_polygon")
    df = bars.load("SPY")
    assert len(df) == _manifest_rows(shared_data, "bars_1m_polygon")["SPY"]
    assert df.index[0] == pd.Timestamp("2025-01-02T09:00:00Z")


@pytest.mark.shared_data
def test_real_daily_directory_loads(shared_data: Path) -> None:
    bars = BarDirectory(shared_data / "daily")
    expected = _manifest_rows(shared_data, "daily")
    for symbol in ("SPY", "VZ", "COP"):
        df = bars.load(symbol)
        assert df.index.name == "date"
        assert len(df) == expected[symbol]
