"""The loop's own record: heartbeats per component and the alert log (migration 0011).

Why in the trading database: the status page and the alerts need what the handlers saw
(the tick's minutes, the monitor's equity and queue depths, the analysis source) after the
Lambda container is gone, and the API already reads this database (read-only role). The
alert log's key is the dedupe: ``claim`` inserts a key once, so a rerun of a minute (a
retried Lambda, the local day delivering twice) never sends the same alert again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from llm_advisor.core.calendar import NY
from llm_advisor.core.ports import Alert
from llm_advisor.storage import codec as c
from llm_advisor.storage.codec import Codec
from llm_advisor.storage.db import PostgresDatabase, SqliteDatabase

COMPONENTS = ("tick", "monitor", "analysis", "executor", "premarket", "summary")
_BEAT_COLS = ("run_id", "component", "at", "ok", "last_ok_at", "detail_json")
_ALERT_COLS = (
    "run_id", "alert_key", "kind", "severity", "session_date", "at", "subject", "message",
    "sent",
)  # fmt: skip


@dataclass(frozen=True)
class Heartbeat:
    """The last run of one component."""

    component: str
    at: datetime
    ok: bool
    last_ok_at: datetime | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class LoggedAlert:
    """One row of the alert log (an alert, or a handler error with kind ``error``)."""

    key: str
    kind: str
    severity: str
    session_date: date
    at: datetime
    subject: str
    message: str
    sent: bool


def ny_day(at: datetime) -> date:
    return at.astimezone(NY).date()


class LoopStatusStore:
    """Heartbeats and the alert log of one run, on either engine."""

    def __init__(self, db: SqliteDatabase | PostgresDatabase, codec: Codec, run_id: str) -> None:
        self.db = db
        self.codec = codec
        self.run_id = run_id

    @classmethod
    def of(cls, repo: Any, run_id: str | None = None) -> LoopStatusStore:
        """The store over a ``storage.Repository`` (its database, its scoped run)."""
        return cls(repo.db, repo.codec, run_id or repo.scope_run_id or "live")

    def _bool(self, v: bool) -> Any:
        return v if self.codec.pg else int(v)

    # ------------------------------------------------------------ heartbeats
    def beat(self, component: str, at: datetime, ok: bool, detail: dict[str, Any]) -> None:
        """Upsert the component's row; ``last_ok_at`` moves only on success."""
        if component not in COMPONENTS:
            raise ValueError(f"component={component!r}: expected one of {', '.join(COMPONENTS)}")
        k = self.codec
        ts = k.ts(c.utc(at, "loop_heartbeats.at"))
        row = (self.run_id, component, ts, self._bool(ok), ts if ok else None, k.json(detail))
        sql = (
            f"INSERT INTO loop_heartbeats ({', '.join(_BEAT_COLS)}) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (run_id, component) DO UPDATE SET at = excluded.at, ok = excluded.ok, "
            "last_ok_at = COALESCE(excluded.last_ok_at, loop_heartbeats.last_ok_at), "
            "detail_json = excluded.detail_json"
        )
        with self.db.transaction() as cur:
            cur.execute(sql, row)

    def heartbeats(self) -> dict[str, Heartbeat]:
        k = self.codec
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {', '.join(_BEAT_COLS[1:])} FROM loop_heartbeats WHERE run_id = ?",
                (self.run_id,),
            )
            rows = cur.fetchall()
        out: dict[str, Heartbeat] = {}
        for comp, at, ok, last_ok, detail in rows:
            at_out = k.ts_out(at)
            assert at_out is not None
            out[comp] = Heartbeat(comp, at_out, bool(ok), k.ts_out(last_ok), k.json_out(detail))
        return out

    # ------------------------------------------------------------ alert log
    def claim(self, alert: Alert, *, sent: bool = True) -> bool:
        """Log the alert; True when its key is new (send it), False when already logged."""
        k = self.codec
        at = c.utc(alert.at, "alert_log.at")
        row = (
            self.run_id,
            c.text(alert.key, "alert_log.alert_key"),
            alert.kind,
            alert.severity,
            k.day(ny_day(at)),
            k.ts(at),
            alert.subject,
            alert.message,
            self._bool(sent),
        )
        sql = (
            f"INSERT INTO alert_log ({', '.join(_ALERT_COLS)}) "
            f"VALUES ({', '.join('?' * len(_ALERT_COLS))}) "
            "ON CONFLICT (run_id, alert_key) DO NOTHING"
        )
        with self.db.transaction() as cur:
            cur.execute(sql, row)
            return int(cur.rowcount) == 1

    def seen(self, key: str) -> bool:
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT 1 FROM alert_log WHERE run_id = ? AND alert_key = ?", (self.run_id, key)
            )
            return cur.fetchone() is not None

    def alerts_on(self, day: date) -> list[LoggedAlert]:
        """The day's log (New York date), oldest first."""
        k = self.codec
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {', '.join(_ALERT_COLS[1:])} FROM alert_log "
                "WHERE run_id = ? AND session_date = ? ORDER BY at, alert_key",
                (self.run_id, k.day(day)),
            )
            rows = cur.fetchall()
        out = []
        for key, kind, sev, sday, at, subject, message, sent in rows:
            d, t = k.day_out(sday), k.ts_out(at)
            assert d is not None and t is not None
            out.append(LoggedAlert(key, kind, sev, d, t, subject, message, bool(sent)))
        return out

    # ------------------------------------------------------------ LLM ledger failures
    def llm_failures(self, day: date) -> dict[str, int]:
        """Failed model calls of the New York ``day`` by tool (the analysis and the
        validation answer with different tools): the validator's fallbacks live here only."""
        start = datetime.combine(day, datetime.min.time(), tzinfo=NY)
        k = self.codec
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT request FROM llm_calls WHERE error IS NOT NULL "
                "AND created_at >= ? AND created_at < ?",
                (k.ts(c.utc(start, "start")), k.ts(c.utc(start + timedelta(days=1), "end"))),
            )
            rows = cur.fetchall()
        out: dict[str, int] = {}
        for (req,) in rows:
            body = k.json_out(req)
            tool = str(body.get("tool", "")) if isinstance(body, dict) else ""
            out[tool] = out.get(tool, 0) + 1
        return out
