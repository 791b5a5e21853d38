"""Orders and their status history: one row per (run, client_order_id), updated in place,
plus an append-only history that gains a row only when the status changes.

The executor writes plans, the monitor writes the broker's orders and legs, a replay writes
its orders in bulk (``insert_orders``); all of them merge into the same row by key, keeping
the first-known fields (``_ORDER_KEEP``) a later, sparser report lacks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from llm_advisor.core.errors import DataError
from llm_advisor.core.models import (
    TradePlan,
)
from llm_advisor.storage import codec as c
from llm_advisor.storage import writes as w
from llm_advisor.storage.db import Cursor
from llm_advisor.storage.repo_base import RepositoryBase, _insert_sql

# Append a status to an order's history only when it differs from the latest one.
_HISTORY_SQL = (
    "INSERT INTO order_status_history "
    "(run_id, client_order_id, status, filled_qty, filled_avg_price, at, note) "
    "SELECT ?, ?, ?, ?, ?, ?, ? WHERE COALESCE(("
    "SELECT h.status FROM order_status_history h WHERE h.run_id = ? AND h.client_order_id = ? "
    "AND h.at <= ? ORDER BY h.at DESC, h.id DESC LIMIT 1), '') <> ? "
    "ON CONFLICT (run_id, client_order_id, status, at) DO NOTHING"
)


_HISTORY_COLS = (
    "run_id", "client_order_id", "status", "filled_qty", "filled_avg_price", "at", "note",
)  # fmt: skip


class OrdersMixin(RepositoryBase):
    """Write and read orders and their status history."""

    _ORDER_COLS = (
        "run_id", "client_order_id", "broker_order_id", "parent_client_order_id", "leg",
        "symbol", "side", "setup", "qty", "order_type", "order_class", "ref_price",
        "limit_price", "stop_price", "target_price", "status", "filled_qty",
        "filled_avg_price", "signal_time", "session_date", "submitted_at", "updated_at",
    )  # fmt: skip
    _ORDER_KEEP = (
        "broker_order_id", "parent_client_order_id", "setup", "ref_price", "limit_price",
        "stop_price", "target_price", "filled_avg_price", "signal_time", "session_date",
        "submitted_at",
    )  # fmt: skip

    def _order_row(
        self,
        order: Any,
        run_id: str,
        at: datetime,
        status: str | None,
        broker_order_id: str | None,
        parent_client_order_id: str | None,
        leg: str | None,
        cur: Cursor,
    ) -> tuple[Any, ...]:
        t = "orders"
        k = self.codec
        d = w.as_dict(order)
        if (
            isinstance(order, TradePlan)
            or str(getattr(d.get("side"), "value", d.get("side"))) in w.SIDES
        ):
            side = c.text(d.get("side"), f"{t}.side", w.SIDES)
            d = {
                **d,
                "side": "buy" if side == "long" else "sell",
                "order_class": "bracket",
                "order_type": "market",
                "leg": leg or "entry",
            }
        else:  # BrokerOrder-like
            parent_broker = d.get("parent_id")
            if parent_broker and parent_client_order_id is None:
                cur.execute(
                    "SELECT client_order_id FROM orders WHERE broker_order_id = ?",
                    (parent_broker,),
                )
                found = cur.fetchone()
                parent_client_order_id = found[0] if found else None
            d["target_price"] = d.get("target_price")
        ts = c.utc(at, f"{t}.updated_at")
        sig = d.get("signal_time")
        sig_ts = None if sig is None else c.utc(sig, f"{t}.signal_time")
        sess = d.get("session_date")
        filled_avg = d.get("filled_avg_price")
        return (
            run_id,
            c.text(d.get("client_order_id"), f"{t}.client_order_id"),
            broker_order_id or d.get("broker_order_id"),
            parent_client_order_id,
            c.text(leg or d.get("leg") or "entry", f"{t}.leg", w.ORDER_LEGS),
            c.symbol(d.get("symbol"), f"{t}.symbol"),
            c.text(d.get("side"), f"{t}.side", w.ORDER_SIDES),
            None if d.get("setup") is None else c.text(d["setup"], f"{t}.setup", w.SETUPS),
            c.integer(d.get("qty"), f"{t}.qty", minimum=1),
            str(d.get("order_type") or "market"),
            str(d.get("order_class") or "bracket"),
            w._opt_price(k, d, t, "ref_price"),
            w._opt_price(k, d, t, "limit_price"),
            w._opt_price(k, d, t, "stop_price"),
            w._opt_price(k, d, t, "target_price"),
            c.text(status or d.get("status") or "new", f"{t}.status"),
            c.integer(d.get("filled_qty", 0) or 0, f"{t}.filled_qty", minimum=0),
            None if filled_avg is None else k.dec(c.decimal(filled_avg, f"{t}.filled_avg_price")),
            k.ts(sig_ts),
            k.day(None if sess is None else c.day(sess, f"{t}.session_date")),
            k.ts(
                None
                if d.get("submitted_at") is None
                else c.utc(d["submitted_at"], f"{t}.submitted_at")
            ),
            k.ts(ts),
        )

    def upsert_order(
        self,
        order: TradePlan | Any,
        *,
        at: datetime,
        run_id: str | None = None,
        status: str | None = None,
        broker_order_id: str | None = None,
        parent_client_order_id: str | None = None,
        leg: str | None = None,
    ) -> None:
        """Insert or update an order (a ``TradePlan``, a ``BrokerOrder`` or a mapping) and
        append its status to the history when it changed."""
        run_id = self._run(run_id)
        with self.db.transaction() as cur:
            self._upsert_orders(
                cur,
                [(order, status, broker_order_id, parent_client_order_id, leg)],
                run_id,
                at,
            )

    def _upsert_orders(
        self,
        cur: Cursor,
        items: Sequence[tuple[Any, str | None, str | None, str | None, str | None]],
        run_id: str,
        at: datetime,
    ) -> None:
        rows = [self._order_row(o, run_id, at, s, b, p, lg, cur) for o, s, b, p, lg in items]
        cur.executemany(
            _insert_sql(
                "orders",
                self._ORDER_COLS,
                ("run_id", "client_order_id"),
                True,
                keep_existing=self._ORDER_KEEP,
            ),
            rows,
        )
        # a status is new unless it equals the latest one recorded at or before its time (a
        # rerun of the same day must not append what the first run already recorded later)
        hist = [
            (r[0], r[1], r[15], r[16], r[17], r[21], "", r[0], r[1], r[21], r[15]) for r in rows
        ]
        cur.executemany(_HISTORY_SQL, hist)

    def insert_orders(
        self,
        cur: Cursor,
        orders: Sequence[Mapping[str, Any]],
        history: Sequence[tuple[str, str, int, Decimal | None, datetime]],
        run_id: str,
        new_run: bool = False,
    ) -> None:
        """Bulk write of orders (mappings with every orders column) and their history rows
        ``(client_order_id, status, filled_qty, filled_avg_price, at)``; used by replay.
        ``new_run``: the run holds no orders yet (``record_replay``), so distinct keys are
        inserted as they are (``insert_new_rows``) instead of merged into stored rows."""
        rows = [
            self._order_row(
                o,
                run_id,
                o["updated_at"],
                o.get("status"),
                o.get("broker_order_id"),
                o.get("parent_client_order_id"),
                o.get("leg"),
                cur,
            )
            for o in orders
        ]
        k = self.codec
        hist = [
            (
                run_id,
                coid,
                status,
                c.integer(qty, "order_status_history.filled_qty", minimum=0),
                k.dec(price),
                k.ts(c.utc(at, "order_status_history.at")),
                "",
            )
            for coid, status, qty, price, at in history
        ]
        if (
            new_run
            and len({r[1] for r in rows}) == len(rows)
            and len({(h[1], h[2], h[5]) for h in hist}) == len(hist)
        ):
            self.insert_new_rows(cur, "orders", self._ORDER_COLS, rows)
            self.insert_new_rows(cur, "order_status_history", _HISTORY_COLS, hist)
            return
        sql = _insert_sql(
            "orders", self._ORDER_COLS, ("run_id", "client_order_id"), True, self._ORDER_KEEP
        )
        if rows:
            cur.executemany(sql, rows)
        if hist:
            cur.executemany(
                f"INSERT INTO order_status_history ({', '.join(_HISTORY_COLS)}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (run_id, client_order_id, status, at) DO NOTHING",
                hist,
            )

    def record_order_status(
        self,
        client_order_id: str,
        status: str,
        at: datetime,
        filled_qty: int | None = None,
        filled_avg_price: Decimal | float | None = None,
        note: str = "",
        run_id: str | None = None,
    ) -> None:
        run_id = self._run(run_id)
        t = "orders"
        k = self.codec
        ts = k.ts(c.utc(at, f"{t}.at"))
        fq = None if filled_qty is None else c.integer(filled_qty, f"{t}.filled_qty", minimum=0)
        fap = (
            None
            if filled_avg_price is None
            else k.dec(c.decimal(filled_avg_price, f"{t}.filled_avg_price"))
        )
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE orders SET status = ?, filled_qty = COALESCE(?, filled_qty), "
                "filled_avg_price = COALESCE(?, filled_avg_price), updated_at = ? "
                "WHERE run_id = ? AND client_order_id = ?",
                (c.text(status, f"{t}.status"), fq, fap, ts, run_id, client_order_id),
            )
            if cur.rowcount == 0:
                raise DataError(
                    f"orders.client_order_id={client_order_id!r}: unknown order (run {run_id!r})"
                )
            cur.execute(
                _HISTORY_SQL,
                (
                    run_id,
                    client_order_id,
                    status,
                    fq or 0,
                    fap,
                    ts,
                    note,
                    run_id,
                    client_order_id,
                    ts,
                    status,
                ),
            )

    def get_order(self, client_order_id: str, run_id: str | None = None) -> dict[str, Any] | None:
        run_id = self._run(run_id)
        k = self.codec
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {', '.join(self._ORDER_COLS)} FROM orders "
                "WHERE run_id = ? AND client_order_id = ?",
                (run_id, client_order_id),
            )
            r = cur.fetchone()
            if r is None:
                return None
            cur.execute(
                "SELECT status, filled_qty, at FROM order_status_history "
                "WHERE run_id = ? AND client_order_id = ? ORDER BY at, id",
                (run_id, client_order_id),
            )
            hist = cur.fetchall()
        d = dict(zip(self._ORDER_COLS, r, strict=True))
        for f in ("ref_price", "limit_price", "stop_price", "target_price", "filled_avg_price"):
            d[f] = k.dec_out(d[f])
        for f in ("signal_time", "submitted_at", "updated_at"):
            d[f] = k.ts_out(d[f])
        d["session_date"] = k.day_out(d["session_date"])
        d["history"] = [(h[0], int(h[1]), k.ts_out(h[2])) for h in hist]
        return d

    def child_orders(self, parent_client_order_id: str, run_id: str | None = None) -> list[str]:
        run_id = self._run(run_id)
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT client_order_id FROM orders WHERE run_id = ? "
                "AND parent_client_order_id = ? ORDER BY client_order_id",
                (run_id, parent_client_order_id),
            )
            return [r[0] for r in cur.fetchall()]
