"""``python -m llm_advisor db migrate|version|rebuild-pnl --url URL``: schema from the shell.

The deployment runs the same command against RDS, so the schema is never created by hand.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

DEFAULT_URL = "sqlite:///data/llm_advisor.sqlite3"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("db", help="database schema: migrate, version, rebuild-pnl")
    sub = parser.add_subparsers(dest="db_command", metavar="ACTION")
    for name, func, text in (
        ("migrate", _migrate, "apply pending migrations (idempotent)"),
        ("version", _version, "print the applied schema version"),
        ("rebuild-pnl", _rebuild_pnl, "recompute the per-day P/L rollup from every trade"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument(
            "--url",
            default=os.environ.get("LLM_ADVISOR_DB_URL", DEFAULT_URL),
            help="sqlite:///path.sqlite3 or postgresql://user@host:port/db "
            f"(default $LLM_ADVISOR_DB_URL or {DEFAULT_URL})",
        )
        p.set_defaults(func=func)
    parser.set_defaults(func=lambda _a: parser.print_help() or 2)


def _migrate(args: argparse.Namespace) -> int:
    from llm_advisor.storage.repository import open_repository

    repo = open_repository(args.url)
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

    repo = open_repository(args.url)
    try:
        print(repo.schema_version())
    finally:
        repo.close()
    return 0


def _rebuild_pnl(args: argparse.Namespace) -> int:
    """Repair after trades were written outside the repository (hand-written SQL)."""
    from llm_advisor.storage.repository import open_repository

    repo = open_repository(args.url)
    try:
        repo.rebuild_pnl_rollup()
        days = repo.count("daily_pnl_all")
    finally:
        repo.close()
    print(f"P/L rollup rebuilt: {days} trading days")
    return 0
