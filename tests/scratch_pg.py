"""A throwaway database on the test PostgreSQL server, dropped afterwards (with its pool)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit


@contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """The URL of a new, empty database named after ``prefix`` and the xdist worker."""
    import psycopg

    from llm_advisor.storage.db import close_pool

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw")
    name = f"{prefix}_{worker}_{uuid.uuid4().hex[:8]}".lower()
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(server_url)._replace(path="/" + name))
    try:
        yield url
    finally:
        close_pool(url)
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
