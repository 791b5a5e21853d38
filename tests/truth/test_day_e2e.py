"""The truth report end to end on the local day (real handlers, moto, the Alpaca stand-in).

A clean day must report "identical"; a day with five injected faults (a late bar, a tick
that did not run, a partial fill, a manual close at the broker, a stale plan refused) must
report each with its cause, on the trade it hit. Then the CLI on the same database: the
verdict printed and the rows written; one-line errors for a missing run or day.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest

from llm_advisor.core.calendar import NY
from llm_advisor.core.config import StrategyConfig
from llm_advisor.local.day import LocalDayResult, run_local_day, synthetic_day_bars
from llm_advisor.storage.repository import open_repository
from llm_advisor.truth.records import TruthReport
from llm_advisor.truth.service import run_truth
from llm_advisor.truth.store import TruthStore
from tests.truth.faults import DayFaults

DAY = date(2024, 3, 12)
SYMBOLS = ("SPY", "QQQ", "IWM", "NVDA", "TSLA")
HISTORY = 12
AT = datetime.combine(DAY, time(16, 45), tzinfo=NY)


def utc(hm: str) -> datetime:
    h, m = hm.split(":")
    return datetime(2024, 3, 12, int(h), int(m), tzinfo=UTC)


def _cid(symbol: str, setup: str, side: str, hm: str) -> str:
    return f"stdev-20240312-{symbol}-{setup}-{side}-2024-03-12T{hm}:00Z"


def _day(tmp: Path, faults: DayFaults | None) -> tuple[LocalDayResult, str, Any]:
    bars = synthetic_day_bars(DAY, SYMBOLS, 7, HISTORY)
    url = f"sqlite:///{tmp / 'advisor.sqlite3'}"
    result = run_local_day(
        DAY,
        SYMBOLS,
        db_url=url,
        history_sessions=HISTORY,
        bars=bars,
        quiet_alerts=True,
        faults=faults,
    )
    return result, url, bars


def _report(url: str, run_id: str, bars: Any) -> TruthReport:
    repo = open_repository(url).scoped(run_id)
    try:
        return run_truth(repo, run_id, DAY, StrategyConfig(), lambda s, lo, hi: bars, AT).report
    finally:
        repo.close()


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalDayResult, str, Any]:
    return _day(tmp_path_factory.mktemp("clean"), None)


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> tuple[TruthReport, DayFaults, str]:
    faults = DayFaults(
        late_bars={("NVDA", utc("15:26")): 2},  # the bar of NVDA's last model signal
        skip_ticks={utc("13:46")},  # the tick that publishes QQQ's 13:45 plan
        partial_at={utc("13:48"): 0.5},  # NVDA's 13:47 entry, submitted at 13:48
        held_queue={utc("14:22"), utc("14:23")},  # NVDA's 14:21 plan reaches it at 14:24
        manual_close_at={utc("15:00"): "IWM"},  # IWM's 13:53 short, closed by hand
    )
    result, url, bars = _day(tmp_path_factory.mktemp("faulty"), faults)
    return _report(url, result.run_id, bars), faults, url


def test_clean_day_is_identical(clean: tuple[LocalDayResult, str, Any]) -> None:
    result, url, bars = clean
    assert len(result.trades) >= 4
    report = _report(url, result.run_id, bars)
    assert report.verdict == "identical", "\n".join(report.lines())
    assert report.divergences == []
    assert report.counts["signals_matched"] >= len(result.trades)
    assert report.counts["entries_matched"] == len(result.trades)
    assert report.pnl_live == report.pnl_model == sum(t.pnl for t in result.trades)
    assert report.slippage_bps == 0.0
    stored = TruthStore(open_repository(url)).load(result.run_id, DAY)
    assert stored is not None and stored.verdict == "identical" and stored.divergences == []


def _find(report: TruthReport, kind: str, cid: str) -> Any:
    hits = [d for d in report.divergences if d.kind == kind and d.client_order_id == cid]
    assert hits, f"no {kind} for {cid}:\n" + "\n".join(report.lines())
    return hits[0]


def test_fault_day_names_every_injected_cause(
    faulty: tuple[TruthReport, DayFaults, str],
) -> None:
    report, faults, _ = faulty
    text = "\n".join(report.lines())
    print(text)
    assert len(faults.done) == 6, faults.done  # the queue is held for two minutes
    assert report.verdict == "diverged"
    late = _find(report, "signal_missed", _cid("NVDA", "MR", "long", "15:26"))
    assert late.cause == "late_bar", text
    tick = _find(report, "entry_late", _cid("QQQ", "MR", "long", "13:45"))
    assert tick.cause == "tick_not_run", text
    part = _find(report, "partial_fill", _cid("NVDA", "MR", "long", "13:47"))
    assert part.cause == "partial_fill", text
    stale = _find(report, "order_refused", _cid("NVDA", "MR", "short", "14:21"))
    assert stale.cause == "stale_plan_refused" and "refused_stale_age" in stale.detail
    manual = _find(report, "exit_mismatch", _cid("IWM", "TC", "short", "13:53"))
    assert manual.cause == "manual_close", text
    assert all(d.cause != "unexplained" for d in report.divergences), text
    assert report.counts["signals_missed"] >= 1
    gap = report.pnl_live - report.pnl_model
    assert sum(report.pnl_split.values()) == gap


def test_cli_prints_the_verdict_and_writes_the_rows(
    faulty: tuple[TruthReport, DayFaults, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from llm_advisor.__main__ import main

    _, _, url = faulty
    argv = [
        "truth",
        "--date",
        "2024-03-12",
        "--db",
        url,
        "--run",
        "local-2024-03-12",
        "--bars",
        "synthetic",
        "--history-sessions",
        str(HISTORY),
        "--json",
    ]
    assert main(argv) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["verdict"] == "diverged"
    causes = {d["cause"] for d in body["divergences"]}
    assert {"late_bar", "tick_not_run", "partial_fill", "manual_close"} <= causes
    assert "stale_plan_refused" in causes
    stored = TruthStore(open_repository(url)).load("local-2024-03-12", DAY)
    assert stored is not None and len(stored.divergences) == len(body["divergences"])
