"""A small demo-like portfolio written through the storage repository (the real write path).

The expected figures are computed here from the same inputs, so tests compare what the API
serves against arithmetic done independently of storage's SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from llm_advisor.core.models import Advice, AnalysisResult, ThresholdMultipliers

SESSIONS = [
    date(2024, 3, 4),
    date(2024, 3, 5),
    date(2024, 3, 6),
    date(2024, 3, 7),
    date(2024, 3, 8),
]
SYMBOLS = ["SPY", "QQQ", "NVDA", "TSLA", "IWM", "AAPL"]
START_EQUITY = Decimal("100000.00")


@dataclass
class Expected:
    trades: list[dict[str, Any]]
    total_pnl: Decimal
    total_fees: Decimal
    wins: int
    per_day: dict[date, Decimal]
    max_drawdown: Decimal
    last_day: date


def _pnl(i: int) -> Decimal:
    # deterministic mix of winners and losers with cents
    base = Decimal((i * 37) % 23 - 9) * Decimal("11.37")
    return base.quantize(Decimal("0.01"))


def seed_demo(repo: Any) -> Expected:
    trades: list[dict[str, Any]] = []
    i = 0
    for d in SESSIONS:
        for k in range(6):
            sym = SYMBOLS[(i + k) % len(SYMBOLS)]
            entry = datetime(d.year, d.month, d.day, 14, 35, tzinfo=UTC) + timedelta(minutes=9 * k)
            exit_ = entry + timedelta(minutes=13)
            side = "long" if (i % 3) else "short"
            pnl = _pnl(i)
            qty = 10 + k
            entry_price = Decimal("100.00") + Decimal(i)
            exit_price = entry_price + (pnl / qty if side == "long" else -pnl / qty)
            trades.append(
                {
                    "symbol": sym,
                    "setup": "MR" if k % 2 else "TC",
                    "side": side,
                    "signal_time": entry - timedelta(minutes=1),
                    "entry_time": entry,
                    "entry_price": entry_price,
                    "exit_time": exit_,
                    "exit_price": exit_price.quantize(Decimal("0.0001")),
                    "qty": qty,
                    "exit_reason": "target" if pnl > 0 else "stop",
                    "pnl": pnl,
                    "commission": Decimal("0.35"),
                    "client_order_id": f"stdev-{d:%Y%m%d}-{sym}-MR-buy-{entry:%H%M}",
                }
            )
            i += 1
    repo.save_trades(trades)
    repo.save_equity_snapshots([(datetime(2024, 3, 1, 21, 0, tzinfo=UTC), START_EQUITY)])
    repo.save_signals(
        [
            {
                "signal_time": t["signal_time"],
                "symbol": t["symbol"],
                "setup": t["setup"],
                "side": t["side"],
                "status": "accepted",
                "reject_reason": "",
                "z": -2.25,
                "ref_price": t["entry_price"],
                "atr_5m": 0.4,
                "risk_per_share": 0.5,
                "stop_price": t["entry_price"] - 1,
                "target_price": None,
                "qty": t["qty"],
                "equity": START_EQUITY,
                "mr_arm_z": 2.0,
                "mr_trigger_z": 1.5,
                "tc_arm_z": 2.5,
                "tc_trigger_z": 2.0,
                "mult_mr_arm": 1.0,
                "mult_mr_trigger": 1.0,
                "mult_tc_arm": 1.0,
                "mult_tc_trigger": 1.0,
                "client_order_id": t["client_order_id"],
            }
            for t in trades
        ]
    )
    last = SESSIONS[-1]
    repo.save_daily_bias(
        [
            {
                "date": last,
                "symbol": "SPY",
                "bias": "bullish",
                "confidence": 64.0,
                "htf_bias": "bullish",
                "news_summary": "Payrolls beat",
                "model_version": "lr-2024",
            },
            {"date": last, "symbol": "QQQ", "bias": "choppy", "confidence": 51.5},
        ]
    )
    for minute, assessment, mult, why in (
        (14 * 60 + 45, "choppy", 1.0, "Opening range, no direction yet."),
        (15 * 60, "bullish", 1.2, "Breadth strong; widen mean-reversion thresholds."),
    ):
        ts = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(minutes=minute)
        m = ThresholdMultipliers(mr_arm=mult, mr_trigger=mult, tc_arm=0.9, tc_trigger=0.95)
        repo.save_market_analysis(
            ts,
            last,
            "rules",
            None,
            AnalysisResult(
                market_assessment=assessment, confidence=70, reasoning=why, threshold_multipliers=m
            ),
            Advice(as_of=ts, multipliers=m, source="rules"),
        )
    repo.upsert_position(
        {
            "symbol": "TSLA",
            "side": "long",
            "qty": 7,
            "entry_price": Decimal("175.50"),
            "entry_time": datetime(last.year, last.month, last.day, 18, 0, tzinfo=UTC),
            "stop_price": 172.0,
            "target_price": 181.0,
            "client_order_id": "stdev-pos-TSLA",
            "setup": "MR",
            "mark_price": Decimal("177.25"),
        },
        at=datetime(last.year, last.month, last.day, 19, 0, tzinfo=UTC),
    )

    ordered = sorted(trades, key=lambda t: t["exit_time"])
    cum = peak = dd = Decimal(0)
    for t in ordered:
        cum += t["pnl"]
        peak = max(peak, cum)
        dd = max(dd, peak - cum)
    per_day: dict[date, Decimal] = {}
    for t in trades:
        day = t["entry_time"].date()
        per_day[day] = per_day.get(day, Decimal(0)) + t["pnl"]
    return Expected(
        trades=trades,
        total_pnl=sum((t["pnl"] for t in trades), Decimal(0)),
        total_fees=sum((t["commission"] for t in trades), Decimal(0)),
        wins=sum(1 for t in trades if t["pnl"] > 0),
        per_day=per_day,
        max_drawdown=dd,
        last_day=last,
    )
