"""A throwaway PostgreSQL database for one benchmark, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit


@contextmanager
def scratch_postgres(prefix: str) -> Iterator[str | None]:
    """The URL of a fresh database on ``LLM_ADVISOR_PG_URL``'s server (None without one)."""
    pg = os.environ.get("LLM_ADVISOR_PG_URL", "")
    if not pg:
        yield None
        return
    import psycopg

    from llm_advisor.storage.db import close_pool

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(pg)._replace(path="/" + name))
    try:
        yield url
    finally:
        close_pool(url)
        with psycopg.connect(pg, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
