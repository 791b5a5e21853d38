"""Replay summary: trades, win rate, P/L and max drawdown overall, by setup and by side.

Computed from closed trades only (exact decimals), so the same numbers can be recomputed
from the database (storage's ``summary_from_db``) and compared to the cent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from llm_advisor.core.models import Advice, Signal, Trade
from llm_advisor.core.money import fmt_decimal
from llm_advisor.live.engine import SignalRecord


def _block(trades: Sequence[Trade]) -> dict[str, Any]:
    wins = sum(1 for t in trades if t.pnl > 0)
    pnl = sum((t.pnl for t in trades), Decimal(0))
    return {
        "trades": len(trades),
        "wins": wins,
        "win_rate": round(wins / len(trades), 4) if trades else None,
        "pnl": fmt_decimal(pnl),
    }


def max_drawdown(start_equity: Decimal, trades: Iterable[Trade]) -> tuple[Decimal, float]:
    """Largest peak-to-trough fall of realized equity, trades taken in exit order."""
    eq = peak = start_equity
    worst = Decimal(0)
    worst_pct = 0.0
    for t in sorted(trades, key=lambda t: (t.exit_time, t.symbol)):
        eq += t.pnl
        peak = max(peak, eq)
        dd = peak - eq
        if dd > worst:
            worst = dd
            worst_pct = float(dd / peak * 100) if peak > 0 else 0.0
    return worst, worst_pct


def summarize(
    trades: Sequence[Trade],
    signals: Sequence[Signal | SignalRecord],
    start_equity: Decimal,
    sessions: int,
) -> dict[str, Any]:
    dd, dd_pct = max_drawdown(start_equity, trades)
    total = sum((t.pnl for t in trades), Decimal(0))
    out = {
        "sessions": sessions,
        **_block(trades),
        "max_drawdown": fmt_decimal(dd),
        "max_drawdown_pct": round(dd_pct, 4),
        "start_equity": fmt_decimal(start_equity),
        "end_equity": fmt_decimal(start_equity + total),
        "signals": len(signals),
        "signals_rejected": sum(1 for s in signals if s.status == "rejected"),
        "by_setup": {k: _block([t for t in trades if t.setup.value == k]) for k in ("MR", "TC")},
        "by_side": {k: _block([t for t in trades if t.side.value == k]) for k in ("long", "short")},
        "by_exit": {
            k: sum(1 for t in trades if t.exit_reason.value == k)
            for k in ("stop", "target", "eod", "kill_switch")
        },
    }
    return out


def render(summary: dict[str, Any]) -> str:
    """Human-readable table of a summary."""
    s = summary
    wr = "n/a" if s["win_rate"] is None else f"{100 * s['win_rate']:.1f}%"
    lines = [
        f"sessions {s['sessions']}  trades {s['trades']}  wins {s['wins']}  win rate {wr}",
        f"P/L {s['pnl']}  max drawdown {s['max_drawdown']} ({s['max_drawdown_pct']:.2f}%)"
        f"  equity {s['start_equity']} -> {s['end_equity']}",
        f"signals {s['signals']} (rejected {s['signals_rejected']})  exits "
        + ", ".join(f"{k} {v}" for k, v in s["by_exit"].items()),
        f"{'':8}{'trades':>8}{'wins':>6}{'win%':>8}{'P/L':>14}",
    ]
    for group in ("by_setup", "by_side"):
        for k, b in s[group].items():
            w = "-" if b["win_rate"] is None else f"{100 * b['win_rate']:.1f}"
            lines.append(f"{k:8}{b['trades']:>8}{b['wins']:>6}{w:>8}{b['pnl']:>14}")
    return "\n".join(lines)


LOUD_FALLBACKS = 3
"""From this many neutral fallbacks on, the report line is a WARNING: a run that quietly
traded on neutral advice would be judged as if the LLM had advised it."""


def analyst_report(advices: Sequence[Advice]) -> list[str]:
    """Who answered the analyses (``bedrock 20, bedrock>anthropic 5``: a fallback chain's
    route) and, when any fell back to neutral because no provider answered, how many and
    why (most frequent reasons first). Empty for a run without an LLM in its chain."""
    answered: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for a in advices:
        _route, sep, why = a.source.partition(":neutral:")
        if sep:
            reasons[" ".join(why.split())[:120] or "no answer"] += 1
        else:
            answered[a.source] += 1
    failed = sum(reasons.values())
    lines: list[str] = []
    if set(answered) - {"rules", "neutral"}:
        by = ", ".join(f"{k} {n}" for k, n in answered.most_common())
        lines.append(f"analyses answered by: {by}")
    if failed:
        top = "; ".join(f"{n}x {why}" for why, n in reasons.most_common(3))
        more = f"; {len(reasons) - 3} other reason(s)" if len(reasons) > 3 else ""
        head = "WARNING: " if failed >= LOUD_FALLBACKS else ""
        lines.append(
            f"{head}{failed} of {len(advices)} analyses fell back to NEUTRAL advice "
            f"(no provider answered): {top}{more}"
        )
    return lines
