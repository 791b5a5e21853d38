"""The simulated exchange behind the Alpaca stand-in: orders, positions, bars, fills.

It fills with the spec's rules (``llm_advisor.engine.fills``) so a day driven through
the HTTP stand-in trades exactly like the in-process replay broker: a market entry fills at
the open of the first bar that starts at or after the submission minute, bracket exits are
checked from that bar on, and a liquidation (close-all) fills at the next bar's open.
Bracket legs behave like Alpaca's: both ``held`` until the entry fills, then the take-profit
is ``new`` and the stop stays ``held``; one leg's fill cancels the other.

Everything here is plain Python guarded by one lock, so the HTTP threads and the driver that
pushes bars can share it.

This module is the entry point: ``SimExchange`` and the bar history. The class is assembled
from parts next to it: the books and account (``exchange_state``), the fill rules
(``exchange_fills``), the order book (``exchange_orders``) and the JSON views
(``exchange_json``); the records and errors are in ``exchange_records``. Their public names
are re-exported here.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from llm_advisor.core.calendar import NY
from llm_advisor.core.clock import require_utc
from llm_advisor.standins.exchange_json import calendar_json
from llm_advisor.standins.exchange_orders import ExchangeOrders
from llm_advisor.standins.exchange_records import (
    DUPLICATE_CLIENT_ID,
    OPEN_STATUSES,
    ExchangeError,
    SimOrder,
    SimPosition,
)

__all__ = [
    "DUPLICATE_CLIENT_ID",
    "OPEN_STATUSES",
    "ExchangeError",
    "SimExchange",
    "SimOrder",
    "SimPosition",
    "calendar_json",
    "parse_timeframe",
]

_TIMEFRAME_UNITS = {"Min": 1, "T": 1, "Hour": 60, "H": 60, "Day": 1440, "D": 1440}


def parse_timeframe(tf: str) -> int:
    """Minutes in an Alpaca timeframe string (``1Min``, ``5Min``, ``1Hour``, ``1Day``)."""
    for unit, minutes in _TIMEFRAME_UNITS.items():
        if tf.endswith(unit):
            amount = tf[: -len(unit)] or "1"
            if amount.isdigit() and int(amount) > 0:
                return int(amount) * minutes
    raise ExchangeError(422, 42210000, f"invalid timeframe {tf!r}")


class SimExchange(ExchangeOrders):
    """Orders, positions and the bar history of the stand-in (thread-safe)."""

    # ------------------------------------------------------------------ market data
    def load_history(self, symbol: str, frame: pd.DataFrame) -> None:
        """Add bars that only serve the data API (no order is filled against them)."""
        with self.lock:
            store = self._bars.setdefault(symbol, {})
            idx = pd.DatetimeIndex(frame.index)
            cols = [frame[c].to_numpy(dtype=float) for c in ("open", "high", "low", "close")]
            vol = frame["volume"].to_numpy(dtype=float)
            for i, ts in enumerate(idx):
                t = ts.to_pydatetime().astimezone(UTC)
                store[t] = (cols[0][i], cols[1][i], cols[2][i], cols[3][i], vol[i])
            if len(idx):
                self.last_price[symbol] = float(cols[3][-1])

    def push_bar(
        self,
        symbol: str,
        timestamp: datetime,
        o: float,
        h: float,
        low: float,
        c: float,
        v: float = 0.0,
    ) -> None:
        """A bar completed: store it, then fill what it fills (in submission order)."""
        ts = require_utc(timestamp, "timestamp")
        with self.lock:
            store = self._bars.setdefault(symbol, {})
            if ts in store:
                raise ValueError(f"duplicate bar {symbol} {ts.isoformat()}")
            store[ts] = (o, h, low, c, v)
            self.last_price[symbol] = c
            self._expire_old_day_orders(ts)
            for order in list(self.orders.values()):
                if order.symbol != symbol or not order.is_open:
                    continue
                if order.role in ("entry", "simple"):
                    self._maybe_fill_market(order, ts, o)
            for order in list(self.orders.values()):
                if order.symbol == symbol and order.role == "entry" and order.filled_qty > 0:
                    self._maybe_exit(order, ts, o, h, low)

    def bars_between(
        self, symbol: str, start: datetime | None, end: datetime | None, timeframe: str
    ) -> list[tuple[datetime, tuple[float, float, float, float, float]]]:
        minutes = parse_timeframe(timeframe)
        with self.lock:
            raw = sorted(self._bars.get(symbol, {}).items())
        if minutes > 1:
            raw = _aggregate(raw, minutes)
        return [
            (t, b) for t, b in raw if (start is None or t >= start) and (end is None or t <= end)
        ]


def _aggregate(
    raw: list[tuple[datetime, tuple[float, float, float, float, float]]], minutes: int
) -> list[tuple[datetime, tuple[float, float, float, float, float]]]:
    """Alpaca-style buckets: N minutes/hours aligned to the UTC clock, days to NY midnight."""
    buckets: dict[datetime, list[float]] = {}
    for t, (o, h, low, c, v) in raw:
        if minutes >= 1440:
            d = t.astimezone(NY).date()
            key = datetime(d.year, d.month, d.day, tzinfo=NY).astimezone(UTC)
        else:
            epoch_min = int(t.timestamp() // 60)
            key = datetime.fromtimestamp((epoch_min - epoch_min % minutes) * 60, tz=UTC)
        b = buckets.get(key)
        if b is None:
            buckets[key] = [o, h, low, c, v]
        else:
            b[1] = max(b[1], h)
            b[2] = min(b[2], low)
            b[3] = c
            b[4] += v
    return [(k, (b[0], b[1], b[2], b[3], b[4])) for k, b in sorted(buckets.items())]
