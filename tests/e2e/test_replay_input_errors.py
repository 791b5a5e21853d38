"""``replay`` with inputs that hold nothing to replay: exit 2 and one line, never a traceback.

Issue 11: a header-only bar file crashed replay with an ``IndexError`` traceback, and a date
range with no bars ended with exit code 0 and "0 trades", which reads like a quiet strategy.
Each case here goes through the real entry point (``llm_advisor.__main__.main``; one through
``python -m llm_advisor`` in a subprocess) and checks the exit code and the one stderr line.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from llm_advisor.__main__ import main
from llm_advisor.data.barfiles import write_bar_file, write_daily_file
from llm_advisor.data.synthetic import SyntheticMarket

HEADER = "timestamp,open,high,low,close,volume\n"


@pytest.fixture(scope="module")
def bars(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SPY: 25 sessions from 2026-02-02; QQQ: only 2026-03-16 (outside the ranges used)."""
    d = tmp_path_factory.mktemp("bars")
    market = SyntheticMarket(7)
    write_bar_file(market.minute_bars(["SPY"], date(2026, 2, 2), 25)["SPY"], d / "SPY.csv.gz")
    write_bar_file(market.minute_bars(["QQQ"], date(2026, 3, 16), 1)["QQQ"], d / "QQQ.csv.gz")
    return d


def _run(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> tuple[int, str]:
    base = ["--no-db", "--out", str(tmp_path / "out"), "--ledger", str(tmp_path / "l.jsonl")]
    rc = main(["replay", *args, *base])
    return rc, capsys.readouterr().err


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("SPY.csv", HEADER.encode(), "SPY.csv: no bars (only a header line)"),
        (
            "SPY.csv.gz",
            gzip.compress(HEADER.encode(), mtime=0),
            "SPY.csv.gz: no bars (only a header",
        ),
        ("SPY.csv.gz", b"", "SPY.csv.gz: line 1: empty file, no bars"),
        ("SPY.csv.gz", gzip.compress(b"", mtime=0), "SPY.csv.gz: line 1: empty file, no bars"),
    ],
)
def test_a_bar_file_without_bars_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, data: bytes, words: str
) -> None:
    d = tmp_path / "bars"
    d.mkdir()
    (d / name).write_bytes(data)
    rc, err = _run(
        capsys, tmp_path, "--bars-dir", str(d), "--start", "2026-03-02", "--end", "2026-03-03"
    )
    assert rc == 2
    assert str(d / name) in _one_error_line(err) and words in err


def test_a_header_only_daily_file_is_one_line_naming_it(
    bars: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    daily = tmp_path / "daily"
    daily.mkdir()
    (daily / "SPY.csv").write_text("date,open,high,low,close,volume\n")
    rc, err = _run(
        capsys, tmp_path, "--bars-dir", str(bars), "--daily-dir", str(daily),
        "--symbols", "SPY", "--start", "2026-03-02", "--end", "2026-03-03",
    )  # fmt: skip
    assert rc == 2
    assert f"{daily / 'SPY.csv'}: no bars (only a header line)" in _one_error_line(err)


def test_a_header_only_news_file_is_one_line_naming_it(
    bars: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    news = tmp_path / "news.csv"
    news.write_text("published_utc,symbols,headline,source,url\n")
    rc, err = _run(
        capsys, tmp_path, "--bars-dir", str(bars), "--symbols", "SPY", "--analyst", "rules",
        "--news-file", str(news), "--start", "2026-03-02", "--end", "2026-03-03",
    )  # fmt: skip
    assert rc == 2
    assert f"news file {news}: no headlines" in _one_error_line(err)


@pytest.mark.parametrize("compare", [False, True])
def test_a_range_without_bars_exits_2_naming_symbols_dates_and_directory(
    bars: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], compare: bool
) -> None:
    extra = ["--compare", "--analyst", "rules"] if compare else []
    rc, err = _run(
        capsys, tmp_path, "--bars-dir", str(bars), "--symbols", "SPY,QQQ",
        "--start", "2019-02-04", "--end", "2019-02-05", *extra,
    )  # fmt: skip
    assert rc == 2
    line = _one_error_line(err)
    for needle in (str(bars), "SPY,QQQ", "2019-02-04", "2019-02-05", "2026-02-02..2026-03-16"):
        assert needle in line
    assert not (tmp_path / "out" / "trades.csv").exists()


def test_some_symbols_without_bars_are_named_in_a_warning(
    bars: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, err = _run(
        capsys, tmp_path, "--bars-dir", str(bars), "--symbols", "SPY,QQQ",
        "--start", "2026-03-02", "--end", "2026-03-03",
    )  # fmt: skip
    assert rc == 0
    assert err.strip().splitlines() == [
        f"warning: no bars from 2026-03-02 to 2026-03-03 for QQQ in {bars}; "
        "they cannot trade in this replay"
    ]


def test_daily_files_given_as_minute_bars_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "daily"
    daily = SyntheticMarket(7).minute_bars(["SPY"], date(2026, 3, 2), 3)["SPY"]
    daily = daily.resample("1D").agg({"open": "first", "high": "max", "low": "min",
                                      "close": "last", "volume": "sum"}).dropna()  # fmt: skip
    daily.index = pd.DatetimeIndex(daily.index).tz_localize(None).rename("date")
    write_daily_file(daily, d / "SPY.csv.gz")
    rc, err = _run(
        capsys, tmp_path, "--bars-dir", str(d), "--start", "2026-03-02", "--end", "2026-03-04"
    )
    assert rc == 2
    assert "SPY.csv.gz holds daily bars" in _one_error_line(err)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--sessions", "0"], "--sessions=0: must be >= 1"),
        (["--sessions", "0", "--compare", "--analyst", "rules"], "--sessions=0: must be >= 1"),
        (["--start", "2099-01-05"], "outside the XNYS calendar, which covers 2000-01-03.."),
    ],
)
def test_synthetic_with_no_sessions_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    rc, err = _run(capsys, tmp_path, "--synthetic", *args)
    assert rc == 2
    assert needle in _one_error_line(err)


def test_the_module_entry_point_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    d = tmp_path / "bars"
    d.mkdir()
    (d / "SPY.csv").write_text(HEADER)
    proc = subprocess.run(
        [sys.executable, "-m", "llm_advisor", "replay", "--bars-dir", str(d),
         "--start", "2026-03-02", "--end", "2026-03-03", "--no-db", "--out", str(tmp_path / "o")],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: {d / 'SPY.csv'}: no bars (only a header line)"
    assert proc.stdout == ""
