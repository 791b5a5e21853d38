"""Prompt text built from a ``MarketView``: compact, deterministic, bounded, fenced.

Deterministic because the request hash (and so replay) depends on every byte: rows are
sorted, numbers formatted with fixed precision, and the *date* is left out on purpose (the
time of day is enough to advise, and a date invites the model to recall what happened that
day, which would contaminate a backtest). Bounded because large universes would blow the
token budget: the universe is summarized in one line and only the symbols with the largest
|z| (the ones near a threshold) get a row, as many as fit. Fenced because news and names
are third-party text: they go inside ``<untrusted>`` blocks, stripped of angle brackets so
they cannot close the fence, and the system prompt says such text is data.
"""

from __future__ import annotations

import math
import statistics
from functools import lru_cache
from importlib import resources

from llm_advisor.core.calendar import NY
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import MarketView, Signal, State, SymbolView

# Approximate tokens as characters / 3.5: Claude's tokenizer is not available offline, and
# numeric tables tokenize denser than prose (~4 chars/token), so this errs on the high side.
CHARS_PER_TOKEN = 3.5
# Tokens Anthropic adds to the system prompt when a tool is forced (``tool_choice: tool``).
TOOL_USE_OVERHEAD_TOKENS = 313
DEFAULT_USER_BUDGET_TOKENS = 4600
NEWS_MAX_CHARS = 700

_STATE = {
    State.IDLE: "I",
    State.MR_ARMED: "MRA",
    State.TC_ARMED: "TCA",
    State.TC_PULLBACK: "TCP",
    State.IN_POSITION: "POS",
    State.COOLDOWN: "CD",
    State.DONE: "X",
}
_BIAS = {"bullish": "bull", "bearish": "bear", "neutral": "neut", "choppy": "chop"}


def approx_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@lru_cache(maxsize=4)
def system_prompt(name: str) -> str:
    return (
        resources.files("llm_advisor.analysis")
        .joinpath(f"prompts/{name}_system.md")
        .read_text("utf-8")
        .strip()
    )


def fence(text: str, source: str, max_chars: int = NEWS_MAX_CHARS) -> str:
    """Wrap third-party text so it cannot pose as instructions or close its fence."""
    clean = " ".join(text.replace("<", "(").replace(">", ")").split())
    if len(clean) > max_chars:
        clean = clean[: max_chars - 3] + "..."
    return f'<untrusted source="{source}">\n{clean}\n</untrusted>'


def _f(x: float | None, fmt: str) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    return format(x, fmt)


def _bias(b: str | None) -> str:
    return _BIAS.get((b or "").lower(), "-") if b else "-"


def _range_pct(s: SymbolView) -> float | None:
    if s.interval_high is None or s.interval_low is None or not s.last_close:
        return None
    return (s.interval_high - s.interval_low) / s.last_close * 100.0


def symbol_row(s: SymbolView) -> str:
    daily = _bias(s.daily_bias)
    if daily != "-" and s.daily_bias_confidence is not None:
        daily += f"({_f(s.daily_bias_confidence, '.0f')}%)"
    return ",".join(
        [
            s.symbol,
            _STATE.get(s.state, "?"),
            _f(s.z, "+.2f"),
            _f(s.atr_percentile, ".0f"),
            _bias(s.htf_bias),
            daily,
            _f(s.interval_return_pct, "+.2f"),
            _f(_range_pct(s), ".2f"),
            str(s.trades_today),
        ]
    )


ROW_HEADER = "sym,state,z,atr_pct,htf,daily(conf),ret%,range%,trades"
LEGEND = (
    "state: I idle, MRA/TCA mr/tc armed, TCP tc pullback, POS position, CD cooldown, X done; "
    "atr_pct: daily ATR percentile; ret%, range%: last interval."
)


def _universe_line(view: MarketView) -> str:
    syms = view.symbols
    n = len(syms)
    up = sum(1 for s in syms if (s.interval_return_pct or 0.0) > 0)
    down = sum(1 for s in syms if (s.interval_return_pct or 0.0) < 0)
    atrp = [s.atr_percentile for s in syms if math.isfinite(s.atr_percentile)]
    zs = [s.z for s in syms if s.z is not None and math.isfinite(s.z)]
    htf = {k: sum(1 for s in syms if _bias(s.htf_bias) == k) for k in ("bull", "bear", "neut")}
    daily = {k: sum(1 for s in syms if _bias(s.daily_bias) == k) for k in ("bull", "bear", "chop")}
    armed = sum(1 for s in syms if s.state in (State.MR_ARMED, State.TC_ARMED, State.TC_PULLBACK))
    return (
        f"Universe: {n} symbols; last interval up {up} / down {down}; "
        f"median atr_pct {_f(statistics.median(atrp) if atrp else None, '.0f')}; "
        f"mean z {_f(statistics.fmean(zs) if zs else None, '+.2f')}; "
        f"htf bull {htf['bull']} / bear {htf['bear']} / neut {htf['neut']}; "
        f"daily bull {daily['bull']} / bear {daily['bear']} / chop {daily['chop']}; "
        f"armed {armed}."
    )


def rank_by_abs_z(symbols: list[SymbolView]) -> list[SymbolView]:
    """Largest |z| first (undefined z last), ties by symbol: near-threshold symbols first."""

    def key(s: SymbolView) -> tuple[int, float, str]:
        if s.z is None or not math.isfinite(s.z):
            return (1, 0.0, s.symbol)
        return (0, -abs(s.z), s.symbol)

    return sorted(symbols, key=key)


def analysis_prompt(
    view: MarketView,
    config: StrategyConfig,
    budget_tokens: int = DEFAULT_USER_BUDGET_TOKENS,
) -> str:
    """The user message of a market analysis, at most ``budget_tokens`` (approximately)."""
    t = view.as_of.astimezone(NY)
    head = [
        f"Time: {t:%H:%M} ET. Analysis interval: {config.analysis_interval_minutes} min.",
        (
            f"Base z thresholds: mr_arm {config.mr_arm_z:g}, mr_trigger {config.mr_trigger_z:g}, "
            f"tc_arm {config.tc_arm_z:g}, tc_trigger {config.tc_trigger_z:g}. "
            f"Multipliers allowed {config.multiplier_min:g}-{config.multiplier_max:g}."
        ),
        (
            f"Portfolio: {view.open_positions} open positions, realized P/L today "
            f"${view.realized_pnl_today:.2f}."
        ),
        f"VIX: {_f(view.vix, '.1f')}.",
        _universe_line(view),
    ]
    tail: list[str] = []
    if view.news_summary.strip():
        tail.append("Premarket news summary:")
        tail.append(fence(view.news_summary, "news"))

    fixed = "\n".join([*head, LEGEND, ROW_HEADER, *tail])
    remaining = budget_tokens * CHARS_PER_TOKEN - len(fixed) - 80
    ranked = rank_by_abs_z(view.symbols)
    rows: list[str] = []
    for s in ranked:
        row = symbol_row(s)
        if len(row) + 1 > remaining:
            break
        rows.append(row)
        remaining -= len(row) + 1
    shown = (
        f"Symbols (all {len(rows)}):"
        if len(rows) == len(ranked)
        else f"Symbols: the {len(rows)} of {len(ranked)} with the largest |z|."
    )
    return "\n".join([*head, shown, LEGEND, ROW_HEADER, *rows, *tail])


def validation_prompt(signal: Signal, view: MarketView) -> str:
    """The user message of a trade validation: the signal, its symbol's row, the market."""
    t = signal.signal_time.astimezone(NY)
    rr = None
    if signal.stop_price is not None and signal.target_price is not None:
        risk = abs(signal.ref_price - signal.stop_price)
        rr = abs(signal.target_price - signal.ref_price) / risk if risk > 0 else None
    lines = [
        f"Signal at {t:%H:%M} ET: {signal.setup.value} {signal.side.value} {signal.symbol} "
        f"qty {signal.qty} at ~{signal.ref_price:.2f}, stop {_f(signal.stop_price, '.2f')}, "
        f"target {_f(signal.target_price, '.2f')}, reward/risk {_f(rr, '.2f')}, "
        f"z {signal.z:+.2f}, atr_5m {_f(signal.atr_5m, '.3f')}.",
        (
            f"Thresholds used: mr_arm {signal.mr_arm_z:.2f}, mr_trigger {signal.mr_trigger_z:.2f}, "
            f"tc_arm {signal.tc_arm_z:.2f}, tc_trigger {signal.tc_trigger_z:.2f}."
        ),
        f"Portfolio: {view.open_positions} open positions, realized P/L today "
        f"${view.realized_pnl_today:.2f}. VIX: {_f(view.vix, '.1f')}.",
        _universe_line(view),
        ROW_HEADER,
    ]
    mine = [s for s in view.symbols if s.symbol == signal.symbol]
    lines.extend(symbol_row(s) for s in mine)
    lines.append(LEGEND)
    if view.news_summary.strip():
        lines.append("Premarket news summary:")
        lines.append(fence(view.news_summary, "news", max_chars=800))
    return "\n".join(lines)
