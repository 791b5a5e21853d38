"""The per-day P/L rollup answers exactly what a walk over every trade answers.

The reference below is the report's definition written out over the raw trades (what the
query computed before the rollup existed): days by session date, equity from the snapshot
before the range, drawdown of cumulative realized P/L in (exit_time, insertion) order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llm_advisor.core.calendar import NY
from llm_advisor.core.ports import DayPnl, EquityPoint, PnlReport
from llm_advisor.storage import Repository
from llm_advisor.storage.pnl_rollup import chain_drawdown, refresh_sql

DAYS = [date(2024, 3, 4) + timedelta(days=i) for i in range(12) if i % 7 not in (5, 6)]
RUNS = ("live", "r1", "r2")


@dataclass
class _T:
    run_id: str
    seq: int  # first-insertion order: the id that breaks exit_time ties
    row: dict[str, Any]


def _trade(rng: random.Random, run_id: str, n: int, day: date) -> dict[str, Any]:
    entry = datetime(day.year, day.month, day.day, 14, 30, tzinfo=UTC) + timedelta(
        minutes=rng.randrange(0, 360)
    )
    exit_ = entry + timedelta(minutes=rng.randrange(0, 30))
    pnl = Decimal(rng.randrange(-40_000, 40_000)) / Decimal(rng.choice([100, 1000]))
    return {
        "symbol": rng.choice(["AAPL", "MSFT", "SPY"]), "setup": "MR", "side": "long",
        "signal_time": entry - timedelta(minutes=1), "entry_time": entry,
        "entry_price": Decimal("100.00"), "exit_time": exit_, "exit_price": Decimal("101.00"),
        "qty": 10, "exit_reason": "target", "pnl": pnl,
        "commission": Decimal(rng.randrange(0, 300)) / 100, "client_order_id": f"{run_id}-{n}",
    }  # fmt: skip


def _session(t: _T) -> date:
    entry: datetime = t.row["entry_time"]
    return entry.astimezone(NY).date()


def _reference(
    trades: list[_T], start: date, end: date, run_id: str | None, base: Decimal
) -> PnlReport:
    rows = [
        t for t in trades if (run_id is None or t.run_id == run_id) and start <= _session(t) <= end
    ]
    by_day: dict[date, list[_T]] = {}
    for t in rows:
        by_day.setdefault(_session(t), []).append(t)
    days, curve = [], []
    equity = base
    for d in sorted(by_day):
        ts = by_day[d]
        realized = sum((t.row["pnl"] for t in ts), Decimal(0))
        equity += realized
        days.append(
            DayPnl(
                date=d,
                realized=realized,
                fees=sum((t.row["commission"] for t in ts), Decimal(0)),
                trades=len(ts),
                wins=sum(1 for t in ts if t.row["pnl"] > 0),
            )
        )
        curve.append(EquityPoint(time=max(t.row["exit_time"] for t in ts), equity=equity))
    cum = peak = dd = Decimal(0)
    for t in sorted(rows, key=lambda t: (t.row["exit_time"], t.seq)):
        cum += t.row["pnl"]
        peak = max(peak, cum)
        dd = max(dd, peak - cum)
    n = len(rows)
    return PnlReport(
        start_date=start,
        end_date=end,
        days=days,
        total_realized=sum((d.realized for d in days), Decimal(0)),
        total_fees=sum((d.fees for d in days), Decimal(0)),
        trades=n,
        win_rate=(sum(d.wins for d in days) / n) if n else None,
        max_drawdown=dd,
        equity_curve=curve,
    )


class _Book:
    """Trades as saved, in first-insertion order, mirroring the repository's upserts."""

    def __init__(self) -> None:
        self.trades: dict[tuple[str, str], _T] = {}

    def save(self, repo: Repository, run_id: str, rows: list[dict[str, Any]]) -> None:
        repo.save_trades(rows, run_id=run_id)
        for r in rows:
            key = (run_id, str(r["client_order_id"]))
            old = self.trades.get(key)
            self.trades[key] = _T(run_id, old.seq if old else len(self.trades), r)

    def delete_run(self, repo: Repository, run_id: str) -> None:
        repo.delete_run(run_id)
        self.trades = {k: v for k, v in self.trades.items() if v.run_id != run_id}


def _check(repo: Repository, book: _Book, bases: dict[str | None, Decimal]) -> None:
    trades = list(book.trades.values())
    for scope in (None, *RUNS):
        view = repo.scoped(scope)
        for start, end in ((DAYS[0], DAYS[-1]), (DAYS[2], DAYS[5]), (DAYS[4], DAYS[4])):
            got = view.pnl(start, end)
            want = _reference(trades, start, end, scope, bases.get(scope, Decimal(0)))
            assert got == want, (scope, start, end)


def test_rollup_matches_a_walk_over_every_trade(repo: Repository) -> None:
    rng = random.Random(20240304)
    book = _Book()
    repo.save_equity_snapshots(
        [(datetime(2024, 3, 1, 15, tzinfo=UTC), Decimal("50000"))], run_id="r1"
    )
    bases: dict[str | None, Decimal] = {None: Decimal("50000"), "r1": Decimal("50000")}
    pending = [(run, _trade(rng, run, n, rng.choice(DAYS))) for run in RUNS for n in range(40)]
    rng.shuffle(pending)  # ids (tie-breakers) unrelated to exit order; runs interleave
    for i in range(0, len(pending), 17):
        for run in RUNS:
            batch = [t for r, t in pending[i : i + 17] if r == run]
            if batch:
                book.save(repo, run, batch)
    _check(repo, book, bases)

    # A corrected trade that moved to another day leaves its old day too.
    moved = dict(book.trades[("r1", "r1-0")].row)
    shift = timedelta(days=1 if moved["entry_time"].date() != DAYS[-1] else -1)
    for f in ("signal_time", "entry_time", "exit_time"):
        moved[f] = moved[f] + shift
    moved["pnl"] = Decimal("-999.99")
    book.save(repo, "r1", [moved])
    _check(repo, book, bases)

    book.delete_run(repo, "r2")
    _check(repo, book, bases)
    assert repo.count("daily_pnl") > 0

    repo.rebuild_pnl_rollup()
    _check(repo, book, bases)


def test_a_day_without_trades_has_no_row(repo: Repository) -> None:
    rng = random.Random(1)
    book = _Book()
    book.save(repo, "r1", [_trade(rng, "r1", 0, DAYS[0])])
    book.delete_run(repo, "r1")
    assert repo.count("daily_pnl") == 0 and repo.count("daily_pnl_all") == 0
    assert repo.pnl(DAYS[0], DAYS[-1]).days == []


def _walk(pnls: list[list[int]]) -> int:
    cum = peak = dd = 0
    for day in pnls:
        for p in day:
            cum += p
            peak = max(peak, cum)
            dd = max(dd, peak - cum)
    return dd


def _day_stats(day: list[int]) -> tuple[int, int, int, int]:
    cum = peak = hi = lo = dd = 0
    for p in day:
        cum += p
        peak = max(peak, cum)
        hi, lo = max(hi, cum), min(lo, cum)
        dd = max(dd, peak - cum)
    return cum, hi, lo, dd


@given(st.lists(st.lists(st.integers(-1000, 1000), min_size=1, max_size=8), max_size=12))
def test_chaining_days_equals_the_trade_walk(pnls: list[list[int]]) -> None:
    assert chain_drawdown((_day_stats(d) for d in pnls), 0) == _walk(pnls)


def test_migration_backfill_is_the_refresh_statement() -> None:
    root = Path(__file__).parents[2] / "shared/llm_advisor/storage/migrations"
    for engine in ("sqlite", "postgres"):
        sql = (root / engine / "0004_daily_pnl_rollup.sql").read_text()
        for per_run in (True, False):
            assert refresh_sql(engine, per_run, "1 = 1") + ";" in sql


def test_cli_rebuilds_a_rollup_after_hand_written_sql(
    db_url: str, repo: Repository, capsys: pytest.CaptureFixture[str]
) -> None:
    from llm_advisor.__main__ import main as cli_main

    rng = random.Random(3)
    book = _Book()
    book.save(repo, "live", [_trade(rng, "live", n, DAYS[n % 3]) for n in range(6)])
    with repo.db.transaction() as cur:  # out-of-band: the rollup cannot know
        cur.execute("DELETE FROM trades WHERE client_order_id = ?", ("live-0",))
    del book.trades[("live", "live-0")]
    assert cli_main(["db", "rebuild-pnl", "--url", db_url]) == 0
    assert "P/L rollup rebuilt" in capsys.readouterr().out
    _check(repo, book, {})
