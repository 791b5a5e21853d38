"""LLM figures: input tokens per analysis (5 and 500 symbols) and cost per trading day.

Tokens are approximated offline as characters / 3.5 (``prompts.approx_tokens``; Claude's
tokenizer is not available without the API, and dense numeric tables run denser than the
~4 characters per token of prose, so this errs high) plus Anthropic's fixed tool-use system
overhead. Input = system prompt + user prompt + tool name/description/schema + overhead.
Goals (issue 4): <= 2,000 input tokens at 5 symbols, <= 6,000 at 500, <= $0.05 per day for
5 symbols at list prices with 26 analyses a day.

Then the cost of a real day (issue 13): the rules analyst's prompts of 2026-03-06 recorded
by a replay (``analysis.cost_day``: 5 symbols from ../shared/data/bars_1m, 50 from
bars_5m, the only set with 50 symbols, replayed on the same minute grid), with one
validation per accepted signal, priced per provider, model and caching choice from the dated
table ``analysis/price_table.py`` (``analysis.cost_model``; same table as
``python -m llm_advisor llm-cost``).
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from llm_advisor.analysis.analyzer import TOOL_DESCRIPTION, TOOL_NAME
from llm_advisor.analysis.pricing import PriceTable
from llm_advisor.analysis.prompts import (
    CHARS_PER_TOKEN,
    TOOL_USE_OVERHEAD_TOKENS,
    analysis_prompt,
    approx_tokens,
    system_prompt,
    validation_prompt,
)
from llm_advisor.analysis.rules import rules_analysis
from llm_advisor.analysis.schemas import AnalysisAnswer, ValidationVerdict, tool_schema
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import MarketView, Setup, Side, Signal, State, SymbolView

ANALYSES_PER_DAY = 26
SHARED = Path(
    os.environ.get(
        "LLM_ADVISOR_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"
    )
)
REAL_DAY = date(2026, 3, 6)
AS_OF = datetime(2026, 3, 2, 15, 15, tzinfo=UTC)
NEWS = (
    "Futures edge higher ahead of the jobs report; chipmakers extend gains after a strong "
    "guidance update from a large GPU maker; oil slips 1% on inventory build; Treasury yields "
    "steady near 4.2%; a large EV maker faces a recall probe covering 200k vehicles; small caps "
    "lag as regional banks report deposit outflows; the Fed's Beige Book is due at 14:00 ET. "
) * 3  # ~1,100 characters: a full premarket summary
TYPICAL_ANSWER = {
    "market_assessment": "bullish",
    "opportunities": ["NVDA", "QQQ", "SPY"],
    "confidence": 68,
    "threshold_multipliers": {"mr_arm": 1.15, "mr_trigger": 1.0, "tc_arm": 0.85, "tc_trigger": 1.0},
    "per_symbol": {"TSLA": {"mr_arm": 1.3, "tc_arm": 1.1}},
    "reasoning": "One-way strength with agreeing biases: favour continuation, fade less.",
}


def _view(n: int) -> MarketView:
    syms = []
    for i in range(n):
        price = 20.0 + (i * 37) % 480
        syms.append(
            SymbolView(
                symbol=f"S{i:03d}" if n > 5 else ("SPY", "QQQ", "IWM", "NVDA", "TSLA")[i],
                last_close=price,
                z=((i * 53) % 500 - 250) / 100.0,
                mu=price * 0.999,
                sigma=price * 0.002,
                atr_5m=price * 0.0015,
                state=State.MR_ARMED if i % 11 == 0 else State.IDLE,
                htf_bias=("bullish", "bearish", "neutral")[i % 3],
                atr_percentile=float((i * 29) % 100),
                daily_bias=("bullish", "bearish", "choppy")[(i + 1) % 3],
                daily_bias_confidence=0.5 + (i % 45) / 100,
                interval_return_pct=((i * 7) % 41 - 20) / 20,
                interval_high=price * 1.003,
                interval_low=price * 0.996,
                trades_today=i % 3,
            )
        )
    return MarketView(
        as_of=AS_OF,
        session_date="2026-03-02",
        symbols=syms,
        news_summary=NEWS,
        vix=18.7,
        open_positions=2,
        realized_pnl_today=Decimal("312.40"),
    )


def _tool_tokens(schema: dict[str, object], name: str, description: str) -> int:
    return approx_tokens(name + description + json.dumps(schema, separators=(",", ":")))


def analysis_input_tokens(n: int, cfg: StrategyConfig) -> int:
    user = analysis_prompt(_view(n), cfg)
    return (
        approx_tokens(system_prompt("analysis"))
        + approx_tokens(user)
        + _tool_tokens(tool_schema(AnalysisAnswer), TOOL_NAME, TOOL_DESCRIPTION)
        + TOOL_USE_OVERHEAD_TOKENS
    )


def run() -> list[str]:
    cfg = StrategyConfig()
    prices = PriceTable()
    out_tokens = approx_tokens(json.dumps(TYPICAL_ANSWER)) + 20  # + tool_use block framing
    lines = []
    for n, goal in ((5, 2000), (500, 6000)):
        tin = analysis_input_tokens(n, cfg)
        ok = "ok" if tin <= goal else "OVER GOAL"
        lines.append(f"llm: analysis input tokens at {n} symbols ~{tin:,} (goal <= {goal:,}) {ok}")
    lines.append(f"llm: analysis output tokens (typical answer) ~{out_tokens}")
    tin5 = analysis_input_tokens(5, cfg)
    for model in ("claude-haiku-4-5", "claude-sonnet-4-5"):
        day = prices.cost(model, tin5, out_tokens) * ANALYSES_PER_DAY
        worst = prices.cost(model, tin5, 400) * ANALYSES_PER_DAY  # max_tokens cap
        ok = "ok" if day <= Decimal("0.05") else "over goal"
        lines.append(
            f"llm: cost/day at 5 symbols, {ANALYSES_PER_DAY} analyses, {model}: "
            f"${day:.4f} typical, ${worst:.4f} at max_tokens (goal <= $0.05: {ok})"
        )
    # The same at the common rule of thumb of 4 characters per token (prose-like text).
    tin5_4 = (
        round((tin5 - TOOL_USE_OVERHEAD_TOKENS) * CHARS_PER_TOKEN / 4) + TOOL_USE_OVERHEAD_TOKENS
    )
    out_4 = round(out_tokens * CHARS_PER_TOKEN / 4)
    day4 = prices.cost("claude-haiku-4-5", tin5_4, out_4) * ANALYSES_PER_DAY
    lines.append(
        f"llm: at chars/4 instead: {tin5_4:,} in / {out_4} out per analysis, "
        f"${day4:.4f}/day (Haiku 4.5, 5 symbols)"
    )
    tin500 = analysis_input_tokens(500, cfg)
    day500 = prices.cost("claude-haiku-4-5", tin500, out_tokens) * ANALYSES_PER_DAY
    lines.append(f"llm: cost/day at 500 symbols, claude-haiku-4-5: ${day500:.4f}")
    sig = Signal(
        signal_time=AS_OF,
        symbol="NVDA",
        setup=Setup.TC,
        side=Side.LONG,
        status="accepted",
        z=0.6,
        ref_price=131.77,
        atr_5m=0.42,
        risk_per_share=0.588,
        stop_price=131.18,
        target_price=132.66,
        qty=120,
        equity=Decimal(100000),
        mr_arm_z=1.2,
        mr_trigger_z=0.6,
        tc_arm_z=1.8,
        tc_trigger_z=0.6,
        mult_mr_arm=1,
        mult_mr_trigger=1,
        mult_tc_arm=1,
        mult_tc_trigger=1,
        client_order_id="x",
    )
    v5 = _view(5).model_copy(update={"symbols": [*_view(5).symbols]})
    vin = (
        approx_tokens(system_prompt("validation"))
        + approx_tokens(validation_prompt(sig.model_copy(update={"symbol": "SPY"}), v5))
        + _tool_tokens(tool_schema(ValidationVerdict), "trade_verdict", "")
        + TOOL_USE_OVERHEAD_TOKENS
    )
    lines.append(
        f"llm: validation input tokens per signal ~{vin:,}, "
        f"${prices.cost('claude-haiku-4-5', vin, 80):.5f} each (Haiku 4.5)"
    )
    big = _view(500)
    t = time.perf_counter()
    reps = 50
    for _ in range(reps):
        rules_analysis(big, cfg)
    ms = (time.perf_counter() - t) / reps * 1000
    t = time.perf_counter()
    for _ in range(reps):
        analysis_prompt(big, cfg)
    pms = (time.perf_counter() - t) / reps * 1000
    lines.append(f"llm: rules analyst at 500 symbols {ms:.2f} ms; prompt build {pms:.2f} ms")
    return [*lines, *real_day()]


def real_day() -> list[str]:
    """The priced table of a recorded real day at 5 and 50 symbols."""
    from llm_advisor.analysis.cost_day import record_day
    from llm_advisor.analysis.cost_model import cost_report, render
    from llm_advisor.analysis.ledger import InMemoryLedger
    from llm_advisor.data.barfiles import BarDirectory

    if not (SHARED / "bars_1m").is_dir() or not (SHARED / "bars_5m").is_dir():
        return [f"llm: real-day cost skipped ({SHARED} has no bars_1m/bars_5m)"]
    ledger = InMemoryLedger()
    lines = []
    for bars, symbols in (
        ("bars_1m", ["SPY", "QQQ", "NVDA", "META", "AVGO"]),
        ("bars_5m", BarDirectory(SHARED / "bars_5m").symbols()[:50]),
    ):
        rec = record_day(
            SHARED / bars,
            REAL_DAY,
            symbols,
            ledger,
            daily_dir=SHARED / "daily",
            news_file=SHARED / "news" / "headlines.csv.gz",
        )
        lines.append(
            f"llm: recorded {rec.day} from {bars}, {len(rec.symbols)} symbols: "
            f"{rec.analyses} analyses, {rec.validations} validations "
            f"(= accepted signals {rec.accepted_signals})"
        )
    return [*lines, *render(cost_report(ledger.records())).splitlines()]


if __name__ == "__main__":
    for line in run():
        print(line)
