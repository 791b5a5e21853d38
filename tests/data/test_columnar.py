"""The columnar bar store: a faithful, filtered copy of the bar files it was converted from."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import DataError, UserError
from llm_advisor.data import columnar
from llm_advisor.data.barfiles import BarDirectory, write_bar_file
from llm_advisor.data.synthetic import SyntheticMarket
from llm_advisor.replay import inputs
from llm_advisor.replay.runner import run_replay
from llm_advisor.storage.replay_store import record_replay
from llm_advisor.storage.repository import open_repository

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "bars_1m"
SYMS = ["AAA", "BBB", "CCC", "DDD"]


@pytest.fixture(scope="module")
def csv_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("bars")
    bars = SyntheticMarket(3).minute_bars(SYMS, date(2026, 2, 2), 12)
    for sym, df in bars.items():
        write_bar_file(df, d / f"{sym}.csv.gz")
    return d


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True, check_freq=False)
    assert str(a.index.tz) == "UTC" and a.index.name == "timestamp"


def test_round_trip_equals_the_csv_files(csv_dir: Path, tmp_path: Path) -> None:
    counts = columnar.convert(csv_dir, tmp_path / "store")
    got = columnar.read_bars(tmp_path / "store")
    files = BarDirectory(csv_dir)
    assert sorted(got) == SYMS and counts == {s: len(files.load(s)) for s in SYMS}
    for s in SYMS:
        _same(got[s], files.load(s))


def test_reads_only_the_symbols_and_dates_asked_for(csv_dir: Path, tmp_path: Path) -> None:
    columnar.convert(csv_dir, tmp_path / "store")
    got = columnar.read_bars(tmp_path / "store", ["CCC", "AAA"], date(2026, 2, 4), date(2026, 2, 5))
    assert sorted(got) == ["AAA", "CCC"]
    for s, df in got.items():
        full = BarDirectory(csv_dir).load(s)
        ny = pd.DatetimeIndex(full.index).tz_convert("America/New_York").date
        want = full[(ny >= date(2026, 2, 4)) & (ny <= date(2026, 2, 5))]
        _same(df, want)


@pytest.mark.skipif(not REAL.is_dir(), reason="needs ../shared/data")
def test_round_trip_on_real_files(tmp_path: Path) -> None:
    src = tmp_path / "real"
    src.mkdir()
    for name in ("NVDA.csv.gz", "GS.csv.gz", "META.csv.gz"):
        shutil.copy(REAL / name, src / name)
    columnar.convert(src, tmp_path / "store")
    got = columnar.read_bars(tmp_path / "store")
    for s in ("GS", "META", "NVDA"):
        _same(got[s], BarDirectory(src).load(s))


def test_replay_from_the_store_equals_replay_from_csv(csv_dir: Path, tmp_path: Path) -> None:
    start, end = date(2026, 2, 9), date(2026, 2, 17)
    cfg = StrategyConfig()
    old = inputs.from_directory(csv_dir, None, start, end)
    new = inputs.from_columnar(shutil.copytree(csv_dir, tmp_path / "c"), None, start, end)
    a = run_replay(cfg, old.bars, start, end, show_progress=False)
    b = run_replay(cfg, new.bars, start, end, show_progress=False)
    assert a.trades and a.trades == b.trades
    assert a.signals == b.signals and a.transitions == b.transitions
    assert a.summary == b.summary


def test_stale_store_is_rebuilt_with_a_note(csv_dir: Path, tmp_path: Path) -> None:
    src = shutil.copytree(csv_dir, tmp_path / "src")
    notes: list[str] = []
    root = columnar.ensure_store(src, note=notes.append)
    assert root == src / ".columnar" and len(notes) == 1
    assert "first read" in notes[0] and "converted" in notes[0]
    assert columnar.ensure_store(src, note=notes.append) == root and len(notes) == 1
    os.utime(src / "AAA.csv.gz", ns=(1, 1))
    columnar.ensure_store(src, note=notes.append)
    assert len(notes) == 2 and "out of date" in notes[1]


def test_read_only_data_dir_caches_elsewhere(
    csv_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = shutil.copytree(csv_dir, tmp_path / "ro")
    real_access = os.access
    monkeypatch.setattr(
        columnar.os, "access", lambda p, mode: False if Path(p) == src else real_access(p, mode)
    )
    root = columnar.ensure_store(src, cache_dir=tmp_path / "cache")
    assert root.parent == tmp_path / "cache" and columnar.is_fresh(root, src)
    assert not (src / ".columnar").exists()


def test_convert_refuses_a_bad_file_in_one_line(tmp_path: Path) -> None:
    src = tmp_path / "bad"
    src.mkdir()
    (src / "X.csv").write_text(
        "timestamp,open,high,low,close,volume\n2026-02-02T14:30:00,1,1,1,1,1\n"
    )
    with pytest.raises(DataError, match=r"X.csv: line 2: timestamp .* has no time zone"):
        columnar.convert(src, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_convert_will_not_replace_an_unrelated_folder(csv_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(DataError, match="not a columnar bar store"):
        columnar.convert(csv_dir, out)
    assert (out / "notes.txt").read_text() == "keep me"


def test_unknown_symbol_is_one_line(csv_dir: Path, tmp_path: Path) -> None:
    src = shutil.copytree(csv_dir, tmp_path / "u")
    with pytest.raises(UserError, match=r"symbol='ZZZ': no bar file in .* \(available: AAA,"):
        inputs.from_columnar(src, ["ZZZ"], date(2026, 2, 9), date(2026, 2, 10))


def test_data_convert_cli(
    csv_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from llm_advisor.__main__ import main

    assert main(["data", "convert", "--bars-dir", str(csv_dir), "--out", str(tmp_path / "s")]) == 0
    assert "4 symbols" in capsys.readouterr().out and columnar.is_store(tmp_path / "s")
    rc = main(["data", "convert", "--bars-dir", str(tmp_path / "nope")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "--bars-dir=" in err[0] and "not a directory" in err[0]


def test_store_writes_the_same_rows(csv_dir: Path, tmp_path: Path) -> None:
    """The signal encoder's fast path (no pydantic round trip) stores what the model did."""
    from llm_advisor.storage import writes as w

    start, end = date(2026, 2, 9), date(2026, 2, 17)
    inp = inputs.from_directory(csv_dir, None, start, end)
    r = run_replay(StrategyConfig(), inp.bars, start, end, show_progress=False)
    repo = open_repository(f"sqlite:///{tmp_path}/x.sqlite3", migrate_schema=True)
    run_id = record_replay(repo, r)
    with repo.db.transaction() as cur:
        cur.execute(f"SELECT {', '.join(w.SIGNAL_COLS)} FROM trade_signals ORDER BY id")
        stored = [tuple(row) for row in cur.fetchall()]
        cur.execute("SELECT COUNT(*) FROM live_loop_logs WHERE run_id = ?", (run_id,))
        assert cur.fetchone()[0] == len(r.transitions)
    assert len(stored) == len(r.signals) > 0
    assert stored == [w.signal_row(repo.codec, run_id, s.model_dump()) for s in r.signals]
    repo.close()
