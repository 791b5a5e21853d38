"""The replay's files: ``trades.csv`` and ``signals.csv`` in the spec's comparison format."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from llm_advisor.core.models import Signal, Trade
from llm_advisor.core.money import fmt_decimal, to_decimal
from llm_advisor.live.engine import SignalRecord, iso_z

TRADE_COLUMNS = [
    "symbol",
    "setup",
    "side",
    "signal_time",
    "entry_time",
    "entry_price",
    "exit_time",
    "exit_price",
    "qty",
    "exit_reason",
    "pnl",
]
SIGNAL_COLUMNS = [
    "signal_time",
    "symbol",
    "setup",
    "side",
    "status",
    "reject_reason",
    "z",
    "ref_price",
    "atr_5m",
    "risk_per_share",
    "stop_price",
    "target_price",
    "qty",
    "equity",
    "mr_arm_z",
    "mr_trigger_z",
    "tc_arm_z",
    "tc_trigger_z",
    "mult_mr_arm",
    "mult_mr_trigger",
    "mult_tc_arm",
    "mult_tc_trigger",
    "client_order_id",
]


def _num(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return repr(float(x))


def _money(x: float | None) -> str:
    """Prices as exact decimals with at least two places, like trades.csv."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return fmt_decimal(to_decimal(float(x)))


def trade_rows(trades: Sequence[Trade]) -> list[list[str]]:
    ordered = sorted(trades, key=lambda t: (t.entry_time, t.symbol))
    return [
        [
            t.symbol,
            t.setup.value,
            t.side.value,
            iso_z(t.signal_time),
            iso_z(t.entry_time),
            fmt_decimal(t.entry_price),
            iso_z(t.exit_time),
            fmt_decimal(t.exit_price),
            str(t.qty),
            t.exit_reason.value,
            fmt_decimal(t.pnl),
        ]
        for t in ordered
    ]


def signal_rows(signals: Sequence[Signal | SignalRecord]) -> list[list[str]]:
    ordered = sorted(signals, key=lambda s: (s.signal_time, s.symbol))
    return [
        [
            iso_z(s.signal_time),
            s.symbol,
            s.setup.value,
            s.side.value,
            s.status,
            s.reject_reason,
            _num(s.z),
            _money(s.ref_price),
            _num(s.atr_5m),
            _num(s.risk_per_share),
            _money(s.stop_price),
            _money(s.target_price),
            str(s.qty),
            fmt_decimal(s.equity),
            _num(s.mr_arm_z),
            _num(s.mr_trigger_z),
            _num(s.tc_arm_z),
            _num(s.tc_trigger_z),
            _num(s.mult_mr_arm),
            _num(s.mult_mr_trigger),
            _num(s.mult_tc_arm),
            _num(s.mult_tc_trigger),
            s.client_order_id,
        ]
        for s in ordered
    ]


def _write_csv(path: Path, header: Sequence[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def write_outputs(
    out_dir: Path,
    trades: Sequence[Trade],
    signals: Sequence[Signal | SignalRecord],
    summary: dict[str, Any],
) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_csv(out_dir / "trades.csv", TRADE_COLUMNS, trade_rows(trades))
    _write_csv(out_dir / "signals.csv", SIGNAL_COLUMNS, signal_rows(signals))
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
