"""Forward-only schema migrations, applied in order and recorded in ``schema_version``.

Rules (see docs/storage.md): files are ``NNNN_name.sql`` per engine with the same numbers on
both; an applied file is never edited (its sha256 is recorded and checked); a change is a new
file. Each file runs in one transaction together with its ``schema_version`` row, so a failed
migration leaves nothing half-applied, and a concurrent migrator waits on a lock instead of
applying the same file twice.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from llm_advisor.core.errors import DataError
from llm_advisor.storage.db import PostgresDatabase, SqliteDatabase
from llm_advisor.storage.urls import Engine

_NAME_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCK_KEY = 7_316_001  # pg_advisory_xact_lock key for migrations

_VERSION_DDL = """
CREATE TABLE IF NOT EXISTS schema_version (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  text NOT NULL
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def available(engine: Engine) -> list[Migration]:
    """The packaged migrations of ``engine`` in version order."""
    folder = resources.files("llm_advisor.storage").joinpath("migrations", engine)
    out: list[Migration] = []
    for entry in folder.iterdir():
        m = _NAME_RE.match(entry.name)
        if not m:
            continue
        out.append(Migration(int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    out.sort(key=lambda m: m.version)
    versions = [m.version for m in out]
    if len(set(versions)) != len(versions):
        raise DataError(f"duplicate migration versions for {engine}: {versions}")
    return out


def _check(applied: dict[int, str], migrations: list[Migration]) -> None:
    for mig in migrations:
        if mig.version in applied and applied[mig.version] != mig.checksum:
            raise DataError(
                f"migration {mig.version:04d}_{mig.name}.sql was edited after it was applied "
                "(checksum differs); migrations are forward-only: add a new file instead"
            )
    known = {m.version for m in migrations}
    unknown = sorted(v for v in applied if v not in known)
    if unknown:
        raise DataError(
            f"database has schema versions {unknown} that this code does not know; "
            "upgrade the code before using this database"
        )


def migrate(db: SqliteDatabase | PostgresDatabase) -> list[int]:
    """Apply every pending migration; returns the versions applied now (empty = up to date)."""
    if isinstance(db, SqliteDatabase):
        return _migrate_sqlite(db)
    return _migrate_pg(db)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _migrate_sqlite(db: SqliteDatabase) -> list[int]:
    migrations = available("sqlite")
    done: list[int] = []
    with db.transaction() as cur:
        cur.execute(_VERSION_DDL)
    for mig in migrations:
        with db.transaction() as cur:  # BEGIN IMMEDIATE: one migrator at a time
            cur.execute("SELECT version, checksum FROM schema_version")
            applied = {int(v): str(c) for v, c in cur.fetchall()}
            _check(applied, migrations)
            if mig.version in applied:
                continue
            for stmt in _split_sqlite(mig.sql):
                cur.execute(stmt)
            cur.execute(
                "INSERT INTO schema_version (version, name, checksum, applied_at) "
                "VALUES (?, ?, ?, ?)",
                (mig.version, mig.name, mig.checksum, _now()),
            )
            done.append(mig.version)
    return done


def _split_sqlite(script: str) -> list[str]:
    """Statements of a SQLite script (sqlite3.complete_statement finds the boundaries)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            stmt = buf.strip()
            if stmt and not all(
                ln.strip().startswith("--") or not ln.strip() for ln in stmt.splitlines()
            ):
                out.append(stmt)
            buf = ""
    if buf.strip() and not all(
        ln.strip().startswith("--") or not ln.strip() for ln in buf.splitlines()
    ):
        out.append(buf.strip())
    return out


def _migrate_pg(db: PostgresDatabase) -> list[int]:
    migrations = available("postgres")
    done: list[int] = []
    with db.connection() as conn:
        for mig in migrations:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
                conn.execute(_VERSION_DDL)
                rows: list[Any] = conn.execute(
                    "SELECT version, checksum FROM schema_version"
                ).fetchall()
                applied = {int(v): str(c) for v, c in rows}
                _check(applied, migrations)
                if mig.version in applied:
                    continue
                conn.execute(mig.sql.encode("utf-8"))  # no params: multi-statement allowed
                conn.execute(
                    "INSERT INTO schema_version (version, name, checksum, applied_at) "
                    "VALUES (%s, %s, %s, %s)",
                    (mig.version, mig.name, mig.checksum, _now()),
                )
                done.append(mig.version)
    return done


def current_version(db: SqliteDatabase | PostgresDatabase) -> int:
    """Highest applied version (0 for an empty database)."""
    try:
        with db.transaction() as cur:
            cur.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
            row = cur.fetchone()
    except Exception:  # no schema_version table yet
        return 0
    return int(row[0])
