"""Truth report rows (migration 0012): one per run and day, one per divergence.

Saving replaces the day's rows in one transaction, so a rerun of the report (the Lambda
retried, ``truth --date`` run again after a fix) leaves exactly one verdict per day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from llm_advisor.truth.records import Divergence, TruthReport


@dataclass(frozen=True)
class StoredDay:
    run_id: str
    day: date
    verdict: str
    counts: dict[str, int]
    pnl_live: Decimal
    pnl_model: Decimal
    pnl_split: dict[str, Decimal]
    slippage_usd: Decimal
    slippage_bps: float | None
    start_equity: Decimal
    created_at: datetime
    divergences: list[Divergence]


class TruthStore:
    def __init__(self, repo: Any) -> None:
        self.db = repo.db
        self.k = repo.codec

    def save(self, report: TruthReport, at: datetime) -> None:
        k = self.k
        key = (report.run_id, k.day(report.day))
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM truth_divergences WHERE run_id = ? AND day = ?", key)
            cur.execute("DELETE FROM truth_days WHERE run_id = ? AND day = ?", key)
            cur.execute(
                "INSERT INTO truth_days (run_id, day, verdict, counts, pnl_live, pnl_model, "
                "pnl_split, slippage_usd, slippage_bps, start_equity, divergences, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    *key,
                    report.verdict,
                    k.json(report.counts),
                    k.dec(report.pnl_live),
                    k.dec(report.pnl_model),
                    k.json({n: str(v) for n, v in report.pnl_split.items()}),
                    k.dec(report.slippage_usd),
                    report.slippage_bps,
                    k.dec(report.start_equity),
                    len(report.divergences),
                    k.ts(at),
                ),
            )
            if report.divergences:
                cur.executemany(
                    "INSERT INTO truth_divergences (run_id, day, seq, kind, symbol, time, "
                    "cause, detail, client_order_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            *key,
                            i,
                            d.kind,
                            d.symbol,
                            k.ts(d.time),
                            d.cause,
                            d.detail,
                            d.client_order_id,
                        )
                        for i, d in enumerate(report.divergences)
                    ],
                )

    def _day(self, row: Any, divs: list[Divergence]) -> StoredDay:
        k = self.k
        split = k.json_out(row[6]) or {}
        return StoredDay(
            run_id=row[0],
            day=k.day_out(row[1]),
            verdict=row[2],
            counts={str(a): int(b) for a, b in (k.json_out(row[3]) or {}).items()},
            pnl_live=k.dec_out(row[4]) or Decimal(0),
            pnl_model=k.dec_out(row[5]) or Decimal(0),
            pnl_split={str(a): Decimal(str(b)) for a, b in split.items()},
            slippage_usd=k.dec_out(row[7]) or Decimal(0),
            slippage_bps=None if row[8] is None else float(row[8]),
            start_equity=k.dec_out(row[9]) or Decimal(0),
            created_at=k.ts_out(row[10]),
            divergences=divs,
        )

    _COLS = (
        "run_id, day, verdict, counts, pnl_live, pnl_model, pnl_split, slippage_usd, "
        "slippage_bps, start_equity, created_at"
    )

    def load(self, run_id: str, day: date) -> StoredDay | None:
        k = self.k
        key = (run_id, k.day(day))
        with self.db.transaction() as cur:
            cur.execute(f"SELECT {self._COLS} FROM truth_days WHERE run_id = ? AND day = ?", key)
            row = cur.fetchone()
            if row is None:
                return None
            cur.execute(
                "SELECT kind, symbol, time, cause, detail, client_order_id FROM "
                "truth_divergences WHERE run_id = ? AND day = ? ORDER BY seq",
                key,
            )
            divs = [
                Divergence(r[0], r[1], k.ts_out(r[2]), r[3], r[4], r[5]) for r in cur.fetchall()
            ]
        return self._day(row, divs)

    def history(self, run_id: str, until: date, limit: int = 60) -> list[StoredDay]:
        """The run's days up to ``until``, oldest first (the slippage chart)."""
        k = self.k
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {self._COLS} FROM truth_days WHERE run_id = ? AND day <= ? "
                "ORDER BY day DESC LIMIT ?",
                (run_id, k.day(until), limit),
            )
            rows = cur.fetchall()
        return [self._day(r, []) for r in reversed(rows)]

    def latest_day(self, run_id: str) -> date | None:
        with self.db.transaction() as cur:
            cur.execute("SELECT MAX(day) FROM truth_days WHERE run_id = ?", (run_id,))
            row = cur.fetchone()
        return None if row is None or row[0] is None else self.k.day_out(row[0])
