"""Real databases for the API tests: a SQLite file, or a fresh database on the local
PostgreSQL, each migrated and filled with ``seed_demo`` through the storage repository."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .seed import Expected, seed_demo


def seeded_sqlite(tmp: Path) -> tuple[str, Expected]:
    from llm_advisor.storage import open_repository

    url = f"sqlite:///{tmp / 'portfolio.sqlite3'}"
    repo = open_repository(url, migrate_schema=True)
    try:
        expected = seed_demo(repo)
    finally:
        repo.close()
    return url, expected


@contextmanager
def seeded_postgres(server_url: str) -> Iterator[tuple[str, Expected]]:
    """A throwaway database on the shared server, dropped afterwards."""
    import psycopg

    from llm_advisor.storage import open_repository

    name = f"api_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server_url)
    url = urlunsplit(parts._replace(path=f"/{name}"))
    try:
        repo = open_repository(url, migrate_schema=True)
        try:
            expected = seed_demo(repo)
        finally:
            repo.close()
        yield url, expected
    finally:
        from llm_advisor.storage.db import close_pool

        close_pool(url)
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
