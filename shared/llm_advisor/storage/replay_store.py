"""Persist a replay run and recompute its summary from the database alone.

``record_replay`` replaces a run atomically (delete every row of ``run_id``, insert the new
ones, one transaction), so recording the same run twice never duplicates anything and a
crash mid-way leaves the previous copy intact. Because the run is empty once deleted, its
big tables (transitions, signals, orders) are bulk-inserted rather than upserted
(``Repository.insert_new_rows``: binary COPY on PostgreSQL), which is what lets a
500-symbol x 20-session run (~112k transitions) be stored in about a second instead of two.

``summary_from_db`` reads back only what was stored and runs the replay's own summary
function over it, which is how "the database equals the CSV outputs to the cent" is checked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from importlib import metadata
from operator import itemgetter
from typing import Any

from llm_advisor.core.calendar import sessions_between
from llm_advisor.core.clock import Clock, SystemClock
from llm_advisor.core.errors import DataError
from llm_advisor.core.gc_pause import gc_paused
from llm_advisor.core.models import Fill, TradePlan
from llm_advisor.core.money import to_decimal
from llm_advisor.storage import codec as c
from llm_advisor.storage import writes as w
from llm_advisor.storage.records import RunKind, RunRecord
from llm_advisor.storage.repository import _COPY_MIN_ROWS, Repository


def _config_json(config: Any) -> dict[str, Any]:
    if hasattr(config, "model_dump"):
        out: dict[str, Any] = config.model_dump(mode="json")
        return out
    return dict(config or {})


def _config_hash(config: Any, data: dict[str, Any]) -> str:
    fn = getattr(config, "config_hash", None)
    if callable(fn):
        return str(fn())
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def code_version() -> str:
    try:
        return metadata.version("llm-advisor")
    except metadata.PackageNotFoundError:
        return "unknown"


def _symbols(result: Any) -> list[str]:
    syms = list(getattr(result, "symbols", None) or [])
    if not syms:
        seen = {t.symbol for t in result.trades} | {s.symbol for s in result.signals}
        syms = sorted(seen)
    return syms


def _order_rows(
    plans: Sequence[TradePlan], fills: Sequence[Fill], cancelled: Sequence[str]
) -> tuple[list[dict[str, Any]], list[tuple[str, str, int, Decimal | None, datetime]]]:
    """Orders implied by the plans (entry + bracket legs) and their status history."""
    by_order: dict[str, list[Fill]] = {}
    for f in fills:
        by_order.setdefault(f.client_order_id, []).append(f)
    orders: list[dict[str, Any]] = []
    history: list[tuple[str, str, int, Decimal | None, datetime]] = []
    for p in plans:
        coid = p.client_order_id
        own = by_order.get(coid, [])
        entry_fills = [f for f in own if f.leg == "entry"]
        exit_fills = [f for f in own if f.leg != "entry"]
        entry_side = "buy" if p.side.value == "long" else "sell"
        exit_side = "sell" if entry_side == "buy" else "buy"
        filled = sum(f.qty for f in entry_fills)
        avg = _avg(entry_fills)
        status = "filled" if filled else "canceled"
        orders.append(
            {
                "client_order_id": coid,
                "parent_client_order_id": None,
                "leg": "entry",
                "symbol": p.symbol,
                "side": entry_side,
                "setup": p.setup.value,
                "qty": p.qty,
                "order_type": "market",
                "order_class": "bracket",
                "ref_price": to_decimal(p.ref_price),
                "stop_price": to_decimal(p.stop_price),
                "target_price": to_decimal(p.target_price),
                "limit_price": None,
                "status": status,
                "filled_qty": filled,
                "filled_avg_price": avg,
                "signal_time": p.signal_time,
                "session_date": p.session_date,
                "submitted_at": p.signal_time,
                "updated_at": entry_fills[-1].timestamp if entry_fills else p.signal_time,
            }
        )
        history.append((coid, "new", 0, None, p.signal_time))
        if entry_fills:
            history.append((coid, "filled", filled, avg, entry_fills[-1].timestamp))
        else:
            history.append((coid, "canceled", 0, None, p.signal_time))
        # Bracket legs (stop, target) always exist once the entry fills; an EOD or
        # kill-switch exit is its own market order. The leg that filled is 'filled'.
        legs = {"stop", "target"} | {f.leg for f in exit_fills}
        if not entry_fills:
            continue
        for leg in sorted(legs):
            leg_fills = [f for f in exit_fills if f.leg == leg]
            leg_id = f"{coid}-{leg}"
            leg_qty = sum(f.qty for f in leg_fills)
            leg_avg = _avg(leg_fills)
            done_at = leg_fills[-1].timestamp if leg_fills else None
            any_exit = exit_fills[-1].timestamp if exit_fills else entry_fills[-1].timestamp
            orders.append(
                {
                    "client_order_id": leg_id,
                    "parent_client_order_id": coid,
                    "leg": leg,
                    "symbol": p.symbol,
                    "side": exit_side,
                    "setup": p.setup.value,
                    "qty": p.qty,
                    "order_type": {"stop": "stop", "target": "limit"}.get(leg, "market"),
                    "order_class": "bracket" if leg in ("stop", "target") else "simple",
                    "ref_price": None,
                    "stop_price": to_decimal(p.stop_price) if leg == "stop" else None,
                    "target_price": to_decimal(p.target_price) if leg == "target" else None,
                    "limit_price": to_decimal(p.target_price) if leg == "target" else None,
                    "status": "filled" if leg_fills else "canceled",
                    "filled_qty": leg_qty,
                    "filled_avg_price": leg_avg,
                    "signal_time": p.signal_time,
                    "session_date": p.session_date,
                    "submitted_at": entry_fills[-1].timestamp,
                    "updated_at": done_at or any_exit,
                }
            )
            history.append((leg_id, "new", 0, None, entry_fills[-1].timestamp))
            if leg_fills:
                history.append((leg_id, "filled", leg_qty, leg_avg, done_at or any_exit))
            else:
                history.append((leg_id, "canceled", 0, None, any_exit))
    return orders, history


def _avg(fills: Sequence[Fill]) -> Decimal | None:
    qty = sum(f.qty for f in fills)
    if not qty:
        return None
    return sum((f.price * f.qty for f in fills), Decimal(0)) / qty


def _label(result: Any, start: date | None, end: date | None) -> str:
    """A readable name for the run picker: analyst and date range."""
    analyst = str(getattr(result, "analyst", "") or "replay")
    validator = str(getattr(result, "validator", "") or "")
    if validator:
        analyst = f"{analyst} +validator {validator}"
    span = f"{start}..{end}" if start and end and start != end else str(start or end or "")
    return f"replay {analyst} {span}".strip()


def record_replay(
    repo: Repository,
    result: Any,
    clock: Clock | None = None,
    kind: RunKind = "replay",
    label: str | None = None,
) -> str:
    """Store a ``ReplayResult`` under its ``run_id`` (replacing any earlier copy).

    ``kind`` is ``replay`` (or ``sweep`` for one point of a parameter sweep): a backtest,
    which the API never mixes into the account's view."""
    if kind not in ("replay", "sweep"):
        raise DataError(f"runs.kind={kind!r}: a replay is stored as 'replay' or 'sweep'")
    run_id = str(getattr(result, "run_id", "") or "")
    if not run_id:
        raise DataError("runs.run_id='': a replay result needs a run_id")
    config = getattr(result, "config", None)
    cfg = _config_json(config)
    sessions: list[date] = list(getattr(result, "sessions", None) or [])
    start = getattr(result, "start", None) or (sessions[0] if sessions else None)
    end = getattr(result, "end", None) or (sessions[-1] if sessions else None)
    run = RunRecord(
        run_id=run_id,
        mode="replay",
        kind=kind,
        label=label if label is not None else _label(result, start, end),
        config_hash=_config_hash(config, cfg),
        config=cfg,
        code_version=code_version(),
        start_date=start,
        end_date=end,
        symbols=_symbols(result),
        summary=json.loads(c.dumps(getattr(result, "summary", None) or {})),
        created_at=(clock or SystemClock()).now(),
    )
    # Encoded before the write lock is taken, with the collector paused (``gc_paused``).
    with gc_paused():
        signals = _unique_signals(
            w.signal_rows(repo.codec, run_id, result.signals), repo.engine == "postgres"
        )
        transitions = w.transition_rows(repo.codec, run_id, result.transitions)
        orders, history = _order_rows(
            result.plans, result.fills, list(getattr(result, "cancelled", None) or [])
        )
        with repo.db.transaction() as cur:
            repo.delete_run(run_id, cur)
            repo.save_run(run)
            # the run holds none of these keys now; writes.py checked every CHECK'd column
            for table, cols, rows in (
                ("trade_signals", w.SIGNAL_COLS, signals),
                ("live_loop_logs", w.TRANSITION_COLS, transitions),
            ):
                repo.insert_new_rows(cur, table, cols, rows, checks=False)
            repo.save_validations(getattr(result, "validations", None) or [], run_id=run_id)
            repo.save_trades(result.trades, run_id=run_id)
            repo.save_fills(result.fills, run_id=run_id)
            repo.save_equity_snapshots(result.equity_curve, run_id=run_id)
            repo.insert_orders(cur, orders, history, run_id, new_run=True)
    return run_id


_SIGNAL_KEY = itemgetter(3, 1, 4, 5)  # (symbol, signal_time, setup, side) of a SIGNAL_COLS row


def _unique_signals(rows: list[tuple[Any, ...]], pg: bool) -> list[tuple[Any, ...]]:
    """One row per signal key, as the upsert it replaces stored them: a repeated key keeps
    its first row's place and takes its last row's values. On PostgreSQL from
    ``_COPY_MIN_ROWS`` rows in key order: the order in which the staged ``INSERT ... SELECT
    DISTINCT ON (key) ... ORDER BY key`` numbered them (the ids that break ties)."""
    keys = list(map(_SIGNAL_KEY, rows))
    if len(set(keys)) != len(rows):
        place: dict[tuple[Any, ...], int] = {}
        out: list[tuple[Any, ...]] = []
        for key, row in zip(keys, rows, strict=True):
            if key in place:
                out[place[key]] = row
            else:
                place[key] = len(out)
                out.append(row)
        rows = out
    return sorted(rows, key=_SIGNAL_KEY) if pg and len(rows) >= _COPY_MIN_ROWS else rows


def summary_from_db(repo: Repository, run_id: str) -> dict[str, Any]:
    """The run's summary recomputed from stored trades and signals only."""
    from llm_advisor.replay.summary import summarize  # the replay's own definition

    run = repo.get_run(run_id)
    if run is None:
        raise DataError(f"runs.run_id={run_id!r}: no such run")
    start_equity = to_decimal(run.config.get("starting_equity", 100_000.0))
    sessions = 0
    if run.start_date and run.end_date:
        sessions = len(sessions_between(run.start_date, run.end_date))
    return summarize(repo.get_trades(run_id), repo.get_signals(run_id), start_equity, sessions)
