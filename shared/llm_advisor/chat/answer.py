"""The deterministic answerer: plain sentences built only from a tool result.

It needs no model and no credentials, and because every figure it writes is copied from
the rows it is the answer the number check falls back to. Sentences name the run and the
dates used, so an interpretation of "last week" is visible in the answer itself.
"""

from __future__ import annotations

from typing import Any

from llm_advisor.chat.models import ToolResult
from llm_advisor.chat.numbers import dec, money
from llm_advisor.chat.parse import Question

MAX_LINES = 12

HELP = (
    "I can answer questions about this run's records, for example: "
    '"What were the daily biases for NVDA on October 27th?", '
    '"What is the P/L over the last 5 days?", '
    '"Show me all trades executed in the last week", '
    '"Show me NVDA\'s losing trades this month", '
    '"What positions are open?", '
    '"What did the analyst think of the open?", '
    '"Why did we short NVDA on Tuesday?", '
    '"Which signals fired for SPY yesterday?" or '
    '"What were the features of TSLA on March 2?".'
)


def _clip(text: str, n: int) -> str:
    """At most ``n`` characters, cut at a space: a cut inside "547.10" would misquote it."""
    return text if len(text) <= n else text[:n].rsplit(" ", 1)[0] + " ..."


def _for(q: Question) -> str:
    return f" for {', '.join(q.symbols)}" if q.symbols else ""


def _trade_line(r: dict[str, Any]) -> str:
    return (
        f"#{r['id']} {r['date']} {r['entry_time']} {r['symbol']} {r['setup']} {r['side']} "
        f"x{r['qty']} @ {r['entry_price']} -> {r['exit_time']} @ {r['exit_price']} "
        f"({r['exit_reason']}), P/L {money(dec(r['pnl']), signed=True)}"
    )


def _more(n: int) -> str:
    return f" ...and {n - MAX_LINES} more (see the table)." if n > MAX_LINES else ""


def bias(q: Question, r: ToolResult) -> str:
    day = r.facts["date"]
    if not r.rows:
        return f"No daily bias is stored{_for(q)} on {day}."
    parts = []
    for row in r.rows:
        htf = f", higher timeframe {row['htf_bias']}" if row["htf_bias"] else ""
        parts.append(f"{row['symbol']} {row['bias']} (confidence {row['confidence']}{htf})")
    return f"Daily bias on {day}: " + "; ".join(parts) + "."


def trades(q: Question, r: ToolResult, label: str) -> str:
    f = r.facts
    what = "trade" if f["count"] == 1 else "trades"
    if not f["count"]:
        return f"No {_kind(q)}trades{_for(q)} {label}."
    head = (
        f"{f['count']} {_kind(q)}{what}{_for(q)} {label}, realized P/L "
        f"{money(dec(f['total_pnl']), signed=True)} ({f['wins']} winning, {f['losses']} losing):"
    )
    lines = [_trade_line(x) for x in r.rows[:MAX_LINES]]
    cut = " (only the first rows were read)" if f.get("truncated") else ""
    return head + "\n" + "\n".join(lines) + _more(len(r.rows)) + cut


def _kind(q: Question) -> str:
    f = q.filters
    words = [
        {"win": "winning", "loss": "losing"}.get(f.outcome or "", ""),
        f.setup or "",
        f.side or "",
        {"stop": "stopped-out", "target": "target-hit", "eod": "end-of-day"}.get(
            f.exit_reason or "", ""
        ),
    ]
    text = " ".join(w for w in words if w)
    return text + " " if text else ""


def pnl(q: Question, r: ToolResult, label: str) -> str:
    f = r.facts
    if not f["trades"]:
        return f"No closed trades {label}, so no realized P/L (0 trades)."
    day_word = "session" if f["sessions"] == 1 else "sessions"
    return (
        f"Realized P/L {label}: {money(dec(f['total_realized']), signed=True)} from "
        f"{f['trades']} trades on {f['sessions']} {day_word} (win rate {f['win_rate_pct']}%, "
        f"fees {money(dec(f['total_fees']))}, max drawdown {money(dec(f['max_drawdown']))})."
    )


def symbol_pnl(q: Question, r: ToolResult, label: str) -> str:
    f = r.facts
    if not f["count"]:
        return f"No closed trades{_for(q)} {label}, so no realized P/L (0 trades)."
    return (
        f"Realized P/L{_for(q)} {label}: {money(dec(f['total_pnl']), signed=True)} from "
        f"{f['count']} trades ({f['wins']} winning, {f['losses']} losing)."
    )


def positions(q: Question, r: ToolResult) -> str:
    if not r.rows:
        return "No open positions."
    lines = [
        f"{p['symbol']} {p['side']} x{p['qty']} @ {p['entry_price']} since {p['entry_time']}"
        + (f", stop {p['stop_price']}" if p["stop_price"] else "")
        + (f", target {p['target_price']}" if p["target_price"] else "")
        + (
            f", unrealized {money(dec(p['unrealized_pnl']), signed=True)}"
            if p["unrealized_pnl"]
            else ""
        )
        for p in r.rows
    ]
    return f"{len(r.rows)} open position(s):\n" + "\n".join(lines)


def analysis(q: Question, r: ToolResult, when: str) -> str:
    if not r.rows:
        return f"No market analysis is stored {when}."
    a = r.rows[0]
    return (
        f"Market analysis of {a['time']} ET ({a['provider']}): {a['assessment']}, confidence "
        f"{a['confidence']}; threshold multipliers MR arm {a['mult_mr_arm']:.2f}, MR trigger "
        f"{a['mult_mr_trigger']:.2f}, TC arm {a['mult_tc_arm']:.2f}, TC trigger "
        f"{a['mult_tc_trigger']:.2f}. Reasoning: {r.facts['reasoning']}"
    )


def signals(q: Question, r: ToolResult, label: str) -> str:
    if not r.rows:
        return f"No signals{_for(q)} {label}."
    lines = [
        f"{s['time']} {s['symbol']} {s['setup']} {s['side']} z {s['z']} at {s['ref_price']}: "
        f"{s['status']}" + (f" ({s['reject_reason']})" if s["reject_reason"] else "")
        for s in r.rows[:MAX_LINES]
    ]
    return f"{len(r.rows)} signal(s){_for(q)} {label}:\n" + "\n".join(lines) + _more(len(r.rows))


def features(q: Question, r: ToolResult) -> str:
    f = r.facts
    if not r.rows:
        return f"No per-minute features are logged for {f['symbol']} on {f['date']}."
    last = r.rows[-1]
    return (
        f"{f['symbol']} on {f['date']}: {f['minutes']} logged minutes, largest |z| "
        f"{f['max_abs_z']}; last minute {last['time']} ET close {last['close']}, z {last['z']}, "
        f"state {last['state']}."
    )


def why(q: Question, r: ToolResult, label: str) -> str:
    if not r.rows:
        return f"No {_kind(q)}trades{_for(q)} {label}, so there is no decision to explain."
    out = []
    for j in r.rows:
        s = (
            f"Trade #{j['id']}: {j['symbol']} {j['setup']} {j['side']} x{j['qty']} entered "
            f"{j['date']} {j['entry_time']} ET @ {j['entry_price']}."
        )
        if j.get("signal_z") is not None:
            s += (
                f" The signal at {j['signal_time']} ET had z {j['signal_z']} against arm "
                f"{j['arm_z']} / trigger {j['trigger_z']} (thresholds after the analyst's "
                f"multipliers); stop {j['stop_price']}, target {j['target_price']}; "
                f"validation {j['validation']}."
            )
        if j.get("analysis"):
            s += (
                f" The analyst's view at {j['analysis_time']} ET was {j['analysis']} "
                f"(confidence {j['analysis_confidence']})."
            )
        if j.get("bias"):
            s += f" The day's bias was {j['bias']} (confidence {j['bias_confidence']})."
        s += (
            f" It exited at {j['exit_time']} ET @ {j['exit_price']} ({j['exit_reason']}), "
            f"P/L {money(dec(j['pnl']), signed=True)}."
        )
        out.append(s)
    if r.facts["count"] > len(r.rows):
        out.append(f"({r.facts['count']} matching trades; the first {len(r.rows)} shown.)")
    if r.texts:
        notes = "; ".join(f"[{t.kind} {t.record_id}] {_clip(t.text, 200)}" for t in r.texts)
        out.append(f"Related records (quoted, not verified): {notes}")
    return "\n".join(out)
