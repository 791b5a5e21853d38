"""One year of 500-symbol trading history for the storage and API benchmarks.

Both benchmarks measure the same portfolio queries (directly and through the API), so they
load the same synthetic history: daily bias, one signal per symbol and session, 40 trades a
session, 26 analyses a session, 10 open positions and a starting equity snapshot.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from llm_advisor.core.models import Advice, AnalysisResult, ThresholdMultipliers

N_SYMBOLS = 500
TRADES_PER_DAY = 40


def symbols() -> list[str]:
    return [f"S{chr(65 + (i // 26) % 26)}{chr(65 + i % 26)}{i}" for i in range(N_SYMBOLS)]


def load_history(repo: Any, sessions: list[date], syms: list[str]) -> dict[str, int]:
    rng = random.Random(8)
    bias: list[dict[str, Any]] = []
    signals: list[dict[str, Any]] = []
    trades: list[dict[str, Any]] = []
    for d in sessions:
        o = datetime(d.year, d.month, d.day, 14, 30, tzinfo=UTC)
        for s in syms:
            bias.append({"date": d, "symbol": s, "bias": rng.choice(["bullish", "bearish",
                         "choppy"]), "confidence": round(rng.uniform(30, 90), 1)})  # fmt: skip
            t = o + timedelta(minutes=rng.randint(5, 380))
            signals.append({
                "signal_time": t, "symbol": s, "setup": "MR", "side": "long",
                "status": rng.choice(["accepted", "rejected"]), "reject_reason": "", "z": -2.2,
                "ref_price": Decimal(rng.randint(1000, 50000)) / 100, "atr_5m": 0.3,
                "risk_per_share": 0.45, "stop_price": None, "target_price": None, "qty": 10,
                "equity": Decimal("100000"), "mr_arm_z": 2.0, "mr_trigger_z": 1.5,
                "tc_arm_z": 2.5, "tc_trigger_z": 1.0, "mult_mr_arm": 1.0,
                "mult_mr_trigger": 1.0, "mult_tc_arm": 1.0, "mult_tc_trigger": 1.0,
                "client_order_id": f"stdev-{d:%Y%m%d}-{s}-MR-buy-{t:%H%M}",
            })  # fmt: skip
        for i in range(TRADES_PER_DAY):
            s = rng.choice(syms)
            e = o + timedelta(minutes=2 + i * 9)
            px = Decimal(rng.randint(1000, 50000)) / 100
            q = rng.randint(1, 300)
            xp = max(px + Decimal(rng.randint(-150, 150)) / 100, Decimal("0.01"))
            trades.append({
                "symbol": s, "setup": "MR", "side": "long", "signal_time": e - timedelta(minutes=1),
                "entry_time": e, "entry_price": px, "exit_time": e + timedelta(minutes=7),
                "exit_price": xp, "qty": q, "exit_reason": "target" if xp > px else "stop",
                "pnl": (xp - px) * q, "commission": Decimal("0.35"),
                "client_order_id": f"stdev-{d:%Y%m%d}-{s}-MR-buy-{i}",
            })  # fmt: skip
    repo.save_daily_bias(bias)
    repo.save_signals(signals)
    repo.save_trades(trades)
    n_analyses = 0
    for d in sessions:
        for k in range(26):
            ts = datetime(d.year, d.month, d.day, 14, 30, tzinfo=UTC) + timedelta(minutes=15 * k)
            m = ThresholdMultipliers(mr_arm=1.1, mr_trigger=1.0, tc_arm=0.9, tc_trigger=1.0)
            repo.save_market_analysis(
                ts, d, "rules", None,
                AnalysisResult(market_assessment="choppy", confidence=55, reasoning="bench",
                               threshold_multipliers=m),
                Advice(as_of=ts, multipliers=m),
            )  # fmt: skip
            n_analyses += 1
    last = sessions[-1]
    for s in syms[:10]:
        repo.upsert_position(
            {"symbol": s, "side": "long", "qty": 10, "entry_price": Decimal("100.00"),
             "entry_time": datetime(last.year, last.month, last.day, 15, tzinfo=UTC),
             "stop_price": 99.0, "target_price": 102.0, "client_order_id": f"pos-{s}",
             "setup": "MR", "mark_price": Decimal("100.50")},
            at=datetime(last.year, last.month, last.day, 16, tzinfo=UTC),
        )  # fmt: skip
    repo.save_equity_snapshots([(datetime(2023, 1, 2, 21, tzinfo=UTC), Decimal("100000"))])
    return {"daily_bias": len(bias), "signals": len(signals), "trades": len(trades),
            "market_analysis": n_analyses}  # fmt: skip
