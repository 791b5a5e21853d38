"""``demo``: the whole system on embedded defaults — no keys, no Docker, no network.

1. A synthetic week for the default watchlist replayed twice, with neutral multipliers and
   with the offline rules analyst, to show the analyst's advice changing decisions.
2. The rules-analyst run stored in the local SQLite database (``make api`` serves it).
3. One simulated trading day driven through the real Lambda handlers in-process (moto for
   AWS, the Alpaca stand-in for the broker), checked trade for trade against the replay.
"""

from __future__ import annotations

import argparse
import os
from datetime import date
from pathlib import Path
from typing import Any

from llm_advisor.core.config import DEFAULT_WATCHLIST, StrategyConfig
from llm_advisor.replay.summary import render

DEFAULT_DB = "sqlite:///data/llm_advisor.sqlite3"


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="simulated week + simulated day through the handlers")
    p.add_argument("--start", type=date.fromisoformat, default=date(2026, 3, 2))
    p.add_argument("--sessions", type=int, default=5)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--symbols", default=",".join(DEFAULT_WATCHLIST))
    p.add_argument("--db", default=os.environ.get("ADVISOR_DB_URL", DEFAULT_DB))
    p.add_argument("--out", type=Path, default=Path("out/demo"))
    p.add_argument("--skip-day", action="store_true", help="skip the handler-driven day")
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
    from llm_advisor.premarket.bias.model import load_bias_model
    from llm_advisor.premarket.pipeline import daily_from_minutes
    from llm_advisor.replay import inputs
    from llm_advisor.replay.outputs import write_outputs
    from llm_advisor.replay.premarket import ReplayPremarket
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
    repo = open_repository(args.db, migrate_schema=True)
    run_id = record_replay(repo, rules)
    print(f"== 2. stored run {run_id} in {args.db}; files in {args.out}/")
    if not args.skip_day:
        _day(args, symbols)
    print("next: `make api` and open the page it prints to browse these results")
    return 0


def _day(args: argparse.Namespace, symbols: list[str]) -> None:
    from llm_advisor.analysis.rules import RulesAnalyst
    from llm_advisor.local.day import parity_key, run_local_day, synthetic_day_bars
    from llm_advisor.replay.premarket import PremarketInfo
    from llm_advisor.replay.runner import run_replay

    day, history = args.start, 12
    print(f"== 3. one simulated day {day} through the Lambda handlers in-process")
    print("      (moto for DynamoDB/SQS/S3/Secrets, the real alpaca-py client against the local")
    print("       Alpaca stand-in, the rules analyst, the database above)")
    bars = synthetic_day_bars(day, symbols, args.seed, history)
    result = run_local_day(
        day, symbols, seed=args.seed, db_url=args.db, history_sessions=history, bars=bars
    )
    print(result.report())
    config = StrategyConfig()
    replay = run_replay(
        config,
        bars,
        day,
        day,
        RulesAnalyst(config),
        analyst_name="rules",
        premarket=lambda _d: PremarketInfo(biases=dict(result.daily_bias)),
    )
    mine = [parity_key(t) for t in result.trades]
    theirs = [parity_key(t) for t in sorted(replay.trades, key=lambda t: (t.entry_time, t.symbol))]
    if mine == theirs:
        print(f"   parity with the in-process replay: identical ({len(mine)} trades)")
    else:
        print("   PARITY BROKEN: the handlers' day and the replay differ")
        for a, b in zip(mine, theirs, strict=False):
            if a != b:
                print(f"     handlers {a}\n     replay   {b}")
        raise SystemExit(1)
