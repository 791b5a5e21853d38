"""``demo``: the whole system on embedded defaults — no keys, no Docker, no network.

1. A synthetic week for the default watchlist replayed twice, with neutral multipliers and
   with the offline rules analyst, to show the analyst's advice changing decisions.
2. The rules-analyst run stored in the local SQLite database (``make api`` serves it).
3. One simulated trading day driven through the real Lambda handlers in-process (moto for
   AWS, the Alpaca stand-in for the broker), checked trade for trade against the replay.

The week and the day are two runs (kinds ``replay`` and ``local``): the page shows one at a
time, the simulated day by default, and the demo prints the page address of each.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from llm_advisor.core.config import DEFAULT_WATCHLIST, StrategyConfig, load_environment
from llm_advisor.core.progress import add_output_options, apply_output_options, json_document
from llm_advisor.replay.summary import render

DEFAULT_DB = "sqlite:///data/llm_advisor.sqlite3"
PAGE_URL = "http://127.0.0.1:8081"  # where `make api` serves the page (cli/api.py --web-port)
DAILY_SESSIONS = 260  # a year of synthetic daily bars: the bias model's features need it


def page_url(run_id: str) -> str:
    return f"{PAGE_URL}/?run={run_id}"


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="simulated week + simulated day through the handlers")
    p.add_argument(
        "--start",
        type=date.fromisoformat,
        default=date(2026, 3, 2),
        help="first synthetic session YYYY-MM-DD, also the simulated day (default 2026-03-02)",
    )
    p.add_argument("--sessions", type=int, default=5, help="sessions in the week (default 5)")
    p.add_argument("--seed", type=int, default=7, help="synthetic market seed (default 7)")
    p.add_argument(
        "--symbols",
        default=",".join(DEFAULT_WATCHLIST),
        help=f"comma-separated (default {','.join(DEFAULT_WATCHLIST)})",
    )
    p.add_argument(
        "--db",
        default=load_environment().get("ADVISOR_DB_URL", DEFAULT_DB),
        help=f"database URL the runs are stored in (default $ADVISOR_DB_URL or {DEFAULT_DB})",
    )
    p.add_argument(
        "--account-equity",
        type=float,
        default=100_000.0,
        help="the simulated day's broker account equity (the live engine sizes from it)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("out/demo"),
        help="folder for trades.csv, signals.csv and the retrieval documents (out/demo)",
    )
    p.add_argument("--skip-day", action="store_true", help="skip the handler-driven day")
    add_output_options(p, "print one JSON document (run ids, summaries, page links) on stdout")
    p.set_defaults(func=run)


def _analyst(config: StrategyConfig) -> Any:
    from llm_advisor.analysis.factory import make_analyst
    from llm_advisor.analysis.ledger import InMemoryLedger
    from llm_advisor.core.clock import SystemClock
    from llm_advisor.core.config import AppSettings

    return make_analyst("rules", AppSettings(), config, InMemoryLedger(), SystemClock())


def _decision(s: Any) -> tuple[Any, ...]:
    return (s.signal_time, s.symbol, s.setup.value, s.side.value)


def _changed_decisions(neutral: Any, rules: Any) -> list[str]:
    key = _decision
    a = {key(s): s for s in neutral.signals}
    b = {key(s): s for s in rules.signals}
    out = []
    for k in sorted(set(a) ^ set(b))[:6]:
        s = a.get(k) or b[k]
        who = "only without the analyst" if k in a else "only with the analyst"
        out.append(
            f"  {s.signal_time:%m-%d %H:%M}Z {s.symbol:5} {s.setup.value} {s.side.value:5} "
            f"{who} (mr_arm_z {s.mr_arm_z:.2f}, tc_arm_z {s.tc_arm_z:.2f})"
        )
    return out


def run(args: argparse.Namespace) -> int:
    apply_output_options(args)
    with json_document(args.json) as doc:
        return _run(args, doc)


def _run(args: argparse.Namespace, doc: dict[str, Any]) -> int:
    from llm_advisor.premarket.bias.model import load_bias_model
    from llm_advisor.premarket.pipeline import daily_from_minutes
    from llm_advisor.replay import inputs
    from llm_advisor.replay.outputs import write_outputs
    from llm_advisor.replay.premarket import ReplayPremarket
    from llm_advisor.replay.report import REPORT, write_report
    from llm_advisor.replay.runner import run_replay
    from llm_advisor.storage.replay_store import record_replay
    from llm_advisor.storage.repository import open_repository

    symbols = [s.strip().upper() for s in args.symbols.split(",") if s.strip()]
    config = StrategyConfig()
    inp = inputs.synthetic(symbols, args.start, args.sessions, history=60, seed=args.seed)
    daily = {s: daily_from_minutes(df) for s, df in inp.bars.items()}
    pre = ReplayPremarket(symbols, daily, load_bias_model())
    print(f"== 1. synthetic week {inp.start}..{inp.end}, symbols {','.join(symbols)}")
    neutral = run_replay(config, inp.bars, inp.start, inp.end, analyst_name="neutral")
    rules = run_replay(
        config,
        inp.bars,
        inp.start,
        inp.end,
        _analyst(config),
        analyst_name="rules",
        premarket=pre,
    )
    moved = sum(1 for a in rules.advices if a.multipliers.as_tuple() != (1.0, 1.0, 1.0, 1.0))
    print("-- neutral multipliers")
    print(render(neutral.summary))
    print(f"-- rules analyst ({moved} of {len(rules.advices)} analyses moved a multiplier)")
    print(render(rules.summary))
    changed = _changed_decisions(neutral, rules)
    print(f"-- decisions that differ ({len(changed)} shown):")
    print("\n".join(changed) if changed else "  none")
    write_outputs(args.out, rules.trades, rules.signals, rules.summary)
    title = f"Demo week {inp.start}..{inp.end}, rules analyst"
    reports = [write_report(args.out, rules, inp.bars, title)]
    repo = open_repository(args.db, migrate_schema=True)
    try:
        run_id = record_replay(repo, rules, label=f"demo week {inp.start}..{inp.end} (replay)")
    finally:
        repo.close()
    print(f"== 2. stored replay run {run_id} in {args.db}; files in {args.out}/")
    runs = [("replay of the week", run_id)]
    doc.update(week={"run_id": run_id, "neutral": neutral.summary, "rules": rules.summary})
    if not args.skip_day:
        runs.append(("simulated day (the page's default)", _day(args, symbols, doc)))
        _export_rag(args.db, args.start, args.out)
        reports.append(args.out / "day" / REPORT)  # written by _day once parity holds
    print("next: `make api`, then open")
    for what, rid in runs:
        print(f"  {page_url(rid)}   {what}")
    doc.update(db=args.db, out=str(args.out), pages=[page_url(rid) for _, rid in runs])
    print("reports (open from disk in a browser, no server needed):")
    for path in reports:
        print(f"  {path.resolve().as_uri()}")
    return 0


def _day(args: argparse.Namespace, symbols: list[str], doc: dict[str, Any]) -> str:
    """Run the handler-driven day (its own ``local`` run) and return that run's id."""
    from llm_advisor.analysis.rules import RulesAnalyst
    from llm_advisor.local.day import parity_key, run_local_day, synthetic_day_bars
    from llm_advisor.replay.premarket import PremarketInfo
    from llm_advisor.replay.report import write_report
    from llm_advisor.replay.runner import run_replay

    day, history = args.start, 12
    print(f"== 3. one simulated day {day} through the Lambda handlers in-process")
    print("      (moto for DynamoDB/SQS/S3/Secrets, the real alpaca-py client against the local")
    print("       Alpaca stand-in, the rules analyst, the database above)")
    bars = synthetic_day_bars(day, symbols, args.seed, history)
    result = run_local_day(
        day,
        symbols,
        seed=args.seed,
        db_url=args.db,
        history_sessions=history,
        bars=bars,
        account_equity=args.account_equity,
        daily_sessions=DAILY_SESSIONS,
        quiet_alerts=True,  # listed below instead of interleaved with the report
    )
    print(result.report())
    _print_alerts(result.alerts)
    # The replay sizes from its own equity: the broker account's, for a like-for-like check.
    config = StrategyConfig(starting_equity=args.account_equity)
    replay = run_replay(
        config,
        bars,
        day,
        day,
        RulesAnalyst(config),
        daily=result.daily,
        analyst_name="rules",
        premarket=lambda _d: PremarketInfo(biases=dict(result.daily_bias)),
    )
    mine = [parity_key(t) for t in result.trades]
    theirs = [parity_key(t) for t in sorted(replay.trades, key=lambda t: (t.entry_time, t.symbol))]
    if mine == theirs:
        print(f"   parity with the in-process replay: identical ({len(mine)} trades)")
    else:
        # on stderr: an error, shown even with --json
        print("   PARITY BROKEN: the handlers' day and the replay differ", file=sys.stderr)
        for a, b in zip(mine, theirs, strict=False):
            if a != b:
                print(f"     handlers {a}\n     replay   {b}", file=sys.stderr)
        raise SystemExit(1)
    title = f"Demo simulated day {day}: the replay of the handlers' day (identical trades)"
    write_report(args.out / "day", replay, bars, title)
    print(f"   stored as run {result.run_id}")
    doc["day"] = {**result.summary, "parity": "identical"}
    return result.run_id


def _print_alerts(alerts: list[Any], shown: int = 8) -> None:
    """The alerts the day raised (what the owner's e-mail or terminal would have shown)."""
    from llm_advisor.notify.adapters import line

    print(f"   alerts raised: {len(alerts)}")
    for a in alerts[:shown]:
        print(f"     {line(a)}")
    if len(alerts) > shown:
        print(f"     ... and {len(alerts) - shown} more")


def _export_rag(db: str, day: date, out: Path) -> None:
    """Export the simulated day for retrieval (documents under ``out/rag``, vectors in
    ``rag_documents``) so the chat has something to answer from."""
    from datetime import UTC, datetime

    from llm_advisor.rag.embedders import resolve_embedder
    from llm_advisor.rag.export import DirSink, export_day
    from llm_advisor.storage.repository import open_repository

    repo = open_repository(db, migrate_schema=True)
    try:
        result = export_day(repo, day, DirSink(out), resolve_embedder(), datetime.now(UTC))
    finally:
        repo.close()
    print(f"== 4. retrieval documents: {result.line()}")
