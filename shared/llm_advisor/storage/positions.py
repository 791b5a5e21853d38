"""The position book (table ``position_history``, migration 0007) on both engines.

Why a history and not one row per symbol: the old ``positions`` table (key run_id, symbol)
could only say what is open *now*; a closed position vanished, so nobody could check the
book against the day's trades. Here a row is one holding of a symbol from its opening to
the broker being flat: the position monitor updates the open row every run and closes it
(exit price, time, reason, realized P/L) when the broker no longer holds the symbol.

Idempotent by construction: an open row is found by (run_id, symbol, status='open') and
updated in place (its ``opened_at`` never moves), a new one is inserted on the key
(run_id, symbol, opened_at), and closing touches only open rows. A monitor run repeated in
the same minute therefore writes the same rows again, never new ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from llm_advisor.alpaca.reconcile import ClosedPosition, HeldPosition
from llm_advisor.core.errors import DataError
from llm_advisor.core.ports import PositionRow
from llm_advisor.storage import codec as c
from llm_advisor.storage.codec import Codec
from llm_advisor.storage.db import Cursor, PostgresDatabase, SqliteDatabase

TABLE = "position_history"
SIDES = frozenset({"long", "short"})
SETUPS = frozenset({"MR", "TC"})
REASONS = frozenset({"stop", "target", "eod", "kill_switch", "manual", "unknown"})
# Updated by every run while the position is open (opened_at and the key stay).
_LIVE_COLS = (
    "side", "qty", "entry_price", "current_price", "unrealized_pnl", "stop_price",
    "stop_status", "target_price", "target_status", "client_order_id", "setup", "updated_at",
)  # fmt: skip
_INSERT_COLS = ("run_id", "symbol", "status", "opened_at", *_LIVE_COLS)
_SELECT = (
    "SELECT symbol, side, qty, entry_price, opened_at, current_price, unrealized_pnl, "
    "stop_price, target_price, client_order_id, status, setup, stop_status, target_status, "
    f"closed_at, exit_price, realized_pnl, exit_reason, updated_at FROM {TABLE}"
)


def _price(k: Codec, value: Decimal | None, field: str) -> Any:
    if value is None:
        return None
    d = c.decimal(value, f"{TABLE}.{field}")
    if d <= 0:
        raise DataError(f"{TABLE}.{field}={value!r}: must be > 0")
    return k.dec(d)


def _money(k: Codec, value: Decimal | None, field: str) -> Any:
    return None if value is None else k.dec(c.decimal(value, f"{TABLE}.{field}"))


def _live_row(k: Codec, p: HeldPosition, at: datetime) -> tuple[Any, ...]:
    return (
        c.text(p.side, f"{TABLE}.side", SIDES),
        c.integer(p.qty, f"{TABLE}.qty", minimum=1),
        _price(k, p.entry_price, "entry_price"),
        _price(k, p.current_price, "current_price"),
        _money(k, p.unrealized_pnl, "unrealized_pnl"),
        _price(k, p.stop_price, "stop_price"),
        p.stop_status,
        _price(k, p.target_price, "target_price"),
        p.target_status,
        p.client_order_id,
        None if p.setup is None else c.text(p.setup, f"{TABLE}.setup", SETUPS),
        k.ts(c.utc(at, f"{TABLE}.updated_at")),
    )


def sync_positions(
    db: SqliteDatabase | PostgresDatabase,
    codec: Codec,
    run_id: str,
    held: Sequence[HeldPosition],
    closed: Sequence[ClosedPosition],
    at: datetime,
) -> None:
    """Record what the broker holds now (``held``) and close what it no longer holds, in
    one transaction (a reader never sees a symbol both closed and not yet reopened)."""
    k = codec
    with db.transaction() as cur:
        for gone in closed:
            _close(cur, k, run_id, gone, at)
        cur.execute(
            f"SELECT symbol, id FROM {TABLE} WHERE run_id = ? AND status = 'open'", (run_id,)
        )
        open_ids = {r[0]: r[1] for r in cur.fetchall()}
        sets = ", ".join(f"{col} = ?" for col in _LIVE_COLS)
        for p in held:
            sym = c.symbol(p.symbol, f"{TABLE}.symbol")
            live = _live_row(k, p, at)
            if sym in open_ids:
                cur.execute(f"UPDATE {TABLE} SET {sets} WHERE id = ?", (*live, open_ids[sym]))
                continue
            # A rerun of a day into the same run meets its own closed row again: reopen it.
            reopen = ", ".join(f"{col} = excluded.{col}" for col in ("status", *_LIVE_COLS))
            cur.execute(
                f"INSERT INTO {TABLE} ({', '.join(_INSERT_COLS)}) "
                f"VALUES ({', '.join('?' * len(_INSERT_COLS))}) "
                "ON CONFLICT (run_id, symbol, opened_at) DO UPDATE SET "
                f"{reopen}, closed_at = NULL, exit_price = NULL, realized_pnl = NULL, "
                "exit_reason = NULL",
                (run_id, sym, "open", k.ts(c.utc(p.opened_at, f"{TABLE}.opened_at")), *live),
            )


def _close(cur: Cursor, k: Codec, run_id: str, p: ClosedPosition, at: datetime) -> None:
    cur.execute(
        f"UPDATE {TABLE} SET status = 'closed', closed_at = ?, exit_price = ?, "
        "realized_pnl = ?, exit_reason = ?, qty = COALESCE(?, qty), "
        "entry_price = COALESCE(?, entry_price), unrealized_pnl = NULL, updated_at = ? "
        "WHERE run_id = ? AND symbol = ? AND status = 'open'",
        (
            k.ts(c.utc(p.closed_at, f"{TABLE}.closed_at")),
            _price(k, p.exit_price, "exit_price"),
            _money(k, p.realized_pnl, "realized_pnl"),
            c.text(p.exit_reason, f"{TABLE}.exit_reason", REASONS),
            None if p.qty is None else c.integer(p.qty, f"{TABLE}.qty", minimum=1),
            _price(k, p.entry_price, "entry_price"),
            k.ts(c.utc(at, f"{TABLE}.updated_at")),
            run_id,
            c.symbol(p.symbol, f"{TABLE}.symbol"),
        ),
    )


def delete_open(db: SqliteDatabase | PostgresDatabase, run_id: str, symbol: str) -> bool:
    with db.transaction() as cur:
        cur.execute(
            f"DELETE FROM {TABLE} WHERE run_id = ? AND symbol = ? AND status = 'open'",
            (run_id, c.symbol(symbol, f"{TABLE}.symbol")),
        )
        return cur.rowcount > 0


def load_positions(
    db: SqliteDatabase | PostgresDatabase,
    codec: Codec,
    run_id: str | None,
    status: str,
    closed_from: datetime | None = None,
    closed_to: datetime | None = None,
) -> list[PositionRow]:
    """Open rows by symbol, or the rows closed in [closed_from, closed_to) by close time.
    ``run_id`` None reads every run (the unscoped portfolio view)."""
    k = codec
    where = ["status = ?"]
    params: list[Any] = [status]
    if run_id is not None:
        where.insert(0, "run_id = ?")
        params.insert(0, run_id)
    if closed_from is not None:
        where.append("closed_at >= ?")
        params.append(k.ts(closed_from))
    if closed_to is not None:
        where.append("closed_at < ?")
        params.append(k.ts(closed_to))
    order = "symbol, id" if status == "open" else "closed_at, symbol, id"
    with db.transaction() as cur:
        cur.execute(f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY {order}", tuple(params))
        rows = cur.fetchall()
    return [
        PositionRow(
            symbol=r[0],
            side=r[1],
            qty=int(r[2]),
            entry_price=k.dec_out(r[3]),
            entry_time=k.ts_out(r[4]),
            mark_price=k.dec_out(r[5]),
            unrealized_pnl=k.dec_out(r[6]),
            stop_price=k.dec_out(r[7]),
            target_price=k.dec_out(r[8]),
            client_order_id=r[9],
            status=r[10],
            setup=r[11],
            stop_status=r[12],
            target_status=r[13],
            closed_at=k.ts_out(r[14]),
            exit_price=k.dec_out(r[15]),
            realized_pnl=k.dec_out(r[16]),
            exit_reason=r[17],
            updated_at=k.ts_out(r[18]),
        )
        for r in rows
    ]
