"""The README's loss-limit overshoot table comes from ``benchmarks.loss_limit``: it runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.loss_limit import CASES, COLUMNS, main


def _table(out: str) -> list[dict[str, str]]:
    lines = [ln for ln in out.splitlines() if ln.startswith("|")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    assert head == list(COLUMNS)
    assert set(lines[1].strip("|").split("|")) <= {"---", "---:"}
    return [
        dict(zip(head, (c.strip() for c in ln.strip("|").split("|")), strict=True))
        for ln in lines[2:]
    ]


def _check(rows: list[dict[str, str]], sessions: int) -> None:
    assert len(rows) == 2 * len(CASES)
    assert [r["risk_budget_check"] for r in rows] == ["off", "on"] * len(CASES)
    for r, (limit, risk) in zip(rows[::2], CASES, strict=True):
        assert (float(r["limit %"]), float(r["risk/trade %"])) == (limit, risk)
    for r in rows:
        fired, of = r["kill-switch days"].split(" of ")
        assert int(of) == sessions and 0 <= int(fired) <= sessions
        assert float(r["worst day loss % SOD equity"]) >= 0
        over = r["worst overshoot % of limit"]
        assert (over == "none") == (r["days over limit"] == "0")
        if r["risk_budget_check"] == "off":
            assert r["daily_risk rejects"] == "0"


def test_table_on_the_synthetic_market(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--synthetic", "--sessions", "2"]) == 0
    rows = _table(capsys.readouterr().out)
    _check(rows, 2)
    assert sum(int(r["daily_risk rejects"]) for r in rows) > 0  # the check did something


def test_table_on_a_subset_of_the_real_bars(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--bars-dir", str(shared_data / "bars_1m"), "--symbols", "SPY,QQQ,NVDA,COIN"]
    assert main([*argv, "--start", "2026-03-02", "--end", "2026-03-06"]) == 0
    _check(_table(capsys.readouterr().out), 5)


def test_missing_bars_dir_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--bars-dir", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope" in err
