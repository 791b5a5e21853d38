"""Fabricated domain records: a replayed week that looks like the engine's output."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from llm_advisor.core.calendar import sessions_between
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import (
    ExitReason,
    Fill,
    Setup,
    Side,
    Signal,
    State,
    Trade,
    TradePlan,
    Transition,
)
from llm_advisor.engine.ids import client_order_id
from llm_advisor.replay.summary import summarize

SYMBOLS = ["AAPL", "MSFT", "NVDA", "SPY", "QQQ", "BRK.B", "TSLA", "AMD"]


def coid(day: date, symbol: str, setup: str, side: str, ts: datetime) -> str:
    return client_order_id(day, symbol, setup, side, ts)


def signal(ts: datetime, symbol: str = "AAPL", **kw: Any) -> Signal:
    base: dict[str, Any] = {
        "signal_time": ts, "symbol": symbol, "setup": Setup.MR, "side": Side.LONG,
        "status": "accepted", "reject_reason": "", "z": -2.31, "ref_price": 187.25,
        "atr_5m": 0.42, "risk_per_share": 0.63, "stop_price": 186.62, "target_price": 188.5,
        "qty": 120, "equity": Decimal("100000.00"), "mr_arm_z": 2.0, "mr_trigger_z": 1.5,
        "tc_arm_z": 2.5, "tc_trigger_z": 1.0, "mult_mr_arm": 1.0, "mult_mr_trigger": 1.0,
        "mult_tc_arm": 1.0, "mult_tc_trigger": 1.0,
        "client_order_id": coid(ts.date(), symbol, "MR", "long", ts),
    }  # fmt: skip
    base.update(kw)
    return Signal(**base)


def transition(
    ts: datetime, symbol: str = "AAPL", old: str = "idle", new: str = "mr_armed"
) -> Transition:
    return Transition(
        timestamp=ts, symbol=symbol, old_state=State(old), new_state=State(new), z=-2.1,
        mr_arm_z=2.0, mr_trigger_z=1.5, tc_arm_z=2.5, tc_trigger_z=1.0, reason="z beyond arm",
    )  # fmt: skip


@dataclass
class FakeReplayResult:
    trades: list[Trade] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    plans: list[TradePlan] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    equity_curve: list[tuple[datetime, Decimal]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    run_id: str = "replay-test"
    config: StrategyConfig = field(default_factory=StrategyConfig)
    sessions: list[date] = field(default_factory=list)
    symbols: list[str] = field(default_factory=list)


def replay_week(
    seed: int = 1, trades_per_day: int = 60, start: date = date(2024, 3, 4)
) -> FakeReplayResult:
    """Five sessions of plausible records: trades with fills, plans, signals, transitions."""
    rng = random.Random(seed)
    cfg = StrategyConfig()
    sessions = sessions_between(start, start + timedelta(days=6))[:5]
    res = FakeReplayResult(config=cfg, sessions=sessions, symbols=SYMBOLS, run_id=f"replay-{seed}")
    equity = Decimal("100000")
    res.equity_curve.append(
        (datetime(sessions[0].year, sessions[0].month, sessions[0].day, 13, 30, tzinfo=UTC), equity)
    )
    for day in sessions:
        open_ = datetime(day.year, day.month, day.day, 14, 30, tzinfo=UTC)  # 09:30 EST/EDT-ish
        for i in range(trades_per_day):
            sym = SYMBOLS[i % len(SYMBOLS)]
            sig_t = open_ + timedelta(minutes=5 + i * 5 // 2, seconds=0) + timedelta(minutes=i % 3)
            setup = rng.choice(["MR", "TC"])
            side = rng.choice(["long", "short"])
            ref = Decimal(rng.randint(2000, 50000)) / 100
            qty = rng.randint(1, 400)
            risk = Decimal(rng.randint(5, 150)) / 100
            sgn = 1 if side == "long" else -1
            stop = ref - sgn * risk
            target = ref + sgn * 2 * risk
            cid = coid(day, sym, setup, side, sig_t)
            res.signals.append(
                signal(sig_t, sym, setup=Setup(setup), side=Side(side), ref_price=float(ref),
                       stop_price=float(stop), target_price=float(target), qty=qty,
                       equity=equity, client_order_id=cid)
            )  # fmt: skip
            if i % 7 == 6:  # a rejected signal, no trade
                res.signals[-1] = res.signals[-1].model_copy(
                    update={"status": "rejected", "reject_reason": "max_positions", "qty": 0}
                )
                continue
            res.plans.append(
                TradePlan(client_order_id=cid, symbol=sym, side=Side(side), setup=Setup(setup),
                          qty=qty, ref_price=float(ref), stop_price=float(stop),
                          target_price=float(target), signal_time=sig_t,
                          session_date=day.isoformat())
            )  # fmt: skip
            entry_t = sig_t + timedelta(minutes=1)
            entry_px = ref + Decimal(rng.randint(-3, 3)) / 100
            reason = rng.choice(list(ExitReason))
            exit_px = {"stop": stop, "target": target}.get(reason.value) or (
                entry_px + Decimal(rng.randint(-200, 200)) / 100
            )
            if exit_px <= 0:
                exit_px = Decimal("0.01")
            exit_t = entry_t + timedelta(minutes=rng.randint(1, 90))
            commission = Decimal("0.005") * qty * 2 if i % 5 == 0 else Decimal(0)
            pnl = (exit_px - entry_px) * qty * sgn - commission
            res.trades.append(
                Trade(symbol=sym, setup=Setup(setup), side=Side(side), signal_time=sig_t,
                      entry_time=entry_t, entry_price=entry_px, exit_time=exit_t,
                      exit_price=exit_px, qty=qty, exit_reason=reason, pnl=pnl,
                      client_order_id=cid, commission=commission)
            )  # fmt: skip
            buy, sell = ("buy", "sell") if side == "long" else ("sell", "buy")
            res.fills.append(
                Fill(
                    client_order_id=cid,
                    symbol=sym,
                    side=buy,
                    qty=qty,
                    price=entry_px,
                    timestamp=entry_t,
                    leg="entry",
                )
            )
            res.fills.append(
                Fill(
                    client_order_id=cid,
                    symbol=sym,
                    side=sell,
                    qty=qty,
                    price=exit_px,
                    timestamp=exit_t,
                    leg=reason.value,
                )
            )
            res.transitions += [
                transition(sig_t - timedelta(minutes=3), sym, "idle", "mr_armed"),
                transition(sig_t, sym, "mr_armed", "in_position"),
                transition(exit_t, sym, "in_position", "cooldown"),
            ]
            equity += pnl
        res.equity_curve.append((open_ + timedelta(hours=6, minutes=30), equity))
    res.trades.sort(key=lambda t: (t.entry_time, t.symbol))
    res.summary = summarize(
        res.trades, res.signals, Decimal(str(cfg.starting_equity)), len(sessions)
    )
    return res
