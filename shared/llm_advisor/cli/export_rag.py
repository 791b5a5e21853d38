"""``python -m llm_advisor export-rag``: a day's records as retrieval documents.

Writes one text file plus a Bedrock ``.metadata.json`` sidecar per record (and a JSON-lines
copy of the day) under ``--out`` (a folder, or ``s3://bucket``), then (re)embeds the same
documents into ``rag_documents`` for ``rag.retrieval.search``. Idempotent per day: a rerun
overwrites the same keys and rows. The scheduled Lambda (functions/rag_export) runs the
same ``export_day`` after the close.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from llm_advisor.core.errors import UserError
from llm_advisor.core.progress import (
    add_output_options,
    apply_output_options,
    json_document,
    progress,
)


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "export-rag", help="export a day's records as retrieval documents and embed them"
    )
    p.add_argument("--db", default=None, help="database URL (default $ADVISOR_DB_URL)")
    p.add_argument(
        "--out", default=None, help="folder, or s3://bucket, for the documents (omit: table only)"
    )
    p.add_argument("--date", default=None, help="session date YYYY-MM-DD")
    p.add_argument("--start", default=None, help="first session date YYYY-MM-DD")
    p.add_argument("--end", default=None, help="last session date YYYY-MM-DD")
    p.add_argument("--run", default=None, help="only this run (plus the shared per-day records)")
    p.add_argument(
        "--embedder",
        default=None,
        choices=["local", "titan", "hash", "none"],
        help="embedding model (default $ADVISOR_RAG_EMBEDDER, else local, else the fallback)",
    )
    add_output_options(p, "print one JSON document (one entry per day) on stdout")
    p.set_defaults(func=_run)


def _day(flag: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{flag}={text!r}: expected YYYY-MM-DD") from None


def days_of(args: argparse.Namespace) -> list[date]:
    """``--date D`` or ``--start D --end D`` (the sessions between them)."""
    from llm_advisor.core.calendar import sessions_between

    if args.date is not None:
        if args.start is not None or args.end is not None:
            raise UserError("--date: give either --date or --start/--end, not both")
        return [_day("--date", args.date)]
    if args.start is None or args.end is None:
        raise UserError("--date: required (or both --start and --end)")
    start, end = _day("--start", args.start), _day("--end", args.end)
    if end < start:
        raise UserError(f"--end={args.end!r} is before --start={args.start!r}")
    return sessions_between(start, end)


def make_sink(out: str | None) -> Any:
    from llm_advisor.rag.export import DirSink, S3Sink

    if out is None:
        return None
    if out.startswith("s3://"):
        from llm_advisor.aws.clients import client

        bucket = out.removeprefix("s3://").strip("/")
        if not bucket or "/" in bucket:
            raise UserError(f"--out={out!r}: expected s3://bucket (the keys start at rag/)")
        return S3Sink(bucket, client("s3"))
    return DirSink(Path(out))


def _run(args: argparse.Namespace) -> int:
    apply_output_options(args)
    with json_document(args.json) as doc:
        return _export(args, doc)


def _export(args: argparse.Namespace, doc: dict[str, Any]) -> int:
    from llm_advisor.cli.db import DEFAULT_URL
    from llm_advisor.core.config import load_environment
    from llm_advisor.rag.embedders import resolve_embedder
    from llm_advisor.rag.export import export_day
    from llm_advisor.storage.repository import open_repository

    days = days_of(args)
    sink = make_sink(args.out)
    embedder = None if args.embedder == "none" else resolve_embedder(args.embedder)
    url = args.db or load_environment().get("ADVISOR_DB_URL") or DEFAULT_URL
    repo = open_repository(url, migrate_schema=True)
    try:
        doc["days"] = []
        for day in progress(days, len(days), "export-rag (days)"):
            result = export_day(repo, day, sink, embedder, datetime.now(UTC), run_id=args.run)
            print(result.line())
            doc["days"].append(
                {k: v for k, v in asdict(result).items() if k != "keys"} | {"line": result.line()}
            )
    finally:
        repo.close()
    return 0
