"""What trading produced: the engine's transitions and per-minute rows, signals, trades
(with the P/L rollup), fills, equity points, the position book and quarantined bars.

These are the hot-path writes (one batch per tick, per monitor run or per replay), all
idempotent by natural key so a retried Lambda or a rerun adds nothing. ``stored_fills`` is
the monitor's read of what is already stored, so it stores each execution once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from llm_advisor.alpaca.reconcile import ClosedPosition, HeldPosition
from llm_advisor.core.models import (
    Fill,
    Position,
    Signal,
    Trade,
    Transition,
)
from llm_advisor.storage import codec as c
from llm_advisor.storage import pnl_rollup
from llm_advisor.storage import writes as w
from llm_advisor.storage.db import Cursor
from llm_advisor.storage.records import (
    LIVE_RUN,
    EquitySnapshot,
)
from llm_advisor.storage.repo_base import RepositoryBase, _placeholders


class TradingMixin(RepositoryBase):
    """Transitions, minute log, signals, trades, fills, equity and positions."""

    # ------------------------------------------------------------ engine events
    def save_transitions(
        self, transitions: Iterable[Transition | Mapping[str, Any]], run_id: str | None = None
    ) -> int:
        """Hot path: one batch per tick (or per replay); duplicates of a retried tick ignored."""
        run_id = self._run(run_id)
        rows = w.transition_rows(self.codec, run_id, transitions)
        with self.db.transaction() as cur:
            self._write_many(
                cur,
                "live_loop_logs",
                w.TRANSITION_COLS,
                ("run_id", "symbol", "timestamp", "seq"),
                rows,
                update=False,
            )
        return len(rows)

    def save_minute_log(self, minutes: Iterable[Any], run_id: str | None = None) -> int:
        """The tick's per-minute rows (``storage/minute_log.py``): one transaction per tick,
        COPY on PostgreSQL from 500 rows; a rerun of the tick inserts nothing new."""
        from llm_advisor.storage import minute_log as ml

        rows = ml.minute_rows(self.codec, self._run(run_id), minutes)
        if rows:
            with self.db.transaction() as cur:
                self._write_many(cur, ml.TABLE, ml.COLS, ml.KEY, rows, update=False)
        return len(rows)

    def prune_minute_log(self, before: datetime, run_id: str | None = None) -> int:
        """Delete this run's per-minute rows older than ``before`` (bounded batches)."""
        from llm_advisor.storage import minute_log as ml

        return ml.prune(self.db, self.codec, self._run(run_id), before)

    def save_signals(
        self, signals: Iterable[Signal | Mapping[str, Any]], run_id: str | None = None
    ) -> int:
        run_id = self._run(run_id)
        rows = w.signal_rows(self.codec, run_id, signals)
        with self.db.transaction() as cur:
            self._write_many(
                cur,
                "trade_signals",
                w.SIGNAL_COLS,
                ("run_id", "symbol", "signal_time", "setup", "side"),
                rows,
            )
        return len(rows)

    def save_trades(
        self, trades: Iterable[Trade | Mapping[str, Any]], run_id: str | None = None
    ) -> int:
        run_id = self._run(run_id)
        rows = [w.trade_row(self.codec, run_id, t) for t in trades]
        cols = (
            w.TRADE_COLS
            if self.engine == "postgres"
            else (*w.TRADE_COLS, "pnl_micros", "commission_micros")
        )
        with self.db.transaction() as cur:
            pnl_rollup.lock(cur, self.engine)  # before the insert: see pnl_rollup
            days = {r[1] for r in rows} | self._trade_days(cur, run_id, [r[14] for r in rows])
            self._write_many(cur, "trades", cols, ("run_id", "client_order_id"), rows)
            pnl_rollup.refresh(cur, self.engine, days, [run_id])
        return len(rows)

    def _trade_days(self, cur: Cursor, run_id: str, client_order_ids: Sequence[str]) -> set[Any]:
        """Stored session dates of these trades: a corrected trade may move to another day,
        whose rollup row must be refreshed too."""
        out: set[Any] = set()
        for i in range(0, len(client_order_ids), 500):
            chunk = client_order_ids[i : i + 500]
            cur.execute(
                "SELECT DISTINCT session_date FROM trades WHERE run_id = ? "
                f"AND client_order_id IN ({_placeholders(len(chunk))})",
                (run_id, *chunk),
            )
            out.update(r[0] for r in cur.fetchall())
        return out

    def save_fills(
        self, fills: Iterable[Fill | Mapping[str, Any]], run_id: str | None = None
    ) -> int:
        run_id = self._run(run_id)
        rows = [w.fill_row(self.codec, run_id, f) for f in fills]
        with self.db.transaction() as cur:
            self._write_many(
                cur,
                "fills",
                w.FILL_COLS,
                ("run_id", "client_order_id", "leg", "timestamp", "qty", "price"),
                rows,
                update=False,
            )
        return len(rows)

    def stored_fills(
        self, keys: Sequence[tuple[str, str]], run_id: str | None = None
    ) -> dict[tuple[str, str], tuple[int, Decimal]]:
        """Qty and notional already stored per ``(client_order_id, leg)``: the monitor
        stores only the difference to the broker's cumulative fill (``execution/monitor``).
        Summed here in ``Decimal`` (SQLite keeps prices as text), so the notional is exact."""
        run_id = self._run(run_id)
        wanted = set(keys)
        ids = sorted({cid for cid, _ in wanted})
        out: dict[tuple[str, str], tuple[int, Decimal]] = {}
        with self.db.transaction() as cur:
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                cur.execute(
                    "SELECT client_order_id, leg, qty, price FROM fills WHERE run_id = ? "
                    f"AND client_order_id IN ({_placeholders(len(chunk))})",
                    (run_id, *chunk),
                )
                for cid, leg, qty, price in cur.fetchall():
                    if (cid, leg) not in wanted:
                        continue
                    have_qty, have_notional = out.get((cid, leg), (0, Decimal(0)))
                    p = price if isinstance(price, Decimal) else Decimal(price)  # text on SQLite
                    out[(cid, leg)] = (have_qty + int(qty), have_notional + int(qty) * p)
        return out

    def save_equity_snapshots(
        self,
        points: Iterable[EquitySnapshot | tuple[datetime, Decimal] | Mapping[str, Any]],
        run_id: str | None = None,
    ) -> int:
        run_id = self._run(run_id)
        t = "equity_snapshots"
        k = self.codec
        rows: list[tuple[Any, ...]] = []
        for p in points:
            d = {"timestamp": p[0], "equity": p[1]} if isinstance(p, tuple) else w.as_dict(p)
            rows.append(
                (
                    run_id,
                    k.ts(c.utc(d.get("timestamp"), f"{t}.timestamp")),
                    k.dec(c.decimal(d.get("equity"), f"{t}.equity")),
                    *(
                        None if d.get(f) is None else k.dec(c.decimal(d[f], f"{t}.{f}"))
                        for f in ("cash", "realized_pnl", "unrealized_pnl")
                    ),
                )
            )
        cols = ("run_id", "timestamp", "equity", "cash", "realized_pnl", "unrealized_pnl")
        with self.db.transaction() as cur:
            self._write_many(cur, t, cols, ("run_id", "timestamp"), rows)
        return len(rows)

    # ------------------------------------------------------------ positions
    def sync_positions(
        self,
        held: Sequence[HeldPosition],
        closed: Sequence[ClosedPosition],
        at: datetime,
        run_id: str | None = None,
    ) -> None:
        """The position monitor's book: open/update what the broker holds, close the rest
        (``storage/positions.py``; the 0001 ``positions`` table is deprecated)."""
        from llm_advisor.storage import positions

        positions.sync_positions(self.db, self.codec, self._run(run_id), held, closed, at)

    def upsert_position(
        self, position: Position | Mapping[str, Any], at: datetime, run_id: str | None = None
    ) -> None:
        """One open position into the book (seeding and tests; the monitor uses
        ``sync_positions``). The unrealized P/L is derived from ``mark_price``."""
        t = "positions"
        d = w.as_dict(position)
        side = c.text(d.get("side"), f"{t}.side", w.SIDES)
        qty = c.integer(d.get("qty"), f"{t}.qty", minimum=1)
        entry = c.decimal(d.get("entry_price"), f"{t}.entry_price")
        mark = None if d.get("mark_price") is None else c.decimal(d["mark_price"], f"{t}.mark")
        sign = 1 if side == "long" else -1
        held = HeldPosition(
            symbol=c.symbol(d.get("symbol"), f"{t}.symbol"),
            side="long" if side == "long" else "short",
            qty=qty,
            entry_price=entry,
            opened_at=c.utc(d.get("entry_time"), f"{t}.entry_time"),
            current_price=mark,
            unrealized_pnl=None if mark is None else (mark - entry) * qty * sign,
            stop_price=None if d.get("stop_price") is None else c.decimal(d["stop_price"], t),
            stop_status=None,
            target_price=None if d.get("target_price") is None else c.decimal(d["target_price"], t),
            target_status=None,
            client_order_id=c.text(d.get("client_order_id"), f"{t}.client_order_id"),
            setup=None if d.get("setup") is None else c.text(d["setup"], f"{t}.setup", w.SETUPS),
        )
        self.sync_positions([held], [], at, run_id)

    def delete_position(self, symbol: str, run_id: str | None = None) -> bool:
        """Forget an open position without closing it (a record written in error)."""
        from llm_advisor.storage import positions

        return positions.delete_open(self.db, self._run(run_id), symbol)

    # ------------------------------------------------------------ bar quarantine
    def save_bar_quarantine(
        self, rejects: Iterable[Any], recorded_at: datetime, run_id: str | None = None
    ) -> int:
        """Live bars the tick refused or got too late (``storage/quarantine.py``)."""
        from llm_advisor.storage import quarantine

        run = run_id or self.scope_run_id or LIVE_RUN
        return quarantine.save_bar_quarantine(self.db, self.codec, run, rejects, recorded_at)
