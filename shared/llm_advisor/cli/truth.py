"""``python -m llm_advisor truth --date D``: the daily truth report of one run, locally.

The live (or local, or paper) day of ``--run`` against a replay of the same day with the
same inputs (``llm_advisor.truth``): prints the verdict and the divergences with their
causes, writes the ``truth_days``/``truth_divergences`` rows, and alerts on stderr when the
day diverges beyond the thresholds (``ADVISOR_TRUTH_MAX_*``).

Bars: ``--bars alpaca`` re-fetches the session from the Alpaca data API (keys as for
``live``); ``--bars synthetic`` regenerates the simulated market of a local day
(``--seed``, ``--history-sessions`` as given to the day; the default for a ``local-*`` run).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

import pandas as pd

from llm_advisor.core.errors import UserError


def _date(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--date={raw!r}: expected YYYY-MM-DD") from None


def register(sub: Any) -> None:
    p = sub.add_parser("truth", help="the daily truth report: live vs the model, with causes")
    p.add_argument("--date", type=_date, required=True, help="New York session date")
    p.add_argument("--run", default=None, help="run id (default ADVISOR_RUN_ID or 'live')")
    p.add_argument("--db", "--db-url", dest="db_url", default=None, help="database URL")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--bars",
        choices=("alpaca", "synthetic"),
        default=None,
        help="where the day's bars come from (default: synthetic for local-* runs)",
    )
    p.add_argument("--seed", type=int, default=7, help="synthetic market seed (local days)")
    p.add_argument(
        "--history-sessions",
        type=int,
        default=40,
        help="sessions of bars before the day (as the local day had)",
    )
    p.set_defaults(func=run)


def synthetic_fetcher(day: date, seed: int, history_sessions: int) -> Any:
    from llm_advisor.local.day import synthetic_day_bars

    def fetch(symbols: Sequence[str], start: datetime, end: datetime) -> Mapping[str, pd.DataFrame]:
        return synthetic_day_bars(day, symbols, seed, history_sessions)

    return fetch


def run(args: argparse.Namespace) -> int:
    from llm_advisor.bootstrap import Container, deploy_settings_from_env
    from llm_advisor.core.calendar import NY
    from llm_advisor.core.config import load_environment, settings_from_env, strategy_from_env
    from llm_advisor.notify.adapters import PrintingNotifier
    from llm_advisor.notify.store import LoopStatusStore
    from llm_advisor.notify.watch import Watch
    from llm_advisor.storage.repository import open_repository
    from llm_advisor.truth.alert import Thresholds
    from llm_advisor.truth.service import run_truth

    day: date = args.date
    if args.history_sessions < 2:
        raise UserError(f"--history-sessions={args.history_sessions}: at least 2 are needed")
    env = load_environment()
    settings = settings_from_env(env)
    run_id = args.run or deploy_settings_from_env(env).run_id
    source = args.bars or ("synthetic" if run_id.startswith("local-") else "alpaca")
    if source == "synthetic":
        fetch = synthetic_fetcher(day, args.seed, args.history_sessions)
    else:
        md = Container(env).market_data
        fetch = lambda syms, lo, hi: md.get_bars(list(syms), lo, hi, "1Min")  # noqa: E731
    repo = open_repository(args.db_url or settings.db_url, migrate_schema=True).scoped(run_id)
    try:
        config = strategy_from_env(env)
        watch = Watch(
            store=lambda: LoopStatusStore.of(repo),
            notifier=PrintingNotifier(),
            config=config,
            bad_bars_threshold=settings.alert_bad_bars,
        )
        at = datetime.combine(day, time(16, 45), tzinfo=NY)  # as the scheduled Lambda
        out = run_truth(
            repo,
            run_id,
            day,
            config,
            fetch,
            at,
            history_sessions=args.history_sessions,
            thresholds=Thresholds.from_env(env),
            watch=watch,
        )
    finally:
        repo.close()
    if args.json:
        print(json.dumps(out.report.as_dict(), indent=2))
    else:
        print("\n".join(out.report.lines()))
    return 0
