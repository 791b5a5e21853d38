"""The replay command as a user runs it: files written, clear one-line errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from llm_advisor.__main__ import main
from llm_advisor.replay.outputs import SIGNAL_COLUMNS, TRADE_COLUMNS


def test_replay_real_bars_writes_trades_signals_and_summary(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    rc = main(
        [
            "replay",
            "--bars-dir",
            str(shared_data / "bars_1m"),
            "--symbols",
            "SPY,QQQ",
            "--start",
            "2026-03-02",
            "--end",
            "2026-03-06",
            "--out",
            str(out),
            "--db",
            f"sqlite:///{tmp_path / 'r.sqlite3'}",
        ]
    )
    assert rc == 0
    with (out / "trades.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert rows and list(rows[0]) == TRADE_COLUMNS
    assert all(r["signal_time"].endswith("Z") and r["symbol"] in {"SPY", "QQQ"} for r in rows)
    with (out / "signals.csv").open() as fh:
        assert list(next(csv.reader(fh))) == SIGNAL_COLUMNS
    summary = json.loads((out / "summary.json").read_text())
    assert summary["trades"] == len(rows) and summary["sessions"] == 5
    assert "stored run replay-" in capsys.readouterr().out


def test_replay_synthetic_runs_without_data(tmp_path: Path) -> None:
    assert (
        main(["replay", "--synthetic", "--sessions", "2", "--out", str(tmp_path), "--no-db"]) == 0
    )
    assert (tmp_path / "trades.csv").exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--start", "2026-03-06", "--end", "2026-03-02"], "--end=2026-03-06"),
        (["--start", "2026-03-02"], "--start and --end are required"),
        (
            ["--symbols", "SPY,NOPE", "--start", "2026-03-02", "--end", "2026-03-03"],
            "symbol='NOPE'",
        ),
        (["--start", "2026-03-02", "--end", "2026-03-03", "--set", "mr_arm_z=9"], "mr_arm_z"),
    ],
)
def test_user_mistakes_get_one_line_errors_and_exit_2(
    shared_data: Path, args: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["replay", "--bars-dir", str(shared_data / "bars_1m"), "--no-db", *args])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error: ") and "Traceback" not in err
    assert needle.split("=", maxsplit=1)[0] in err


def test_bad_bar_file_is_refused_with_file_line_and_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "bars"
    d.mkdir()
    (d / "AAA.csv").write_text(
        "timestamp,open,high,low,close,volume\n"
        "2026-03-02T14:30:00Z,10,11,9,10,100\n"
        "2026-03-02T14:31:00Z,10,9,11,10,100\n"
    )
    rc = main(
        ["replay", "--bars-dir", str(d), "--start", "2026-03-02", "--end", "2026-03-02", "--no-db"]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "AAA.csv" in err and "line 3" in err
