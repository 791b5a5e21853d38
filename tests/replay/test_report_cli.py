"""``replay`` writes report.html beside its CSVs; ``--compare`` writes its runs and
compare.html to ``--out`` (it used to ignore ``--out``)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from llm_advisor.__main__ import main

RUNS = ("neutral", "analyst", "shuffled")


def compare_into(out: Path, tmp_path: Path) -> int:
    return main(
        [
            *("replay", "--synthetic", "--sessions", "2", "--compare", "--analyst", "rules"),
            *("--ledger", str(tmp_path / "ledger.jsonl"), "--out", str(out)),
        ]
    )


def test_compare_writes_each_run_and_a_comparison_to_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cmp"
    assert compare_into(out, tmp_path) == 0
    assert f"open {out / 'compare.html'}" in capsys.readouterr().out
    page = (out / "compare.html").read_text()
    for run in RUNS:
        d = out / run
        assert {p.name for p in d.iterdir()} == {
            "trades.csv",
            "signals.csv",
            "summary.json",
            "report.html",
        }
        with (d / "trades.csv").open() as fh:
            trades = list(csv.DictReader(fh))
        assert json.loads((d / "summary.json").read_text())["trades"] == len(trades)
        assert f'href="{run}/report.html"' in page
    # the neutral run is the strategy alone: its page must not name the analyst as its own
    assert "analyst none (multipliers 1.0)" in (out / "neutral" / "report.html").read_text()


def test_replay_writes_a_report_unless_told_not_to(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["replay", "--synthetic", "--sessions", "1", "--no-db"]
    assert main([*base, "--out", str(tmp_path / "a")]) == 0
    assert f"report: {tmp_path / 'a' / 'report.html'}" in capsys.readouterr().out
    assert (tmp_path / "a" / "report.html").stat().st_size > 0
    assert main([*base, "--no-report", "--out", str(tmp_path / "b")]) == 0
    assert (tmp_path / "b" / "trades.csv").exists()
    assert not (tmp_path / "b" / "report.html").exists()


def test_compare_without_report_still_writes_the_runs_csvs(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    rc = main(
        [
            *("replay", "--synthetic", "--sessions", "1", "--compare", "--analyst", "rules"),
            *("--ledger", str(tmp_path / "l.jsonl"), "--out", str(out), "--no-report"),
        ]
    )
    assert rc == 0
    assert all((out / r / "trades.csv").exists() for r in RUNS)
    assert not list(out.rglob("*.html"))


def test_demo_ends_with_the_paths_of_reports_that_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    args = ["demo", "--sessions", "1", "--skip-day", "--db", db, "--out", str(tmp_path / "o")]
    assert main(args) == 0
    tail = capsys.readouterr().out.rstrip().splitlines()[-1].strip()
    assert tail == (tmp_path / "o" / "report.html").resolve().as_uri()
    assert (tmp_path / "o" / "report.html").stat().st_size > 0
