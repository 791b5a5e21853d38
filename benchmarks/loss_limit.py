"""How far past the daily loss limit a day can go: the README's overshoot table (issue 11).

The kill switch looks at the day's P/L on bar closes and exits at the next bar's open, so a
day can end below the limit; the opt-in ``risk_budget_check`` refuses entries whose stops
could breach it. This replays the same bars (in-process, no database) for a few limits,
with and without the check, and prints per configuration: the days the kill switch fired,
the worst day's loss as % of start-of-day equity and the worst overshoot beyond the limit
(in % of the limit). Run:

    .venv/bin/python -m benchmarks.loss_limit --bars-dir ../shared/data/bars_1m \\
        --start 2026-01-22 --end 2026-03-19

``--synthetic`` runs the seeded synthetic market instead (no data needed).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import UserError
from llm_advisor.live.engine import Engine
from llm_advisor.replay import inputs
from llm_advisor.replay.runner import run_replay

# (daily_loss_limit_pct, max_risk_per_trade): the default, then tighter limits; a limit
# below the risk per trade is refused at start, so the tightest limit lowers the risk too
CASES: tuple[tuple[float, float], ...] = ((2.0, 1.0), (1.0, 1.0), (1.0, 0.5), (0.5, 0.5))
COLUMNS = (
    "limit %",
    "risk/trade %",
    "risk_budget_check",
    "trades",
    "daily_risk rejects",
    "kill-switch days",
    "days over limit",
    "worst day loss % SOD equity",
    "worst overshoot % of limit",
)


@dataclass(frozen=True)
class Day:
    """One session's outcome as the engine saw it at the close."""

    start_equity: float
    realized: float
    killed: bool

    @property
    def loss_pct(self) -> float:
        return max(0.0, -self.realized) / self.start_equity * 100.0


def measure(
    bars: Mapping[str, pd.DataFrame],
    start: date,
    end: date,
    limit: float,
    risk: float,
    check: bool,
) -> dict[str, str]:
    """Replay once and summarize the days against the limit: one row of the table."""
    cfg = StrategyConfig(
        daily_loss_limit_pct=limit, max_risk_per_trade=risk, risk_budget_check=check
    )
    days: list[Day] = []

    def on_session(_day: date, eng: Engine) -> None:
        days.append(Day(float(eng.day_start_equity), float(eng.realized_today), eng.kill))

    res = run_replay(cfg, bars, start, end, show_progress=False, on_session=on_session)
    over = [d.loss_pct for d in days if d.loss_pct > limit]
    worst = max((d.loss_pct for d in days), default=0.0)
    overshoot = f"{(max(over) - limit) / limit * 100.0:.0f}" if over else "none"
    return {
        "limit %": f"{limit:g}",
        "risk/trade %": f"{risk:g}",
        "risk_budget_check": "on" if check else "off",
        "trades": str(len(res.trades)),
        "daily_risk rejects": str(sum(s.reject_reason == "daily_risk" for s in res.signals)),
        "kill-switch days": f"{sum(d.killed for d in days)} of {len(days)}",
        "days over limit": str(len(over)),
        "worst day loss % SOD equity": f"{worst:.2f}",
        "worst overshoot % of limit": overshoot,
    }


def table(
    bars: Mapping[str, pd.DataFrame],
    start: date,
    end: date,
    cases: Sequence[tuple[float, float]] = CASES,
) -> list[dict[str, str]]:
    return [
        measure(bars, start, end, limit, risk, check)
        for limit, risk in cases
        for check in (False, True)
    ]


def render(rows: Sequence[Mapping[str, str]]) -> str:
    """A Markdown table, numbers right-aligned."""
    head = "| " + " | ".join(COLUMNS) + " |"
    rule = "|" + "|".join("---" if c == "risk_budget_check" else "---:" for c in COLUMNS) + "|"
    body = ["| " + " | ".join(r[c] for c in COLUMNS) + " |" for r in rows]
    return "\n".join([head, rule, *body])


def _date(s: str) -> date:
    try:
        return date.fromisoformat(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {s!r}") from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.loss_limit", description=__doc__)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--bars-dir", type=Path, help="directory of SYMBOL.csv.gz 1-minute bars")
    src.add_argument("--synthetic", action="store_true", help="the seeded synthetic market")
    p.add_argument("--symbols", help="comma-separated (default: every file / 5 synthetic)")
    p.add_argument("--start", type=_date, default=date(2026, 1, 22), help="first session")
    p.add_argument("--end", type=_date, default=date(2026, 3, 19), help="last session")
    p.add_argument("--sessions", type=int, default=5, help="synthetic: sessions (default 5)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    syms = [s.strip().upper() for s in args.symbols.split(",")] if args.symbols else None
    try:
        if args.synthetic:
            names = syms or ["AAA", "BBB", "CCC", "DDD", "EEE"]
            inp = inputs.synthetic(names, date(2026, 3, 2), args.sessions, history=20)
        else:
            if not args.bars_dir.is_dir():
                raise UserError(f"--bars-dir {args.bars_dir}: not a directory")
            inp = inputs.from_directory(args.bars_dir, syms, args.start, args.end)
        rows = table(inp.bars, inp.start, inp.end)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{inp.source} {inp.start}..{inp.end}, {len(inp.bars)} symbols")
    print(render(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
