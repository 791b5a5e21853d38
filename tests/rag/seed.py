"""The API's demo portfolio plus what the exporter needs beyond it: a premarket context,
and one NVDA short on Tuesday 2024-03-05 with its whole journal (signal, validation, fills)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from tests.api.seed import Expected, seed_demo

TUESDAY = date(2024, 3, 5)
NVDA_SHORT_ID = "stdev-20240305-NVDA-TC-sell-1512"


def seed_rag(repo: Any) -> Expected:
    expected = seed_demo(repo)
    entry = datetime(2024, 3, 5, 20, 12, tzinfo=UTC)
    exit_ = datetime(2024, 3, 5, 20, 31, tzinfo=UTC)
    repo.save_signals(
        [
            {
                "signal_time": datetime(2024, 3, 5, 20, 11, tzinfo=UTC),
                "symbol": "NVDA",
                "setup": "TC",
                "side": "short",
                "status": "accepted",
                "reject_reason": "",
                "z": -2.71,
                "ref_price": Decimal("852.40"),
                "atr_5m": 1.9,
                "risk_per_share": 2.1,
                "stop_price": Decimal("854.50"),
                "target_price": Decimal("848.20"),
                "qty": 12,
                "equity": Decimal("100000"),
                "mr_arm_z": 2.0,
                "mr_trigger_z": 1.5,
                "tc_arm_z": 2.5,
                "tc_trigger_z": 2.0,
                "mult_mr_arm": 1.1,
                "mult_mr_trigger": 1.0,
                "mult_tc_arm": 0.9,
                "mult_tc_trigger": 0.95,
                "client_order_id": NVDA_SHORT_ID,
            }
        ]
    )
    repo.save_trades(
        [
            {
                "symbol": "NVDA",
                "setup": "TC",
                "side": "short",
                "signal_time": datetime(2024, 3, 5, 20, 11, tzinfo=UTC),
                "entry_time": entry,
                "entry_price": Decimal("852.40"),
                "exit_time": exit_,
                "exit_price": Decimal("848.20"),
                "qty": 12,
                "exit_reason": "target",
                "pnl": Decimal("50.40"),
                "commission": Decimal("0.35"),
                "client_order_id": NVDA_SHORT_ID,
            }
        ]
    )
    repo.save_fills(
        [
            {
                "client_order_id": NVDA_SHORT_ID,
                "symbol": "NVDA",
                "side": "sell",
                "qty": 12,
                "price": Decimal("852.40"),
                "timestamp": entry,
                "leg": "entry",
            },
            {
                "client_order_id": NVDA_SHORT_ID,
                "symbol": "NVDA",
                "side": "buy",
                "qty": 12,
                "price": Decimal("848.20"),
                "timestamp": exit_,
                "leg": "target",
            },
        ]
    )
    repo.save_llm_validation(
        NVDA_SHORT_ID,
        "NVDA",
        datetime(2024, 3, 5, 20, 11, tzinfo=UTC),
        "approve",
        datetime(2024, 3, 5, 20, 11, 30, tzinfo=UTC),
        provider="rules",
        reasoning="trend intact, short aligned with the bearish bias",
    )
    repo.save_daily_bias(
        [
            {
                "date": TUESDAY,
                "symbol": "NVDA",
                "bias": "bearish",
                "confidence": 61.0,
                "htf_bias": "bearish",
                "news_summary": "Chip export curbs weigh on semiconductors",
                "model_version": "lr-2024",
            }
        ]
    )
    repo.save_premarket_snapshots(
        [
            {
                "symbol": "NVDA",
                "session_date": TUESDAY.isoformat(),
                "ema_slope_daily": -0.0042,
                "ema_slope_hourly": -0.0011,
                "hh_ll_tag": "LL_LH",
                "atr_daily": 21.4,
                "atr_percentile": 78.0,
                "htf_bias": "bearish",
                "band_mu": 851.2,
                "band_sigma": 1.4,
                "atr_5m": 1.9,
                "daily_bars": 252,
            }
        ]
    )
    return expected
