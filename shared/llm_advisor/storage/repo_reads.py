"""Typed reads of one run's records, as the domain models they were written from.

Replays, parity tests and reports compare these with what the engine produced, so each
returns the model (``Trade``, ``Fill``, ...) in a stable order; the cross-run portfolio
queries are ``queries.py``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from llm_advisor.core.models import (
    Fill,
    Setup,
    Side,
    Signal,
    State,
    Trade,
    Transition,
)
from llm_advisor.storage import writes as w
from llm_advisor.storage.records import (
    LIVE_RUN,
)
from llm_advisor.storage.repo_base import RepositoryBase


class ReadsMixin(RepositoryBase):
    """One run's trades, transitions, fills, signals, equity and quarantined bars."""

    # ------------------------------------------------------------ typed reads per run
    def get_trades(self, run_id: str | None = None) -> list[Trade]:
        run_id = self._run(run_id)
        k = self.codec
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT symbol, setup, side, signal_time, entry_time, entry_price, exit_time, "
                "exit_price, qty, exit_reason, pnl, client_order_id, commission FROM trades "
                "WHERE run_id = ? ORDER BY entry_time, symbol, id",
                (run_id,),
            )
            rows = cur.fetchall()
        return [
            Trade(
                symbol=r[0],
                setup=Setup(r[1]),
                side=Side(r[2]),
                signal_time=k.ts_out(r[3]),
                entry_time=k.ts_out(r[4]),
                entry_price=k.dec_out(r[5]),
                exit_time=k.ts_out(r[6]),
                exit_price=k.dec_out(r[7]),
                qty=int(r[8]),
                exit_reason=r[9],
                pnl=k.dec_out(r[10]),
                client_order_id=r[11],
                commission=k.dec_out(r[12]),
            )
            for r in rows
        ]

    def get_transitions(self, run_id: str | None = None) -> list[Transition]:
        run_id = self._run(run_id)
        k = self.codec
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT timestamp, symbol, old_state, new_state, z, mr_arm_z, mr_trigger_z, "
                "tc_arm_z, tc_trigger_z, reason FROM live_loop_logs WHERE run_id = ? "
                "ORDER BY timestamp, symbol, seq",
                (run_id,),
            )
            rows = cur.fetchall()
        return [
            Transition(
                timestamp=k.ts_out(r[0]),
                symbol=r[1],
                old_state=State(r[2]),
                new_state=State(r[3]),
                z=r[4],
                mr_arm_z=r[5],
                mr_trigger_z=r[6],
                tc_arm_z=r[7],
                tc_trigger_z=r[8],
                reason=r[9],
            )
            for r in rows
        ]

    def get_fills(self, run_id: str | None = None) -> list[Fill]:
        run_id = self._run(run_id)
        k = self.codec
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT client_order_id, symbol, side, qty, price, timestamp, leg, "
                "broker_order_id FROM fills WHERE run_id = ? ORDER BY timestamp, id",
                (run_id,),
            )
            rows = cur.fetchall()
        return [
            Fill(
                client_order_id=r[0],
                symbol=r[1],
                side=r[2],
                qty=int(r[3]),
                price=k.dec_out(r[4]),
                timestamp=k.ts_out(r[5]),
                leg=r[6],
                broker_order_id=r[7],
            )
            for r in rows
        ]

    def get_signals(self, run_id: str | None = None) -> list[Signal]:
        run_id = self._run(run_id)
        k = self.codec
        cols = [col for col in w.SIGNAL_COLS if col not in ("run_id", "session_date")]
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {', '.join(cols)} FROM trade_signals WHERE run_id = ? "
                "ORDER BY signal_time, symbol, id",
                (run_id,),
            )
            rows = cur.fetchall()
        out: list[Signal] = []
        for r in rows:
            d = dict(zip(cols, r, strict=True))
            d["signal_time"] = k.ts_out(d["signal_time"])
            d["equity"] = k.dec_out(d["equity"])
            for f in ("ref_price", "stop_price", "target_price"):
                v = k.dec_out(d[f])
                d[f] = None if v is None else float(v)
            out.append(Signal(**d))
        return out

    def get_equity_curve(self, run_id: str | None = None) -> list[tuple[datetime, Decimal]]:
        run_id = self._run(run_id)
        k = self.codec
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT timestamp, equity FROM equity_snapshots WHERE run_id = ? "
                "ORDER BY timestamp",
                (run_id,),
            )
            rows = cur.fetchall()
        return [(k.ts_out(r[0]), k.dec_out(r[1])) for r in rows]  # type: ignore[misc]

    def get_bar_quarantine(self, run_id: str | None = None) -> list[dict[str, Any]]:
        from llm_advisor.storage import quarantine

        run = run_id or self.scope_run_id or LIVE_RUN
        return quarantine.load_bar_quarantine(self.db, self.codec, run)
