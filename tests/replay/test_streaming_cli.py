"""``replay --bars-dir`` streams the columnar store: same files as reading the CSVs whole."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from llm_advisor.__main__ import main
from llm_advisor.data.barfiles import write_bar_file
from llm_advisor.data.synthetic import SyntheticMarket
from llm_advisor.replay import inputs
from llm_advisor.replay.store_source import StoreBars


@pytest.fixture(scope="module")
def bars_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("bars")
    bars = SyntheticMarket(11).minute_bars(["AAA", "BBB", "CCC"], date(2026, 2, 2), 10)
    for sym, df in bars.items():
        write_bar_file(df, d / f"{sym}.csv.gz")
    return d


def _replay(out: Path, bars_dir: Path, *extra: str) -> dict[str, str]:
    rc = main(
        ["replay", "--bars-dir", str(bars_dir), "--start", "2026-02-09", "--end", "2026-02-13",
         "--out", str(out), "--db", f"sqlite:///{out.parent / (out.name + '.sqlite3')}",
         "--json", *extra]
    )  # fmt: skip
    assert rc == 0
    return {name: (out / name).read_text() for name in ("trades.csv", "signals.csv")}


def test_replay_from_the_store_writes_what_the_files_give(
    bars_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    streamed = _replay(tmp_path / "a", bars_dir)
    doc = json.loads(capsys.readouterr().out)
    whole = _replay(tmp_path / "b", bars_dir, "--no-columnar")
    assert streamed == whole and streamed["trades.csv"].count("\n") > 1
    assert doc["stored_run"].startswith("replay-")
    assert (tmp_path / "a" / "report.html").stat().st_size > 10_000


def test_from_columnar_hands_out_store_bars(bars_dir: Path) -> None:
    inp = inputs.from_columnar(bars_dir, ["CCC", "AAA"], date(2026, 2, 9), date(2026, 2, 13))
    assert isinstance(inp.bars, StoreBars)
    assert list(inp.bars) == ["AAA", "CCC"] and inp.no_bars == ()
    assert inp.bars.through == date(2026, 2, 13)
    assert sum(inp.bars.rows_by_date.values()) == sum(inp.bars.rows_by_symbol.values())
