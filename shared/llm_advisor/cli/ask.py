"""``python -m llm_advisor ask "QUESTION"``: ask the portfolio from the command line.

The same service as ``POST /api/chat`` (``llm_advisor.chat``) over the database at ``--db``,
answered for ``--run`` or the default run (the API's rule). ``--json`` prints the API's
response body; otherwise the answer, its citations and the data table as text.
``ADVISOR_CHAT_LLM`` picks a model to word the answer (default: none, deterministic).
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from llm_advisor.core.config import load_environment
from llm_advisor.core.errors import UserError

DEFAULT_DB = "sqlite:///data/llm_advisor.sqlite3"
MAX_TABLE_ROWS = 20


def register(sub: Any) -> None:
    p = sub.add_parser(
        "ask",
        help="ask a question about the trading record",
        description=(__doc__ or "").replace("``", ""),
    )
    p.add_argument("question", help='e.g. "Show me all trades executed in the last week"')
    p.add_argument(
        "--db",
        default=None,
        help=f"database URL (default $ADVISOR_DB_URL or {DEFAULT_DB})",
    )
    p.add_argument("--run", default=None, help="run id (default: the account's default run)")
    p.add_argument("--json", action="store_true", help="print the API's JSON response")
    p.add_argument(
        "--now",
        type=_aware,
        default=None,
        metavar="ISO",
        help="answer as if it were this time, e.g. 2026-03-06T21:00Z (default: now)",
    )
    p.set_defaults(func=run)


def _aware(text: str) -> datetime:
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--now={text!r}: not an ISO-8601 time") from None
    if ts.tzinfo is None:
        raise argparse.ArgumentTypeError(f"--now={text!r}: needs a zone (Z or +hh:mm)")
    return ts


def _table(data: dict[str, Any]) -> list[str]:
    cols: list[str] = list(data.get("columns") or [])
    rows: list[dict[str, Any]] = list(data.get("rows") or [])
    if not cols or not rows:
        return []
    shown = rows[:MAX_TABLE_ROWS]
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in cols] for r in shown]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    if len(rows) > len(shown):
        lines.append(f"... {len(rows) - len(shown)} more rows (--json prints them all)")
    return lines


def run(args: argparse.Namespace) -> int:
    from llm_advisor.chat.service import ChatService
    from llm_advisor.chat.wiring import make_answerer
    from llm_advisor.core.clock import Clock, ManualClock, SystemClock
    from llm_advisor.storage import open_repository

    env = load_environment()
    url = args.db or env.get("ADVISOR_DB_URL") or DEFAULT_DB
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        raise UserError(f"--db={url}: no such database file; run `make demo` first")
    clock: Clock = ManualClock(args.now) if args.now is not None else SystemClock()
    repo = open_repository(url)
    try:
        service = ChatService(
            repo, clock, env.get("ADVISOR_RUN_ID") or "live", make_answerer(clock, env)
        )
        out = service.ask(args.question, run=args.run)
    finally:
        repo.close()
    if args.json:
        print(json.dumps(out.to_json(), indent=2, default=str))
        return 0
    print(out.answer)
    if out.citations:
        print("\nSources: " + ", ".join(f"{c.kind} {c.id}" for c in out.citations))
    table = _table(out.data)
    if table:
        print(f"\nData ({out.data.get('tool')}, run {out.run_id}):")
        print("\n".join(table))
    return 0
