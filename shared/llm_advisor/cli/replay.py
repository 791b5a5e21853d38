"""``replay``: run sessions through the engine and write trades.csv / signals.csv."""

from __future__ import annotations

import argparse
import os
from datetime import date
from pathlib import Path
from typing import Any

from llm_advisor.core.config import DEFAULT_WATCHLIST, StrategyConfig, parse_set_args
from llm_advisor.core.errors import UserError
from llm_advisor.replay.outputs import write_outputs
from llm_advisor.replay.summary import render

DEFAULT_DB = "sqlite:///data/llm_advisor.sqlite3"


def _date(s: str) -> date:
    try:
        return date.fromisoformat(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {s!r}") from None


def _symbols(s: str) -> list[str]:
    return [p.strip().upper() for p in s.split(",") if p.strip()]


def add_common(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group()
    src.add_argument("--bars-dir", type=Path, help="directory of SYMBOL.csv.gz 1-minute bars")
    src.add_argument("--synthetic", action="store_true", help="use the seeded synthetic market")
    p.add_argument("--symbols", type=_symbols, help="comma-separated (default: all / watchlist)")
    p.add_argument("--start", type=_date, help="first session YYYY-MM-DD")
    p.add_argument("--end", type=_date, help="last session YYYY-MM-DD")
    p.add_argument("--sessions", type=int, default=5, help="synthetic: sessions (default 5)")
    p.add_argument("--seed", type=int, default=7, help="synthetic: seed (default 7)")
    p.add_argument("--daily-dir", type=Path, help="daily bars (else aggregated from minutes)")
    p.add_argument("--equity", type=float, help="starting equity (default 100000)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a setting")
    p.add_argument(
        "--analyst",
        default="neutral",
        choices=["neutral", "rules", "bedrock", "bedrock-converse", "anthropic", "replay"],
        help="who sets the threshold multipliers (default neutral)",
    )
    p.add_argument("--ledger", type=Path, default=Path("data/llm_ledger.jsonl"))
    p.add_argument("--news-file", type=Path, help="headlines CSV for the analyst's news summary")


def register(sub: Any) -> None:
    p = sub.add_parser("replay", help="replay sessions through the engine")
    add_common(p)
    p.add_argument("--out", type=Path, default=Path("out/replay"), help="output directory")
    p.add_argument("--db", default=os.environ.get("ADVISOR_DB_URL", DEFAULT_DB))
    p.add_argument("--no-db", action="store_true", help="do not store the run")
    p.add_argument(
        "--compare",
        action="store_true",
        help="neutral vs analyst vs analyst shuffled in time, side by side",
    )
    p.set_defaults(func=run)


def build_config(args: argparse.Namespace) -> StrategyConfig:
    overrides = parse_set_args(args.set)
    if args.equity is not None:
        overrides["starting_equity"] = str(args.equity)
    return StrategyConfig().with_overrides(overrides)


def load_inputs(args: argparse.Namespace) -> Any:
    from llm_advisor.replay import inputs

    if args.synthetic:
        start = args.start or date(2026, 3, 2)
        return inputs.synthetic(
            args.symbols or list(DEFAULT_WATCHLIST), start, args.sessions, seed=args.seed
        )
    if args.bars_dir is None:
        raise UserError("give --bars-dir DIR or --synthetic")
    if args.start is None or args.end is None:
        raise UserError("--start and --end are required with --bars-dir")
    if args.end < args.start:
        raise UserError(f"--end={args.end} is before --start={args.start}")
    return inputs.from_directory(args.bars_dir, args.symbols, args.start, args.end, args.daily_dir)


def make_analyst(name: str, config: StrategyConfig, ledger: Path) -> Any:
    if name == "neutral":
        return None
    from llm_advisor.analysis.factory import make_analyst as factory
    from llm_advisor.analysis.ledger import JsonlLedger
    from llm_advisor.core.clock import SystemClock
    from llm_advisor.core.config import settings_from_env

    ledger.parent.mkdir(parents=True, exist_ok=True)
    return factory(name, settings_from_env(), config, JsonlLedger(ledger), SystemClock())


def premarket_hook(args: argparse.Namespace, inp: Any) -> Any:
    """Biases and news for the analyst, from the premarket step's own functions."""
    from llm_advisor.premarket.bias.model import load_bias_model
    from llm_advisor.premarket.news.files import read_news_csv
    from llm_advisor.replay.premarket import ReplayPremarket

    news = read_news_csv(args.news_file) if args.news_file else []
    return ReplayPremarket(list(inp.bars), inp.daily, load_bias_model(), news)


def contamination_note(name: str, sessions: list[date]) -> str:
    from llm_advisor.analysis.factory import session_contamination
    from llm_advisor.core.config import settings_from_env

    info = session_contamination(name, settings_from_env(), sessions)
    flagged = info["contaminated_sessions"]
    if not flagged:
        return ""
    return (
        f"WARNING: {len(flagged)} of {len(sessions)} sessions predate {info['model']}'s "
        f"knowledge cutoff ({info['knowledge_cutoff']}): its advice on them may reflect "
        "what it learned about those days (look-ahead). Judge the LLM on later sessions."
    )


def run(args: argparse.Namespace) -> int:
    from functools import partial

    from llm_advisor.replay.runner import run_replay

    config = build_config(args)
    inp = load_inputs(args)
    analyst = make_analyst(args.analyst, config, args.ledger)
    pre = premarket_hook(args, inp) if analyst is not None else None
    if args.compare:
        from llm_advisor.analysis.attribution import compare

        if analyst is None:
            raise UserError("--compare needs an analyst: --analyst rules|bedrock|anthropic|replay")
        runner = partial(run_replay, premarket=pre, analyst_name=args.analyst)
        report = compare(
            config,
            inp.bars,
            inp.start,
            inp.end,
            analyst,
            daily=inp.daily,
            analyst_name=args.analyst,
            run_replay=runner,
        )
        print(report.render())
        note = contamination_note(args.analyst, report.sessions)
        if note:
            print(note)
        return 0
    result = run_replay(
        config,
        inp.bars,
        inp.start,
        inp.end,
        analyst,
        daily=inp.daily,
        analyst_name=args.analyst,
        premarket=pre,
    )
    write_outputs(args.out, result.trades, result.signals, result.summary)
    print(f"replay {inp.source} {inp.start}..{inp.end} symbols {','.join(result.symbols)}")
    print(render(result.summary))
    note = contamination_note(args.analyst, result.sessions)
    if note:
        print(note)
    print(f"wrote {args.out / 'trades.csv'} and {args.out / 'signals.csv'}")
    if not args.no_db:
        from llm_advisor.storage.replay_store import record_replay
        from llm_advisor.storage.repository import open_repository

        repo = open_repository(args.db, migrate_schema=True)
        run_id = record_replay(repo, result)
        print(f"stored run {run_id} in {args.db}")
    return 0
