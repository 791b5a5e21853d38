"""Round trips from the broker's own orders: each filled bracket entry and what closed it.

The position monitor (AWS, paper loop) and the local day both book trades this way, from
what the broker reports, so the database shows the broker's prices even where a real fill
differs from the engine's model. Setup, side and signal time come from the deterministic
``client_order_id`` (``stdev-YYYYMMDD-SYMBOL-SETUP-side-<ISO>``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from llm_advisor.core.models import ExitReason, Side, Trade
from llm_advisor.core.ports import BrokerOrder
from llm_advisor.engine.ids import parse_client_order_id


def broker_trades(orders: Sequence[BrokerOrder], flatten: datetime) -> list[Trade]:
    """Round trips from the broker's orders: each filled bracket entry and what closed it.

    A filled stop or take-profit leg is the exit; otherwise the liquidation order (close-all)
    on the symbol that filled after the entry: ``eod`` when sent at/after the flatten time,
    else ``kill_switch`` (the only other reason the monitor liquidates).
    """
    filled = [o for o in orders if o.filled_qty > 0 and o.filled_at and o.filled_avg_price]
    used: set[str] = set()
    out: list[Trade] = []
    for entry in sorted(
        (o for o in filled if o.leg == "entry"), key=lambda o: (o.filled_at, o.symbol)
    ):
        parsed = parse_client_order_id(entry.client_order_id)
        if parsed is None:
            continue
        setup, side, signal_time = parsed
        # Every exit that took shares from this entry: its filled bracket legs first (a leg
        # may fill only partly), then liquidations (close-all) for whatever is left.
        exits = sorted(
            (o for o in filled if o.parent_id == entry.broker_order_id),
            key=lambda o: o.filled_at or flatten,
        )
        remaining = entry.filled_qty - sum(o.filled_qty for o in exits)
        closers = sorted(
            (
                o
                for o in filled
                if o.leg == "other"
                and o.parent_id is None
                and o.symbol == entry.symbol
                and o.side != entry.side
                and o.broker_order_id not in used
                and o.filled_at is not None
                and entry.filled_at is not None
                and o.filled_at >= entry.filled_at
            ),
            key=lambda o: o.filled_at or flatten,
        )
        for closer in closers:
            if remaining <= 0:
                break
            used.add(closer.broker_order_id)
            exits.append(closer)
            remaining -= closer.filled_qty
        if not exits:
            continue  # still open: the day did not end cleanly (shows in the summary)
        last = exits[-1]
        if last.leg in ("stop", "target"):
            reason = ExitReason.STOP if last.leg == "stop" else ExitReason.TARGET
        else:
            sent = last.submitted_at or last.filled_at
            reason = ExitReason.EOD if sent and sent >= flatten else ExitReason.KILL_SWITCH
        assert entry.filled_at and entry.filled_avg_price is not None
        assert last.filled_at is not None and last.filled_avg_price is not None
        sign = 1 if side is Side.LONG else -1
        exit_qty = sum(o.filled_qty for o in exits)
        qty = min(entry.filled_qty, exit_qty)
        proceeds = sum((_price(o) * o.filled_qty for o in exits), Decimal(0))
        exit_price = (
            last.filled_avg_price
            if len(exits) == 1
            else (proceeds / exit_qty).quantize(Decimal("0.0001")).normalize()
        )
        if exit_qty <= entry.filled_qty:  # exact: every exit's own shares at its own price
            pnl = proceeds - entry.filled_avg_price * exit_qty
        else:  # a liquidation that also closed shares not from this entry
            pnl = (exit_price - entry.filled_avg_price) * qty
        out.append(
            Trade(
                symbol=entry.symbol,
                setup=setup,
                side=side,
                signal_time=signal_time,
                entry_time=entry.filled_at,
                entry_price=entry.filled_avg_price,
                exit_time=last.filled_at,
                exit_price=exit_price,
                qty=qty,
                exit_reason=reason,
                pnl=pnl * sign,
                client_order_id=entry.client_order_id,
            )
        )
    out.sort(key=lambda t: (t.entry_time, t.symbol))
    return out


def _price(o: BrokerOrder) -> Decimal:
    assert o.filled_avg_price is not None  # only filled orders reach here
    return o.filled_avg_price


__all__ = ["broker_trades", "parse_client_order_id"]
