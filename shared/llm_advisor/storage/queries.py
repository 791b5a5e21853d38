"""The portfolio read side (``core.ports.PortfolioQueries``) on both engines.

Written as a mixin over the repository's connection so the API, the reports and the chatbot
share one set of queries. Each query is served by an index (see docs/storage.md for plans):
``trades (session_date, entry_time)`` / ``(symbol, session_date, entry_time)``,
``trade_signals`` likewise, ``market_analysis (timestamp DESC)``, ``daily_bias`` by its key;
``pnl`` reads the per-day rollup (``daily_pnl`` / ``daily_pnl_all``, see ``pnl_rollup``).
A repository may be scoped to one run (``Repository.scoped(run_id)``); unscoped, trades and
signals of every run are served. The API always scopes (a replay must never add to the
account's figures); ``runs``/``find_run``/``latest_run`` list the runs it can pick from.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llm_advisor.core.calendar import NY
from llm_advisor.core.errors import UserError
from llm_advisor.core.ports import (
    AnalysisRow,
    DailyBiasRow,
    DayPnl,
    EquityPoint,
    PnlReport,
    PositionRow,
    RunRow,
    SignalRow,
    TradePage,
    TradeRow,
)
from llm_advisor.storage import codec as c
from llm_advisor.storage.codec import MICROS
from llm_advisor.storage.pnl_rollup import chain_drawdown

if TYPE_CHECKING:
    from llm_advisor.storage.codec import Codec
    from llm_advisor.storage.db import PostgresDatabase, SqliteDatabase
    from llm_advisor.storage.minute_log import MinuteRow

MAX_PAGE = 1000

# One row per run with its trade count, P/L and traded-session span from the per-run
# rollup (``daily_pnl``: one row per run and day, so this stays cheap for long runs).
_RUN_SELECT = (
    "SELECT r.run_id, r.kind, r.label, r.start_date, r.end_date, r.symbols, r.created_at, "
    "COALESCE(SUM(d.trades), 0), SUM(d.realized), MIN(d.session_date), MAX(d.session_date) "
    "FROM runs r LEFT JOIN daily_pnl d ON d.run_id = r.run_id"
)

_TRADE_SELECT = (
    "SELECT id, run_id, symbol, setup, side, signal_time, entry_time, entry_price, exit_time, "
    "exit_price, qty, exit_reason, pnl, commission, client_order_id FROM trades"
)
_SIGNAL_SELECT = (
    "SELECT signal_time, symbol, setup, side, status, reject_reason, z, ref_price, stop_price, "
    "target_price, qty, mr_arm_z, mr_trigger_z, tc_arm_z, tc_trigger_z, client_order_id "
    "FROM trade_signals"
)


def _page(limit: int, offset: int) -> None:
    if not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise UserError(f"limit={limit!r}: must be an integer in [1, {MAX_PAGE}]")
    if not isinstance(offset, int) or offset < 0:
        raise UserError(f"offset={offset!r}: must be an integer >= 0")


def _range(start: date, end: date) -> None:
    c.day(start, "start")
    c.day(end, "end")
    if end < start:
        raise UserError(f"end={end.isoformat()!r} is before start={start.isoformat()!r}")


class PortfolioQueriesImpl:
    db: SqliteDatabase | PostgresDatabase
    codec: Codec
    engine: str
    scope_run_id: str | None

    def _scope(self, where: list[str], params: list[Any]) -> None:
        if self.scope_run_id is not None:
            where.append("run_id = ?")
            params.append(self.scope_run_id)

    def _rows(self, sql: str, params: list[Any] | tuple[Any, ...]) -> list[Any]:
        with self.db.transaction() as cur:
            cur.execute(sql, tuple(params))
            return cur.fetchall()

    # ------------------------------------------------------------ runs
    def _run_rows(self, where: str, params: list[Any], tail: str) -> list[RunRow]:
        k = self.codec
        rows = self._rows(f"{_RUN_SELECT}{where} GROUP BY r.run_id{tail}", params)
        return [
            RunRow(
                run_id=r[0],
                kind=r[1],
                label=r[2] or r[0],
                start_date=k.day_out(r[3]) or k.day_out(r[9]),
                end_date=k.day_out(r[4]) or k.day_out(r[10]),
                symbols=list(k.json_out(r[5]) or []),
                created_at=k.ts_out(r[6]),
                trades=int(r[7]),
                realized_pnl=self._money(r[8]),
            )
            for r in rows
        ]

    def runs(self) -> list[RunRow]:
        """Every run, newest first (``created_at``), with its trade count and P/L."""
        return self._run_rows("", [], " ORDER BY r.created_at DESC, r.run_id")

    def find_run(self, run_id: str) -> RunRow | None:
        found = self._run_rows(" WHERE r.run_id = ?", [run_id], "")
        return found[0] if found else None

    def latest_run(self, kinds: Sequence[str]) -> RunRow | None:
        """The most recently created run of one of ``kinds`` (the API's fallback view)."""
        if not kinds:
            return None
        marks = ", ".join("?" * len(kinds))
        found = self._run_rows(
            f" WHERE r.kind IN ({marks})",
            list(kinds),
            " ORDER BY r.created_at DESC, r.run_id DESC LIMIT 1",
        )
        return found[0] if found else None

    # ------------------------------------------------------------ daily bias
    def daily_bias(self, day: date, symbol: str | None = None) -> list[DailyBiasRow]:
        k = self.codec
        sql = (
            "SELECT date, symbol, bias, confidence, htf_bias, news_summary, model_version "
            "FROM daily_bias WHERE date = ?"
        )
        params: list[Any] = [k.day(c.day(day, "day"))]
        if symbol is not None:
            sql += " AND symbol = ?"
            params.append(c.symbol(symbol, "symbol"))
        rows = self._rows(sql + " ORDER BY symbol", params)
        return [
            DailyBiasRow(
                date=k.day_out(r[0]),
                symbol=r[1],
                bias=r[2],
                confidence=r[3],
                htf_bias=r[4],
                news_summary=r[5],
                model_version=r[6],
            )
            for r in rows
        ]

    # ------------------------------------------------------------ trades
    def trades(
        self,
        start: date,
        end: date,
        symbol: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> TradePage:
        _range(start, end)
        _page(limit, offset)
        k = self.codec
        where = ["session_date >= ?", "session_date <= ?"]
        params: list[Any] = [k.day(start), k.day(end)]
        if symbol is not None:
            where.append("symbol = ?")
            params.append(c.symbol(symbol, "symbol"))
        self._scope(where, params)
        cond = " WHERE " + " AND ".join(where)
        with self.db.transaction() as cur:
            cur.execute("SELECT COUNT(*) FROM trades" + cond, tuple(params))
            total = int(cur.fetchone()[0])
            cur.execute(
                _TRADE_SELECT + cond + " ORDER BY session_date, entry_time, symbol, id "
                "LIMIT ? OFFSET ?",
                (*params, limit, offset),
            )
            rows = cur.fetchall()
        items = [
            TradeRow(
                id=int(r[0]),
                run_id=r[1],
                symbol=r[2],
                setup=r[3],
                side=r[4],
                signal_time=k.ts_out(r[5]),
                entry_time=k.ts_out(r[6]),
                entry_price=k.dec_out(r[7]),
                exit_time=k.ts_out(r[8]),
                exit_price=k.dec_out(r[9]),
                qty=int(r[10]),
                exit_reason=r[11],
                pnl=k.dec_out(r[12]),
                commission=k.dec_out(r[13]),
                client_order_id=r[14],
            )
            for r in rows
        ]
        return TradePage(items=items, total=total, limit=limit, offset=offset)

    # ------------------------------------------------------------ P/L
    def _money(self, v: Any) -> Decimal:
        """A summed money column: NUMERIC on PostgreSQL, integer micro-dollars on SQLite."""
        if v is None:
            return Decimal(0)
        if self.engine == "postgres":
            return Decimal(v)
        return (Decimal(int(v)) / MICROS).normalize() if v else Decimal(0)

    def pnl(self, start: date, end: date) -> PnlReport:
        """Served by the per-day rollup (``pnl_rollup``): one row per day with trades, so a
        year costs ~252 rows; the drawdown chains the days' extremes exactly."""
        _range(start, end)
        k = self.codec
        where = ["session_date >= ?", "session_date <= ?"]
        params: list[Any] = [k.day(start), k.day(end)]
        if self.scope_run_id is None:
            table = "daily_pnl_all"
        else:
            table = "daily_pnl"
            where.insert(0, "run_id = ?")
            params.insert(0, self.scope_run_id)
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT session_date, realized, fees, trades, wins, last_exit, max_cum, "
                f"min_cum, max_dd FROM {table} WHERE {' AND '.join(where)} ORDER BY session_date",
                tuple(params),
            )
            day_rows = cur.fetchall()
            base, taken = self._base_equity(cur, start)
            if taken is not None:
                # the fallback snapshot lies inside (or after) the range: it already holds
                # the P/L of every exit from the range start up to its time (a replay's
                # close, or a live monitor's intraday point), which the curve adds again
                base -= self._realized_between(cur, start, taken)
        # Chain in the stored unit (integer micro-dollars on SQLite, NUMERIC on PostgreSQL).
        zero: Any = Decimal(0) if self.engine == "postgres" else 0
        max_dd = chain_drawdown(((r[1], r[6], r[7], r[8]) for r in day_rows), zero)
        days: list[DayPnl] = []
        curve: list[EquityPoint] = []
        equity = base
        total = Decimal(0)
        fees = Decimal(0)
        n = wins = 0
        for r in day_rows:
            realized = self._money(r[1])
            fee = self._money(r[2])
            days.append(
                DayPnl(
                    date=k.day_out(r[0]),
                    realized=realized,
                    fees=fee,
                    trades=int(r[3]),
                    wins=int(r[4]),
                )
            )
            total += realized
            fees += fee
            n += int(r[3])
            wins += int(r[4])
            equity += realized
            curve.append(EquityPoint(time=k.ts_out(r[5]), equity=equity))
        return PnlReport(
            start_date=start,
            end_date=end,
            days=days,
            total_realized=total,
            total_fees=fees,
            trades=n,
            win_rate=(wins / n) if n else None,
            max_drawdown=max(self._money(max_dd), Decimal(0)),
            equity_curve=curve,
        )

    def _realized_between(self, cur: Any, start: date, at: datetime) -> Decimal:
        """Realized P/L of the trades of sessions from ``start`` that exited by ``at``."""
        k = self.codec
        col = "pnl" if self.engine == "postgres" else "pnl_micros"
        where = ["session_date >= ?", "session_date <= ?", "exit_time <= ?"]
        params: list[Any] = [k.day(start), k.day(at.astimezone(NY).date()), k.ts(at)]
        self._scope(where, params)
        cur.execute(f"SELECT SUM({col}) FROM trades WHERE {' AND '.join(where)}", tuple(params))
        r = cur.fetchone()
        return self._money(r[0] if r else None)

    def _base_equity(self, cur: Any, start: date) -> tuple[Decimal, datetime | None]:
        """Equity before the range: the last snapshot before it; else the first one inside
        it, returned with its time so the caller can take the P/L it already holds back
        out of it."""
        k = self.codec
        t0 = datetime.combine(start, time(0), tzinfo=NY)
        where = ""
        params: list[Any] = []
        if self.scope_run_id is not None:
            where = " AND run_id = ?"
            params.append(self.scope_run_id)
        cur.execute(
            f"SELECT equity FROM equity_snapshots WHERE timestamp < ?{where} "
            "ORDER BY timestamp DESC LIMIT 1",
            (k.ts(t0), *params),
        )
        r = cur.fetchone()
        if r is not None:
            return Decimal(str(r[0])), None
        cur.execute(
            f"SELECT equity, timestamp FROM equity_snapshots WHERE timestamp >= ?{where} "
            "ORDER BY timestamp LIMIT 1",
            (k.ts(t0), *params),
        )
        r = cur.fetchone()
        if r is None:
            return Decimal(0), None
        return Decimal(str(r[0])), k.ts_out(r[1])

    # ------------------------------------------------------------ positions
    def open_positions(self) -> list[PositionRow]:
        """The open rows of the position book (``storage/positions.py``), by symbol."""
        from llm_advisor.storage.positions import load_positions

        return load_positions(self.db, self.codec, self.scope_run_id, "open")

    def closed_positions(self, day: date) -> list[PositionRow]:
        """Rows closed during session ``day`` (New York date of the close), by close time."""
        from llm_advisor.storage.positions import load_positions

        d = c.day(day, "date")
        start = datetime.combine(d, time(0), tzinfo=NY)
        end = datetime.combine(d + timedelta(days=1), time(0), tzinfo=NY)
        return load_positions(self.db, self.codec, self.scope_run_id, "closed", start, end)

    # ------------------------------------------------------------ market analysis
    def latest_analysis(self, at: datetime | None = None) -> AnalysisRow | None:
        k = self.codec
        sql = (
            "SELECT timestamp, session_date, provider, model, market_assessment, confidence, "
            "mult_mr_arm, mult_mr_trigger, mult_tc_arm, mult_tc_trigger, reasoning, per_symbol "
            "FROM market_analysis"
        )
        where: list[str] = []
        params: list[Any] = []
        self._scope(where, params)
        if at is not None:
            where.append("timestamp <= ?")
            params.append(k.ts(c.utc(at, "at")))
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._rows(sql + " ORDER BY timestamp DESC, id DESC LIMIT 1", params)
        if not rows:
            return None
        r = rows[0]
        return AnalysisRow(
            timestamp=k.ts_out(r[0]),
            session_date=k.day_out(r[1]),
            provider=r[2],
            model=r[3],
            market_assessment=r[4],
            confidence=r[5],
            mult_mr_arm=r[6],
            mult_mr_trigger=r[7],
            mult_tc_arm=r[8],
            mult_tc_trigger=r[9],
            reasoning=r[10],
            per_symbol=k.json_out(r[11]) or {},
        )

    # ------------------------------------------------------------ signals
    def signals(
        self, start: date, end: date, symbol: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[SignalRow]:
        _range(start, end)
        _page(limit, offset)
        k = self.codec
        where = ["session_date >= ?", "session_date <= ?"]
        params: list[Any] = [k.day(start), k.day(end)]
        if symbol is not None:
            where.append("symbol = ?")
            params.append(c.symbol(symbol, "symbol"))
        self._scope(where, params)
        rows = self._rows(
            _SIGNAL_SELECT
            + " WHERE "
            + " AND ".join(where)
            + " ORDER BY session_date, signal_time, symbol, id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [
            SignalRow(
                signal_time=k.ts_out(r[0]),
                symbol=r[1],
                setup=r[2],
                side=r[3],
                status=r[4],
                reject_reason=r[5],
                z=r[6],
                ref_price=k.dec_out(r[7]),
                stop_price=k.dec_out(r[8]),
                target_price=k.dec_out(r[9]),
                qty=int(r[10]),
                mr_arm_z=r[11],
                mr_trigger_z=r[12],
                tc_arm_z=r[13],
                tc_trigger_z=r[14],
                client_order_id=r[15],
            )
            for r in rows
        ]

    # ------------------------------------------------------------ per-minute log
    def minute_features(self, symbol: str, day: date) -> list[MinuteRow]:
        """A symbol's logged minutes on one session date, oldest first; the scoped run's
        (the account's ``'live'`` when unscoped: minutes of two runs never mix)."""
        from llm_advisor.storage import minute_log

        run = self.scope_run_id or "live"
        return minute_log.symbol_day(self.db, self.codec, run, symbol, day)

    def ping(self) -> bool:
        try:
            rows = self._rows("SELECT 1", [])
        except Exception:
            return False
        return bool(rows) and rows[0][0] == 1
