"""``python -m llm_advisor sweep``: outputs, the stored sweep, one-line errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from llm_advisor.__main__ import main
from llm_advisor.storage.repository import open_repository
from llm_advisor.sweep.data import DataSpec
from llm_advisor.sweep.store import child_runs


def _args(store: DataSpec, out: Path, *extra: str) -> list[str]:
    return [
        "sweep",
        "--bars-dir",
        store.bars,
        "--start",
        store.start.isoformat(),
        "--end",
        store.end.isoformat(),
        "--out",
        str(out),
        *extra,
    ]


def test_sweep_writes_results_report_and_a_parent_with_child_runs(
    store: DataSpec, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    rc = main(
        _args(
            store,
            tmp_path,
            "--grid",
            "mr_arm_z=1.0,1.6",
            "--grid",
            "cooldown_bars=2,8",
            "--walk-forward",
            "train=3,test=2",
            "--workers",
            "1",
            "--db",
            db,
            "--set",
            "commission_per_share=0.005",
            "--objective",
            "pnl",
        )
    )
    out = capsys.readouterr().out
    assert rc == 0, out
    rows = list(csv.DictReader((tmp_path / "results.csv").open()))
    assert len(rows) == 4
    assert {
        "mr_arm_z",
        "cooldown_bars",
        "trades",
        "pnl",
        "win_rate",
        "max_drawdown",
        "sharpe",
    } <= set(rows[0])
    assert "walk-forward train=3 test=2: 2 folds" in out
    assert (tmp_path / "report.html").stat().st_size > 1_000_000  # Plotly inlined
    repo = open_repository(db)
    (parent,) = [line.split()[2] for line in out.splitlines() if line.startswith("stored run")]
    run = repo.get_run(parent)
    assert run is not None and run.kind == "sweep"
    children = child_runs(repo, parent)
    assert len(children) == 4
    by_trial = {r["trial_id"]: r for r in rows}
    for child in children:
        c = repo.get_run(child)
        assert c is not None and c.kind == "sweep"
        assert c.config["commission_per_share"] == 0.005
        assert len(repo.get_trades(child)) == int(by_trial[child.rsplit("-", 1)[1]]["trades"])
    repo.close()
    _rebuilt_from_db(tmp_path, db, parent, children, capsys)


def _rebuilt_from_db(
    tmp_path: Path, db: str, parent: str, children: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """``sweep --from-db``: the stored sweep gives back the files the sweep wrote, rows best
    first, and names every trial run."""
    again = tmp_path / "again"
    assert main(["sweep", "--from-db", parent, "--db", db, "--out", str(again)]) == 0
    out = capsys.readouterr().out
    first = json.loads((tmp_path / "summary.json").read_text())
    first["rows"].sort(key=lambda r: r["rank"])
    assert json.loads((again / "summary.json").read_text()) == first
    rows = list(csv.DictReader((again / "results.csv").open()))
    assert sorted(map(str, rows)) == sorted(
        map(str, csv.DictReader((tmp_path / "results.csv").open()))
    )
    assert [int(r["rank"]) for r in rows] == [1, 2, 3, 4]
    assert (again / "report.html").stat().st_size > 1_000_000
    listed = [line.split()[1] for line in out.splitlines() if line.startswith("  #")]
    assert sorted(listed) == children
    assert listed[0].endswith(rows[0]["trial_id"])
    assert f"4 trial runs of {parent}" in out


def test_from_db_names_a_missing_sweep(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    assert main(["sweep", "--from-db", "sweep-nope", "--db", db, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("error: --from-db sweep-nope: no stored sweep run") and err.count("\n") == 1
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--grid", "mr_arm_z=x"], "error: --grid mr_arm_z=x: Input should be a valid number"),
        (["--grid", "bogus=1"], "error: --grid bogus: unknown strategy setting"),
        ([], "error: nothing to sweep: give --grid"),
        (["--grid", "mr_arm_z=1,2", "--objective", "cagr"], "error: --objective=cagr: choose"),
        (["--grid", "mr_arm_z=1,2", "--walk-forward", "60"], "error: --walk-forward='60'"),
        (["--grid", "mr_arm_z=1,2", "--set", "mr_arm_z=1"], "error: --set mr_arm_z: also swept"),
        (["--grid", "mr_arm_z=1,2", "--set", "nope=1"], "error: --set: unknown strategy setting"),
        (
            ["--grid", "mr_arm_z=1,2", "--executor", "stepfunctions"],
            "error: --executor stepfunctions needs --state-machine",
        ),
    ],
)
def test_mistakes_are_one_line(
    store: DataSpec,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ADVISOR_SWEEP_STATE_MACHINE_ARN", raising=False)
    assert main([*_args(store, tmp_path, "--no-db"), *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message), err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_missing_dates_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", "--grid", "mr_arm_z=1,2", "--bars-dir", str(tmp_path)]) == 2
    assert "--bars-dir, --start and --end are required" in capsys.readouterr().err
