"""``python -m llm_advisor summary --date D``: the after-close summary of one day, locally.

The same summary the 16:15 Lambda sends (``notify/summary.py``), from the database in
``ADVISOR_DB_URL`` (or ``--db-url``) for one run (``--run``, default the account's
``ADVISOR_RUN_ID``; a local day is ``local-YYYY-MM-DD``). It prints the summary on stdout
and raises it through the printing notifier once (the alert log remembers the day).
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, time
from typing import Any

from llm_advisor.core.errors import UserError


def _date(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--date={raw!r}: expected YYYY-MM-DD") from None


def register(sub: Any) -> None:
    p = sub.add_parser("summary", help="the after-close summary of one day (trades, P/L, analyst)")
    p.add_argument("--date", type=_date, required=True, help="New York session date")
    p.add_argument("--run", default=None, help="run id (default ADVISOR_RUN_ID or 'live')")
    p.add_argument("--db-url", default=None, help="database URL (default ADVISOR_DB_URL)")
    p.add_argument("--quiet-alerts", action="store_true", help="print the summary only")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from llm_advisor.bootstrap import deploy_settings_from_env
    from llm_advisor.core.calendar import NY, is_session
    from llm_advisor.core.config import load_environment, settings_from_env, strategy_from_env
    from llm_advisor.notify.adapters import PrintingNotifier
    from llm_advisor.notify.store import LoopStatusStore
    from llm_advisor.notify.summary import send_summary
    from llm_advisor.notify.watch import Watch
    from llm_advisor.storage.repository import open_repository

    day: date = args.date
    if not is_session(day):
        raise UserError(f"--date={day.isoformat()}: not an XNYS session")
    env = load_environment()
    settings = settings_from_env(env)
    run_id = args.run or deploy_settings_from_env(env).run_id
    repo = open_repository(args.db_url or settings.db_url, migrate_schema=True).scoped(run_id)
    try:
        if repo.find_run(run_id) is None:
            raise UserError(f"--run={run_id!r}: no such run in the database")
        config = strategy_from_env(env)
        watch = Watch(
            store=lambda: LoopStatusStore.of(repo),
            notifier=PrintingNotifier(quiet=args.quiet_alerts),
            config=config,
            bad_bars_threshold=settings.alert_bad_bars,
        )
        # Stamped at 16:15 New York of that day, as the scheduled Lambda would be.
        at = datetime.combine(day, time(16, 15), tzinfo=NY)
        summary, sent = send_summary(repo, config, watch, day, at)
    finally:
        repo.close()
    print("\n".join(summary.lines()))
    if not sent:
        print(f"(the summary of {day.isoformat()} was already sent for run {run_id})")
    return 0
