"""``python -m llm_advisor db migrate|version|rebuild-pnl --url URL``: schema from the shell.

The deployment runs the same command against RDS, so the schema is never created by hand.
Without ``--url`` the database is ``ADVISOR_DB_URL`` (read through ``load_environment``, so
``.env`` counts), the same variable every other command and the Lambdas read.
"""

from __future__ import annotations

import argparse
from typing import Any

DEFAULT_URL = "sqlite:///data/llm_advisor.sqlite3"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("db", help="database schema: migrate, version, rebuild-pnl")
    sub = parser.add_subparsers(dest="db_command", metavar="ACTION", help="one of:")
    for name, func, text in (
        ("migrate", _migrate, "apply pending migrations (idempotent)"),
        ("version", _version, "print the applied schema version"),
        ("rebuild-pnl", _rebuild_pnl, "recompute the per-day P/L rollup from every trade"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument(
            "--url",
            default=None,
            help="sqlite:///path.sqlite3 or postgresql://user@host:port/db "
            f"(default $ADVISOR_DB_URL or {DEFAULT_URL})",
        )
        p.set_defaults(func=func)
    parser.set_defaults(func=lambda _a: parser.print_help() or 2)


def database_url(args: argparse.Namespace) -> str:
    """``--url``, else ``ADVISOR_DB_URL``, else the local SQLite file (read when the command
    runs, not when the parser is built, so an unrelated command never reads ``.env``)."""
    from llm_advisor.core.config import load_environment

    return str(args.url or load_environment().get("ADVISOR_DB_URL") or DEFAULT_URL)


def _migrate(args: argparse.Namespace) -> int:
    from llm_advisor.storage.repository import open_repository

    repo = open_repository(database_url(args))
    try:
        applied = repo.migrate()
        version = repo.schema_version()
    finally:
        repo.close()
    if applied:
        print(f"applied migrations {', '.join(f'{v:04d}' for v in applied)}; schema at {version}")
    else:
        print(f"schema up to date at version {version}")
    return 0


def _version(args: argparse.Namespace) -> int:
    from llm_advisor.storage.repository import open_repository

    repo = open_repository(database_url(args))
    try:
        print(repo.schema_version())
    finally:
        repo.close()
    return 0


def _rebuild_pnl(args: argparse.Namespace) -> int:
    """Repair after trades were written outside the repository (hand-written SQL)."""
    from llm_advisor.storage.repository import open_repository

    repo = open_repository(database_url(args))
    try:
        repo.rebuild_pnl_rollup()
        days = repo.count("daily_pnl_all")
    finally:
        repo.close()
    print(f"P/L rollup rebuilt: {days} trading days")
    return 0
