"""The bar quarantine: live bars the tick refused (bad values) or could not use (late).

Why a table and not just a log line: a zero-price or ``inf`` bar from the feed is evidence
to take to the data vendor, and a count per day tells whether a feed is getting worse; both
need the bar exactly as received. Values are stored as text (``repr`` of the float) so
``nan``/``inf``/``-0.0`` survive, on both engines. The insert is idempotent on
(run_id, symbol, bar_time, reason): a retried tick records nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from llm_advisor.data.bar_checks import Reject
from llm_advisor.storage import codec as c
from llm_advisor.storage.codec import Codec
from llm_advisor.storage.db import PostgresDatabase, SqliteDatabase

TABLE = "bar_quarantine"
COLS = (
    "run_id", "symbol", "bar_time", "reason", "open", "high", "low", "close", "volume",
    "detail", "recorded_at",
)  # fmt: skip
KEY = ("run_id", "symbol", "bar_time", "reason")
INSERT_SQL = (
    f"INSERT INTO {TABLE} ({', '.join(COLS)}) VALUES ({', '.join('?' * len(COLS))}) "
    f"ON CONFLICT ({', '.join(KEY)}) DO NOTHING"
)


def quarantine_rows(
    codec: Codec, run_id: str, rejects: Iterable[Reject], recorded_at: datetime
) -> list[tuple[Any, ...]]:
    at = codec.ts(c.utc(recorded_at, f"{TABLE}.recorded_at"))
    rows: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for r in rejects:
        row = (
            run_id,
            c.symbol(r.symbol, f"{TABLE}.symbol"),
            codec.ts(c.utc(r.time, f"{TABLE}.bar_time")),
            c.text(r.reason, f"{TABLE}.reason"),
            *(repr(float(v)) for v in (r.open, r.high, r.low, r.close, r.volume)),
            r.detail,
            at,
        )
        rows.setdefault(row[:4], row)  # one batch may name a bar twice (a rerun's rejects)
    return list(rows.values())


def save_bar_quarantine(
    db: SqliteDatabase | PostgresDatabase,
    codec: Codec,
    run_id: str,
    rejects: Iterable[Reject],
    recorded_at: datetime,
) -> int:
    """Insert the rejects not recorded yet; returns how many were given (not inserted)."""
    rows = quarantine_rows(codec, run_id, rejects, recorded_at)
    if rows:
        with db.transaction() as cur:
            cur.executemany(INSERT_SQL, rows)
    return len(rows)


def load_bar_quarantine(
    db: SqliteDatabase | PostgresDatabase, codec: Codec, run_id: str
) -> list[dict[str, Any]]:
    """Every quarantined bar of a run, oldest bar first (inspection and tests)."""
    with db.transaction() as cur:
        cur.execute(
            f"SELECT {', '.join(COLS)} FROM {TABLE} WHERE run_id = ? "
            "ORDER BY bar_time, symbol, reason",
            (run_id,),
        )
        out = []
        for r in cur.fetchall():
            d = dict(zip(COLS, r, strict=True))
            d["bar_time"] = codec.ts_out(d["bar_time"])
            d["recorded_at"] = codec.ts_out(d["recorded_at"])
            out.append(d)
    return out
