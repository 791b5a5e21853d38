"""The per-minute log: one row per symbol and processed minute of the live tick.

Why a table of its own: ``live_loop_logs`` records transitions only, so the minutes in
between (where z drifted towards a threshold without crossing it) leave no trace. This
table keeps them compactly (real columns, the state as its engine code, the key as the
table) so a trader can chart a symbol's day afterwards (``GET /api/features``).

Writes come as the engine's ``MinuteFeatures`` arrays and go in one batch per tick
(``executemany``; PostgreSQL COPY from 500 rows on, see ``Repository._write_many``); the
key (run_id, symbol, timestamp) makes a rerun of a tick insert nothing new. ``prune``
bounds the table to ``minute_log_retention_days`` (docs/storage.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import repeat
from typing import TYPE_CHECKING, Any

import numpy as np

from llm_advisor.core.calendar import NY
from llm_advisor.core.errors import DataError
from llm_advisor.storage import codec as c
from llm_advisor.storage.codec import Codec

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from llm_advisor.live.engine import MinuteFeatures
    from llm_advisor.storage.db import PostgresDatabase, SqliteDatabase

TABLE = "live_loop_minutes"
COLS = (
    "run_id", "symbol", "timestamp", "close", "z", "mu", "sigma", "atr_5m", "state", "side",
    "mr_arm_z", "mr_trigger_z", "tc_arm_z", "tc_trigger_z",
)  # fmt: skip
KEY = ("run_id", "symbol", "timestamp")
# The engine's state codes (``live.engine.STATE_NAMES`` order), stored as small integers.
STATE_CODES = ("idle", "mr_armed", "tc_armed", "tc_pullback", "in_position", "cooldown", "done")
# Retention deletes at most PRUNE_BATCH rows per statement (one short transaction each) and
# PRUNE_MAX_BATCHES statements per call: 500k rows, 2.5 days of 500 symbols, so a backlog
# drains within days while one session end never deletes for long.
PRUNE_BATCH = 100_000
PRUNE_MAX_BATCHES = 5


@dataclass(frozen=True)
class MinuteRow:
    """One stored minute of one symbol (the read side)."""

    timestamp: datetime
    symbol: str
    close: float
    z: float | None
    mu: float | None
    sigma: float | None
    atr_5m: float | None
    state: str
    side: int
    mr_arm_z: float
    mr_trigger_z: float
    tc_arm_z: float
    tc_trigger_z: float


def _nullable(a: NDArray[np.float64]) -> list[float | None]:
    """NaN (an undefined feature) as NULL; the all-finite minute skips the per-value walk."""
    values: list[float | None] = a.tolist()
    if bool(np.isfinite(a).all()):
        return values
    return [v if v is not None and math.isfinite(v) else None for v in values]


def minute_rows(
    codec: Codec, run_id: str, minutes: Iterable[MinuteFeatures]
) -> list[tuple[Any, ...]]:
    """Column tuples of a batch of minutes, built column-wise from the arrays."""
    out: list[tuple[Any, ...]] = []
    for m in minutes:
        ts = codec.ts(c.utc(m.minute, f"{TABLE}.timestamp"))
        if not bool(np.isfinite(m.close).all()):
            raise DataError(f"{TABLE}.close={m.close.tolist()!r}: not all finite")
        if not bool(np.isfinite(m.thresholds).all()):
            raise DataError(f"{TABLE}.thresholds={m.thresholds.tolist()!r}: not all finite")
        names = m.symbols
        k = m.thresholds.tolist()
        out.extend(
            zip(
                repeat(run_id),
                [names[i] for i in m.idx.tolist()],
                repeat(ts),
                m.close.tolist(),
                _nullable(m.z),
                _nullable(m.mu),
                _nullable(m.sigma),
                _nullable(m.atr_5m),
                m.state.tolist(),
                m.side.tolist(),
                k[0],
                k[1],
                k[2],
                k[3],
                strict=False,
            )
        )
    return out


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants bounding New York's calendar day ``day``."""
    start = datetime.combine(day, time(0), NY)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def symbol_day(
    db: SqliteDatabase | PostgresDatabase, codec: Codec, run_id: str, symbol: str, day: date
) -> list[MinuteRow]:
    """A symbol's minutes on one session date, oldest first (one range of the key)."""
    sym = c.symbol(symbol, "symbol")
    lo, hi = day_bounds(c.day(day, "date"))
    with db.transaction() as cur:
        cur.execute(
            f"SELECT {', '.join(COLS[2:])} FROM {TABLE} WHERE run_id = ? AND symbol = ? "
            "AND timestamp >= ? AND timestamp < ? ORDER BY timestamp",
            (run_id, sym, codec.ts(lo), codec.ts(hi)),
        )
        rows = cur.fetchall()
    out = []
    for r in rows:
        ts = codec.ts_out(r[0])
        assert ts is not None
        close, z, mu, sigma, atr, state, side, k1, k3m, k2, k3t = r[1:]
        out.append(
            MinuteRow(
                ts, sym, close, z, mu, sigma, atr, STATE_CODES[state], int(side), k1, k3m, k2, k3t
            )
        )
    return out


def prune(
    db: SqliteDatabase | PostgresDatabase,
    codec: Codec,
    run_id: str,
    before: datetime,
    batch: int = PRUNE_BATCH,
    max_batches: int = PRUNE_MAX_BATCHES,
) -> int:
    """Delete ``run_id``'s rows older than ``before``, in bounded batches; returns the count.

    Other runs' rows are never touched: a local day replaying an old date keeps its log."""
    cutoff = codec.ts(c.utc(before, "before"))
    sql = (
        f"DELETE FROM {TABLE} WHERE ({', '.join(KEY)}) IN (SELECT {', '.join(KEY)} FROM {TABLE} "
        "WHERE run_id = ? AND timestamp < ? LIMIT ?)"
    )
    total = 0
    for _ in range(max_batches):
        with db.transaction() as cur:
            cur.execute(sql, (run_id, cutoff, batch))
            n = max(0, cur.rowcount)
        total += n
        if n < batch:
            break
    return total


__all__ = [
    "COLS",
    "KEY",
    "STATE_CODES",
    "TABLE",
    "MinuteRow",
    "day_bounds",
    "minute_rows",
    "prune",
    "symbol_day",
]
