"""The spec's "From signal to order" and "Risk guards": a signal becomes a bracket or a
rejection with its reason.

Reasons are checked in the spec's order: atr_undefined, size_zero (``sizing``), kill_switch,
max_positions, then the opt-in daily_risk (``risk_budget_check``); the driver's (maybe
paid) validation comes only after all of them (``Engine.resume``). An accepted signal books
a pending bracket at once, so the next signal of the same minute sees its position slot,
buying power and risk.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from llm_advisor.core.models import Setup, Side, TradePlan
from llm_advisor.engine.book import SimPosition
from llm_advisor.engine.ids import iso_z, order_suffix
from llm_advisor.engine.records import SignalRecord, StepResult
from llm_advisor.engine.sizing import size_signal

if TYPE_CHECKING:
    from llm_advisor.engine.facade import Engine


_LONG, _SHORT = Side.LONG, Side.SHORT
_VALUE: dict[Setup | Side, str] = {e: e.value for e in (*Setup, *Side)}  # no enum lookups


def size_and_guard(
    eng: Engine,
    s: int,
    setup: Setup,
    side: int,
    z: float,
    minute: datetime,
    equity: Decimal,
    money: tuple[float, float, float | None],
) -> tuple[SignalRecord, str]:
    """Size and guard a signal of the minute (row ``s``): its record (already marked
    rejected when a guard refused it) and the rejection reason ("" = passed).

    Sized one by one in plain floats: a minute has a few signals, and scalar arithmetic on
    so few costs less than array calls (the same IEEE results). ``money`` is the minute's
    (equity, committed notional, broker buying power) as floats, kept by the caller."""
    cfg = eng.config
    a = eng.arrays
    sym = eng.symbols[s]
    ref = float(a.last_close[s])
    atr = float(a.atr5[s])
    equity_f, committed, broker_bp = money
    sized = size_signal(ref, atr, side, equity_f, committed, cfg, broker_bp)
    qty, r_ps, stop, target, reject = (
        sized.qty, sized.risk_per_share, sized.stop, sized.target, sized.reject,
    )  # fmt: skip
    if not reject and eng.kill:
        reject = "kill_switch"
    if not reject and len(eng.book.positions) >= cfg.max_open_positions:
        reject = "max_positions"
    if not reject and cfg.risk_budget_check:
        assert stop is not None
        if over_daily_risk(eng, side, qty, ref, stop):
            reject = "daily_risk"
    side_e = _LONG if side > 0 else _SHORT
    if not eng.minute_iso:
        eng.minute_iso = iso_z(minute)
    coid = eng.coid_prefix + order_suffix(sym, _VALUE[setup], _VALUE[side_e], eng.minute_iso)
    k = eng.thresholds.k_list[s]
    mult = eng.thresholds.mults[s]
    signal = SignalRecord(
        minute,
        sym,
        setup,
        side_e,
        "rejected" if reject else "accepted",
        reject,
        z,
        ref,
        None if math.isnan(atr) else atr,
        r_ps,
        stop,
        target,
        qty,
        equity,
        k[0],
        k[1],
        k[2],
        k[3],
        mult.mr_arm,
        mult.mr_trigger,
        mult.tc_arm,
        mult.tc_trigger,
        coid,
    )
    return signal, reject


def accept(eng: Engine, signal: SignalRecord, s: int, side: int, res: StepResult) -> None:
    """Book an accepted signal: a pending bracket and its plan."""
    stop, target = signal.stop_price, signal.target_price
    assert stop is not None and target is not None
    res.signals.append(signal)
    coid = signal.client_order_id
    eng.book.positions[s] = SimPosition(
        symbol=signal.symbol,
        side=side,
        setup=signal.setup.value,
        qty=signal.qty,
        ref=signal.ref_price,
        stop=stop,
        target=target,
        signal_time=signal.signal_time,
        client_order_id=coid,
    )
    eng.arrays.trades_today[s] += 1
    res.plans.append(
        TradePlan(
            client_order_id=coid,
            symbol=signal.symbol,
            side=signal.side,
            setup=signal.setup,
            qty=signal.qty,
            ref_price=signal.ref_price,
            stop_price=stop,
            target_price=target,
            signal_time=signal.signal_time,
            session_date=eng.session_iso,
        )
    )


def over_daily_risk(eng: Engine, side: int, qty: int, ref: float, stop: float) -> bool:
    """Would the day's loss exceed the limit if this entry and every open position
    (pending ones at their reference price) exited at their stops?

    The kill switch only sees losses already marked at a close and exits one bar later,
    so it cannot keep the loss under the limit; this budget can, except for gaps
    through a stop and fills away from the reference price. Day P/L is net, as for the
    kill switch (a realized gain today leaves room); both commissions count."""
    at_risk = eng.book.risk_at_stops(side, qty, ref, stop)
    limit = float(eng.day_start_equity) * eng.config.daily_loss_limit_pct / 100.0
    return at_risk - float(eng.book.realized_today) > limit + 1e-6
