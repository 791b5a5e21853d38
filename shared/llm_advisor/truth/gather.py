"""The live side of the truth report: what one run recorded for one session.

Read-only SQL over the trading record (both engines): the day's signals, entry orders (with
their ``refused_*`` statuses), fills, holdings (``position_history``: exit reason ``manual``
for a close at the broker), quarantined and late bars, the per-minute log's minutes, the
stored advice (``market_analysis``) and validation verdicts (``llm_validations``), which the
model replays as they were, and the start-of-day equity the live tick sized from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from llm_advisor.core.calendar import NY
from llm_advisor.core.errors import UserError
from llm_advisor.core.models import Advice, ThresholdMultipliers
from llm_advisor.truth.records import BarIssue, FillRow, LiveDay, OrderRow, SignalRow, TradeRow


@dataclass
class LiveInputs:
    """What the model replays from the live run: its advice and its verdicts."""

    advices: list[Advice] = field(default_factory=list)
    verdicts: dict[str, bool | None] = field(default_factory=dict)  # client_order_id -> go
    first_signal_equity: Decimal | None = None  # sizing equity of the day's first signal
    symbols: list[str] = field(default_factory=list)
    biases: dict[str, tuple[str, float]] = field(default_factory=dict)  # daily_bias rows


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The New York calendar day in UTC (premarket and after-hours included)."""
    lo = datetime.combine(day, time(0), tzinfo=NY).astimezone(UTC)
    return lo, lo + timedelta(days=1)


class Gatherer:
    def __init__(self, repo: Any) -> None:
        self.db = repo.db
        self.k = repo.codec

    def _rows(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        with self.db.transaction() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())

    def run_exists(self, run_id: str) -> bool:
        return bool(self._rows("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)))

    def live_day(self, run_id: str, day: date) -> LiveDay:
        k = self.k
        lo, hi = day_bounds(day)
        rng = (run_id, k.ts(lo), k.ts(hi))
        out = LiveDay(run_id=run_id, day=day)
        for s in self._rows(
            "SELECT client_order_id, symbol, setup, side, signal_time, status, qty, "
            "reject_reason FROM trade_signals WHERE run_id = ? AND session_date = ?",
            (run_id, k.day(day)),
        ):
            out.signals.append(
                SignalRow(s[0], s[1], s[2], s[3], _ts(k, s[4]), s[5], int(s[6]), s[7] or "")
            )
        for o in self._rows(
            "SELECT client_order_id, symbol, status, qty, filled_qty, "
            "COALESCE(submitted_at, updated_at), signal_time, filled_avg_price FROM orders "
            "WHERE run_id = ? AND leg = 'entry' AND session_date = ?",
            (run_id, k.day(day)),
        ):
            out.orders.append(
                OrderRow(
                    o[0],
                    o[1],
                    o[2],
                    int(o[3]),
                    int(o[4]),
                    k.ts_out(o[5]),
                    k.ts_out(o[6]),
                    k.dec_out(o[7]),
                )
            )
        for f in self._rows(
            "SELECT client_order_id, symbol, leg, qty, price, timestamp FROM fills "
            "WHERE run_id = ? AND timestamp >= ? AND timestamp < ? ORDER BY timestamp, id",
            rng,
        ):
            out.fills.append(FillRow(f[0], f[1], f[2], int(f[3]), _dec(k, f[4]), _ts(k, f[5])))
        fees = {
            r[0]: _dec(k, r[1])
            for r in self._rows(
                "SELECT client_order_id, commission FROM trades WHERE run_id = ? "
                "AND session_date = ?",
                (run_id, k.day(day)),
            )
        }
        for p in self._rows(
            "SELECT client_order_id, symbol, side, qty, opened_at, entry_price, closed_at, "
            "exit_price, exit_reason, realized_pnl FROM position_history "
            "WHERE run_id = ? AND opened_at >= ? AND opened_at < ? ORDER BY opened_at, id",
            rng,
        ):
            out.trades.append(
                TradeRow(
                    client_order_id=p[0],
                    symbol=p[1],
                    side=p[2],
                    qty=int(p[3]),
                    entry_time=_ts(k, p[4]),
                    entry_price=_dec(k, p[5]),
                    exit_time=k.ts_out(p[6]),
                    exit_price=k.dec_out(p[7]),
                    exit_reason=p[8],
                    pnl=k.dec_out(p[9]) or Decimal(0),
                    fees=fees.get(p[0] or "", Decimal(0)),
                )
            )
        for b in self._rows(
            "SELECT symbol, bar_time, reason, recorded_at FROM bar_quarantine "
            "WHERE run_id = ? AND bar_time >= ? AND bar_time < ?",
            rng,
        ):
            out.bar_issues.append(BarIssue(b[0], _ts(k, b[1]), b[2], _ts(k, b[3])))
        out.logged_minutes = {
            _ts(k, m[0])
            for m in self._rows(
                "SELECT DISTINCT timestamp FROM live_loop_minutes "
                "WHERE run_id = ? AND timestamp >= ? AND timestamp < ?",
                rng,
            )
        }
        return out

    def inputs(self, run_id: str, day: date, live: LiveDay) -> LiveInputs:
        k = self.k
        lo, hi = day_bounds(day)
        out = LiveInputs()
        for a in self._rows(
            "SELECT timestamp, interval_minutes, mult_mr_arm, mult_mr_trigger, mult_tc_arm, "
            "mult_tc_trigger, per_symbol, source FROM market_analysis "
            "WHERE run_id = ? AND timestamp >= ? AND timestamp < ? ORDER BY timestamp",
            (run_id, k.ts(lo), k.ts(hi)),
        ):
            per = k.json_out(a[6]) or {}
            out.advices.append(
                Advice(
                    as_of=_ts(k, a[0]),
                    interval_minutes=int(a[1]),
                    multipliers=ThresholdMultipliers(
                        mr_arm=a[2], mr_trigger=a[3], tc_arm=a[4], tc_trigger=a[5]
                    ),
                    per_symbol={s: ThresholdMultipliers(**m) for s, m in per.items()},
                    source=a[7] or "stored",
                )
            )
        verdicts = self._rows(
            "SELECT client_order_id, verdict FROM llm_validations "
            "WHERE run_id = ? AND signal_time >= ? AND signal_time < ?",
            (run_id, k.ts(lo), k.ts(hi)),
        )
        for cid, verdict in verdicts:
            out.verdicts[cid] = {"approve": True, "reject": False}.get(str(verdict))
        first = self._rows(
            "SELECT equity FROM trade_signals WHERE run_id = ? AND session_date = ? "
            "ORDER BY signal_time, id LIMIT 1",
            (run_id, k.day(day)),
        )
        if first:
            out.first_signal_equity = _dec(k, first[0][0])
        logged = self._rows(
            "SELECT DISTINCT symbol FROM live_loop_minutes "
            "WHERE run_id = ? AND timestamp >= ? AND timestamp < ?",
            (run_id, k.ts(lo), k.ts(hi)),
        )
        out.symbols = sorted(
            {s.symbol for s in live.signals} | {r[0] for r in logged} | set(self._symbols(run_id))
        )
        for sym, bias, conf in self._rows(
            "SELECT symbol, bias, confidence FROM daily_bias WHERE date = ?", (k.day(day),)
        ):
            out.biases[sym] = (str(bias), float(conf))
        return out

    def _symbols(self, run_id: str) -> list[str]:
        rows = self._rows("SELECT symbols FROM runs WHERE run_id = ?", (run_id,))
        if not rows:
            return []
        got = self.k.json_out(rows[0][0]) or []
        return [str(s) for s in got] if isinstance(got, list) else []


def _ts(k: Any, v: Any) -> datetime:
    t: datetime | None = k.ts_out(v)
    if t is None:
        raise UserError("database: a required timestamp is NULL")
    return t


def _dec(k: Any, v: Any) -> Decimal:
    d: Decimal | None = k.dec_out(v)
    return Decimal(0) if d is None else d
