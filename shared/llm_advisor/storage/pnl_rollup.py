"""Per-day P/L rollup: what makes a year-long P/L report read ~252 rows instead of every trade.

The report's maximum drawdown is defined per trade (peak-to-trough of cumulative realized
P/L in exit order), so daily sums alone cannot give it. Each day therefore also keeps the
three numbers that let days be chained exactly: the highest and lowest point of the day's
own cumulative P/L (``max_cum >= 0``, ``min_cum <= 0``, the empty prefix counting as 0) and
the largest fall inside the day (``max_dd``). ``chain_drawdown`` folds them in date order
and equals the per-trade walk, because a position never crosses a session (a trade's exit
falls on its ``session_date`` in New York).

Two tables: ``daily_pnl`` per (run_id, session_date) for scoped reports and
``daily_pnl_all`` per session_date for the unscoped report, whose trades of every run
interleave in exit order. The portfolio API never reads ``daily_pnl_all``: it always scopes
to one run, so a replay's trades never reach the account's figures. The repository
refreshes the touched days inside the same transaction as every trade write and delete
(``refresh``); trades written behind its back need ``Repository.rebuild_pnl_rollup()``.
On PostgreSQL refreshers serialize on an advisory lock so two concurrent writers cannot
each recompute a day without the other's trade.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from llm_advisor.storage.db import Cursor

ROLLUP_LOCK_KEY = 7_316_002  # pg_advisory_xact_lock key (migrations use 7_316_001)
_CHUNK = 500  # days per statement (bind-parameter limits)

ROLLUP_COLS = ("realized", "fees", "trades", "wins", "last_exit", "max_cum", "min_cum", "max_dd")

N = TypeVar("N", int, Decimal)


def refresh_sql(engine: str, per_run: bool, where: str) -> str:
    """INSERT ... SELECT of the rollup rows of the trades matching ``where``.

    The same text (with ``where`` = ``TRUE``/``1``) is the backfill in migration 0004.
    """
    pg = engine == "postgres"
    pnl, fee = ("pnl", "commission") if pg else ("pnl_micros", "commission_micros")
    hi, lo = ("GREATEST", "LEAST") if pg else ("MAX", "MIN")
    key = "run_id, session_date" if per_run else "session_date"
    table = "daily_pnl" if per_run else "daily_pnl_all"
    window = f"PARTITION BY {key} ORDER BY exit_time, id ROWS UNBOUNDED PRECEDING"
    return (
        f"INSERT INTO {table} ({key}, {', '.join(ROLLUP_COLS)}) "
        f"SELECT {key}, SUM(p), SUM(f), COUNT(*), SUM(CASE WHEN p > 0 THEN 1 ELSE 0 END), "
        f"MAX(exit_time), MAX({hi}(cum, 0)), MIN({lo}(cum, 0)), MAX({hi}(peak, 0) - cum) "
        f"FROM (SELECT {key}, p, f, exit_time, cum, MAX(cum) OVER ({window}) AS peak "
        f"FROM (SELECT {key}, id, exit_time, {pnl} AS p, {fee} AS f, "
        f"SUM({pnl}) OVER ({window}) AS cum FROM trades WHERE {where}) AS a) AS b "
        f"GROUP BY {key}"
    )


def lock(cur: Cursor, engine: str) -> None:
    """Serialize rollup refreshes (PostgreSQL; SQLite writers are serialized already)."""
    if engine == "postgres":
        cur.execute("SELECT pg_advisory_xact_lock(?)", (ROLLUP_LOCK_KEY,))


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def refresh(cur: Cursor, engine: str, days: Iterable[Any], run_ids: Iterable[str] = ()) -> None:
    """Recompute the rollup rows of ``days`` (encoded session dates) for each of ``run_ids``
    and for all runs; a day left without trades loses its row."""
    todo = sorted(set(days))
    if not todo:
        return
    runs = sorted(set(run_ids))
    for chunk in _chunks(todo):
        marks = ", ".join("?" * len(chunk))
        for run_id in runs:
            cur.execute(
                f"DELETE FROM daily_pnl WHERE run_id = ? AND session_date IN ({marks})",
                (run_id, *chunk),
            )
            cur.execute(
                refresh_sql(engine, True, f"run_id = ? AND session_date IN ({marks})"),
                (run_id, *chunk),
            )
        cur.execute(f"DELETE FROM daily_pnl_all WHERE session_date IN ({marks})", tuple(chunk))
        cur.execute(refresh_sql(engine, False, f"session_date IN ({marks})"), tuple(chunk))


def rebuild(cur: Cursor, engine: str) -> None:
    """Recompute both rollup tables from every trade (repair after out-of-band writes)."""
    cur.execute("DELETE FROM daily_pnl")
    cur.execute("DELETE FROM daily_pnl_all")
    cur.execute(refresh_sql(engine, True, "1 = 1"))
    cur.execute(refresh_sql(engine, False, "1 = 1"))


def chain_drawdown(days: Iterable[tuple[N, N, N, N]], zero: N) -> N:
    """Max drawdown over days in date order, each ``(realized, max_cum, min_cum, max_dd)``.

    The peak starts at 0 (the range's first trade may already be a loss). Within a day, a
    point's fall is measured either from the peak before the day (``peak - cum - min_cum``
    at the day's low) or from a higher point inside the day (``max_dd``).
    """
    peak = cum = dd = zero
    for realized, max_cum, min_cum, max_dd in days:
        dd = max(dd, peak - (cum + min_cum), max_dd)
        peak = max(peak, cum + max_cum)
        cum += realized
    return dd
