"""Database URLs: ``sqlite:///path`` for the embedded default, ``postgresql://...`` for RDS.

One URL string selects the engine everywhere (CLI ``--db``, settings, tests), so the choice of
engine is configuration, never code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from llm_advisor.core.errors import UserError

Engine = Literal["sqlite", "postgres"]

_PG_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


@dataclass(frozen=True)
class DatabaseUrl:
    engine: Engine
    url: str
    path: Path | None = None  # SQLite file

    @property
    def conninfo(self) -> str:
        """The URL as libpq accepts it (no SQLAlchemy-style driver suffix)."""
        if self.url.startswith("postgresql+psycopg://"):
            return "postgresql://" + self.url.removeprefix("postgresql+psycopg://")
        return self.url


def parse_url(url: str) -> DatabaseUrl:
    """Validate ``url``; a bad one is a ``UserError`` naming it (passwords masked)."""
    if not isinstance(url, str) or not url.strip():
        raise UserError(f"database url={url!r} is empty; use sqlite:///path or postgresql://...")
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise UserError(
            f"database url={mask_url(url)!r} has no scheme; use sqlite:///path or postgresql://..."
        )
    scheme = scheme.lower()
    if scheme == "sqlite":
        if not rest.startswith("/") or len(rest) < 2:
            raise UserError(
                f"database url={url!r}: a SQLite URL is sqlite:///relative/path.sqlite3 "
                "or sqlite:////absolute/path.sqlite3"
            )
        path = Path(rest[1:])
        if path.name in ("", ".", "..") or rest[1:].endswith("/"):
            raise UserError(f"database url={url!r} names a directory, not a database file")
        if str(path) == ":memory:":
            raise UserError(f"database url={url!r}: in-memory SQLite is not supported (use a file)")
        return DatabaseUrl("sqlite", url, path)
    if scheme in _PG_SCHEMES:
        parts = urlsplit(url)
        if not parts.hostname and "host=" not in (parts.query or ""):
            raise UserError(f"database url={mask_url(url)!r} has no host")
        return DatabaseUrl("postgres", url)
    raise UserError(
        f"database url={mask_url(url)!r}: unknown scheme {scheme!r}; "
        "use sqlite:///path or postgresql://user@host:port/db"
    )


def mask_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for error messages and logs)."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url
