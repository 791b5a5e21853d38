"""Connections for both engines behind one tiny interface: ``transaction()`` yields a cursor.

SQL in this package is written once with ``?`` placeholders; the PostgreSQL side rewrites
them to ``%s``. SQLite gets one connection per thread (sqlite3 objects are not shareable) in
WAL mode so readers never block the writer; PostgreSQL gets one psycopg_pool per process and
URL, kept in a module global so a warm Lambda container reuses its connection.
"""

from __future__ import annotations

import math
import sqlite3
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Protocol

from llm_advisor.core.config import load_environment
from llm_advisor.core.errors import ConfigError, DatabaseUnavailableError
from llm_advisor.storage.urls import DatabaseUrl, Engine, mask_url


def _positive_setting(name: str, default: float) -> float:
    """A numeric tuning variable (read through ``load_environment``), or a one-line error."""
    raw = load_environment().get(name, "")
    if not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise ConfigError(f"{name}={raw!r}: expected a positive number")
    return value


_CONNECT_TIMEOUT = _positive_setting("ADVISOR_PG_CONNECT_TIMEOUT", 10.0)
"""Longest wait for a PostgreSQL connection, in seconds: both the pool's wait for a free or
new connection and libpq's ``connect_timeout`` (whole seconds, at least 2). The API sets it
well under its Lambda timeout (template.yaml), so a down database answers 503 in time
instead of the client seeing a Lambda timeout."""


def libpq_connect_timeout(wait: float) -> int:
    """libpq takes whole seconds and treats anything below 2 as 2."""
    return max(2, math.ceil(wait))


def _masked(url: str) -> str:
    return mask_url(url)


class Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    @property
    def rowcount(self) -> int: ...


class Database(Protocol):
    engine: Engine
    target: DatabaseUrl

    @contextmanager
    def transaction(self) -> Iterator[Cursor]: ...

    def close(self) -> None: ...


# ---------------------------------------------------------------- SQLite


class SqliteDatabase:
    engine: Engine = "sqlite"

    def __init__(self, target: DatabaseUrl) -> None:
        assert target.path is not None
        self.target = target
        self.path = target.path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a writer takes the
            # lock up front instead of failing to upgrade a read lock (SQLITE_BUSY).
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30.0
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA cache_size=-65536")  # 64 MiB: index upkeep of the hot inserts
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        conn = self._conn()
        if conn.in_transaction:  # nested use inside one unit of work
            yield conn.cursor()
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn.cursor()
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def executescript(self, script: str) -> None:
        self._conn().executescript(script)

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for c in conns:
            c.close()
        self._local = threading.local()


# ---------------------------------------------------------------- PostgreSQL


@lru_cache(maxsize=512)
def pg_sql(sql: str) -> str:
    """``?`` placeholders -> ``%s`` (and literal ``%`` escaped) for psycopg."""
    return sql.replace("%", "%%").replace("?", "%s")


class _PgCursor:
    """Wraps a psycopg cursor so callers can keep writing ``?`` placeholders."""

    def __init__(self, cur: Any) -> None:
        self.raw = cur

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.raw.execute(pg_sql(sql), params)

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> Any:
        return self.raw.executemany(pg_sql(sql), params)

    def fetchone(self) -> Any:
        return self.raw.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self.raw.fetchall())

    @property
    def rowcount(self) -> int:
        return int(self.raw.rowcount)


_POOLS: dict[str, Any] = {}
_POOLS_LOCK = threading.Lock()


def _pool(conninfo: str) -> Any:
    """The process-wide pool for ``conninfo`` (created on first use, reused afterwards)."""
    with _POOLS_LOCK:
        pool = _POOLS.get(conninfo)
        if pool is None or pool.closed:
            from psycopg_pool import ConnectionPool  # lazy: SQLite users never import psycopg

            pool = ConnectionPool(
                conninfo,
                min_size=1,
                max_size=int(_positive_setting("ADVISOR_PG_POOL_MAX", 4)),
                kwargs={
                    "options": "-c timezone=UTC",
                    "connect_timeout": libpq_connect_timeout(_CONNECT_TIMEOUT),
                    "autocommit": True,
                },
                timeout=_CONNECT_TIMEOUT,
                open=True,
                name="llm_advisor",
            )
            _POOLS[conninfo] = pool
        return pool


def close_pool(conninfo: str) -> None:
    with _POOLS_LOCK:
        pool = _POOLS.pop(conninfo, None)
    if pool is not None:
        pool.close()


class PostgresDatabase:
    engine: Engine = "postgres"

    def __init__(self, target: DatabaseUrl) -> None:
        self.target = target
        self.conninfo = target.conninfo
        self._local = threading.local()
        _pool(self.conninfo)

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """A pooled connection in autocommit mode (use ``conn.transaction()`` for units).

        While a transaction is open in this thread, the same connection is handed out, so
        nested units of work (``record_replay`` calling the ``save_*`` methods) stay atomic.
        """
        pinned = getattr(self._local, "conn", None)
        if pinned is not None:
            yield pinned
            return
        from psycopg import OperationalError
        from psycopg_pool import PoolTimeout

        try:
            ctx = _pool(self.conninfo).connection(timeout=_CONNECT_TIMEOUT)
            conn = ctx.__enter__()
        except (OperationalError, PoolTimeout) as exc:
            raise DatabaseUnavailableError(
                f"database url={_masked(self.target.url)!r}: cannot connect ({exc})"
            ) from None
        try:
            yield conn
        except OperationalError as exc:
            # The server went away under an open connection (restart, failover, network):
            # the same "not answering" as a failed connect, not a bug in the query.
            ctx.__exit__(*sys.exc_info())
            raise DatabaseUnavailableError(
                f"database url={_masked(self.target.url)!r}: connection lost ({exc})"
            ) from None
        except BaseException:
            ctx.__exit__(*sys.exc_info())
            raise
        ctx.__exit__(None, None, None)

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        with self.connection() as conn:
            outer = getattr(self._local, "conn", None) is None
            if outer:
                self._local.conn = conn
            try:
                with conn.transaction(), conn.cursor() as cur:
                    yield _PgCursor(cur)
            finally:
                if outer:
                    self._local.conn = None

    def close(self) -> None:
        close_pool(self.conninfo)


def connect(target: DatabaseUrl) -> SqliteDatabase | PostgresDatabase:
    if target.engine == "sqlite":
        return SqliteDatabase(target)
    return PostgresDatabase(target)
