"""The simulated bracket book: pending entries, open brackets, fills and realized P/L.

The spec's "Simulated fills" section on the engine's side: an accepted signal books a
pending bracket; its entry fills at the next bar's open (``fills.entry_fill_price``), then
each bar is checked against the stop and target (``fills.exit_fill``); at the flatten time
a filled position exits at the open and an unfilled entry is cancelled. Live drivers send
the same orders to a broker; this book is what the engine itself believes (and what replay
reports). A closed or cancelled bracket sets the symbol's ``close_pending`` so the state
machine moves it to cooldown on its next bar.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray

from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import ExitReason, Fill, Setup, Side, Trade
from llm_advisor.core.money import to_decimal
from llm_advisor.engine.fills import entry_fill_price, exit_fill
from llm_advisor.engine.grid import MinuteBars
from llm_advisor.engine.ids import iso_z, parse_ts
from llm_advisor.engine.records import StepResult


@dataclass
class SimPosition:
    """A bracket in the simulated book: pending until its entry fills at the next open."""

    symbol: str
    side: int
    setup: str
    qty: int
    ref: float
    stop: float
    target: float
    signal_time: datetime
    client_order_id: str
    pending: bool = True
    entry_price: float = math.nan
    entry_time: datetime | None = None
    kill_exit: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "side": self.side,
            "setup": self.setup,
            "qty": self.qty,
            "ref": self.ref,
            "stop": self.stop,
            "target": self.target,
            "signal_time": iso_z(self.signal_time),
            "client_order_id": self.client_order_id,
            "pending": self.pending,
            "entry_price": None if math.isnan(self.entry_price) else self.entry_price,
            "entry_time": iso_z(self.entry_time) if self.entry_time else None,
            "kill_exit": self.kill_exit,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SimPosition:
        return cls(
            symbol=d["symbol"],
            side=int(d["side"]),
            setup=d["setup"],
            qty=int(d["qty"]),
            ref=float(d["ref"]),
            stop=float(d["stop"]),
            target=float(d["target"]),
            signal_time=parse_ts(d["signal_time"]),
            client_order_id=d["client_order_id"],
            pending=bool(d["pending"]),
            entry_price=math.nan if d["entry_price"] is None else float(d["entry_price"]),
            entry_time=parse_ts(d["entry_time"]) if d["entry_time"] else None,
            kill_exit=bool(d["kill_exit"]),
        )


class SimBook:
    """Brackets by symbol row, and the P/L they realized (total and today)."""

    def __init__(self, config: StrategyConfig, close_pending: NDArray[np.bool_]) -> None:
        self.config = config
        self.close_pending = close_pending  # the engine's per-symbol array, set on a close
        self.positions: dict[int, SimPosition] = {}
        self.realized: Decimal = Decimal(0)
        self.realized_today: Decimal = Decimal(0)

    def on_bar(
        self,
        minute: datetime,
        bars: MinuteBars,
        has: NDArray[np.bool_],
        eod: bool,
        res: StepResult,
    ) -> None:
        """Step 1 of a bar: kill-switch exits, EOD flatten, entry fills, bracket exits."""
        for s in sorted(self.positions):
            if not has[s]:
                continue
            pos = self.positions[s]
            o = float(bars.open[s])
            if pos.kill_exit:
                self.exit(s, pos, o, minute, ExitReason.KILL_SWITCH, res)
                continue
            if eod:
                if pos.pending:
                    self.cancel(s, pos, res)
                else:
                    self.exit(s, pos, o, minute, ExitReason.EOD, res)
                continue
            if pos.pending:
                px = entry_fill_price(o, pos.side, self.config.slippage_bps)
                pos.pending = False
                pos.entry_price = px
                pos.entry_time = minute
                res.fills.append(
                    Fill(
                        client_order_id=pos.client_order_id,
                        symbol=pos.symbol,
                        side="buy" if pos.side > 0 else "sell",
                        qty=pos.qty,
                        price=to_decimal(px),
                        timestamp=minute,
                        leg="entry",
                    )
                )
            hit = exit_fill(
                pos.side, pos.stop, pos.target, o, float(bars.high[s]), float(bars.low[s])
            )
            if hit is not None:
                self.exit(s, pos, hit[0], minute, ExitReason(hit[1]), res)

    def cancel(self, s: int, pos: SimPosition, res: StepResult) -> None:
        del self.positions[s]
        self.close_pending[s] = True
        res.cancelled.append(pos.client_order_id)

    def exit(
        self,
        s: int,
        pos: SimPosition,
        price: float,
        minute: datetime,
        why: ExitReason,
        res: StepResult,
    ) -> None:
        assert pos.entry_time is not None
        entry = to_decimal(pos.entry_price)
        exit_px = to_decimal(price)
        commission = to_decimal(self.config.commission_per_share) * pos.qty * 2
        pnl = (exit_px - entry) * pos.qty * pos.side - commission
        self.realized += pnl
        self.realized_today += pnl
        del self.positions[s]
        self.close_pending[s] = True
        res.fills.append(
            Fill(
                client_order_id=pos.client_order_id,
                symbol=pos.symbol,
                side="sell" if pos.side > 0 else "buy",
                qty=pos.qty,
                price=exit_px,
                timestamp=minute,
                leg=why.value,
            )
        )
        res.trades.append(
            Trade(
                symbol=pos.symbol,
                setup=Setup(pos.setup),
                side=Side.LONG if pos.side > 0 else Side.SHORT,
                signal_time=pos.signal_time,
                entry_time=pos.entry_time,
                entry_price=entry,
                exit_time=minute,
                exit_price=exit_px,
                qty=pos.qty,
                exit_reason=why,
                pnl=pnl,
                client_order_id=pos.client_order_id,
                commission=commission,
            )
        )

    def committed_notional(self) -> float:
        """Notional of every bracket (pending ones at their reference price)."""
        return sum(p.qty * (p.ref if p.pending else p.entry_price) for p in self.positions.values())

    def risk_at_stops(self, side: int, qty: int, ref: float, stop: float) -> float:
        """Loss if a new entry (``side``, ``qty`` at ``ref``) and every bracket (pending ones
        from their reference price) exited at their stops, with both commissions."""
        fee2 = 2.0 * self.config.commission_per_share
        at_risk = qty * (max(0.0, (ref - stop) * side) + fee2)
        for p in self.positions.values():
            entry = p.ref if p.pending else p.entry_price
            at_risk += p.qty * (max(0.0, (entry - p.stop) * p.side) + fee2)
        return at_risk

    def unrealized(self, last_close: NDArray[np.float64]) -> float:
        """Filled positions marked at the latest close, less the entry commission paid."""
        unreal = 0.0
        fee = self.config.commission_per_share
        for s, p in self.positions.items():
            if not p.pending:
                unreal += (float(last_close[s]) - p.entry_price) * p.qty * p.side
                unreal -= fee * p.qty
        return unreal

    def kill_all(self, res: StepResult) -> None:
        """The kill switch: cancel unfilled entries now, exit the rest at the next open."""
        for s in sorted(self.positions):
            p = self.positions[s]
            if p.pending:
                self.cancel(s, p, res)
            else:
                p.kill_exit = True
