"""The stand-in exchange's books, its ids and clock, and the account figures they give.

The base every part of ``SimExchange`` builds on: the order book (``exchange_orders``), the
fill rules (``exchange_fills``) and the JSON views (``exchange_json``) all read and write
these same dictionaries under the one lock, so the state and its invariants live here once.
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime
from decimal import Decimal
from itertools import count
from typing import Any

from llm_advisor.core.clock import Clock, require_utc
from llm_advisor.core.money import to_decimal
from llm_advisor.standins.exchange_records import SimOrder, SimPosition


class ExchangeState:
    """Orders, positions, last prices, cash and bars; the lock that guards them all."""

    def __init__(
        self,
        clock: Clock,
        starting_cash: float = 100_000.0,
        slippage_bps: float = 0.0,
        buying_power_multiplier: float = 4.0,
        id_seed: int = 1,
    ) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.cash = to_decimal(starting_cash)
        # Equity at the previous close (Alpaca's ``last_equity``): the stand-in's account is
        # opened flat with ``starting_cash`` before the simulated day, so that is the figure.
        self.last_equity = self.cash
        self.slippage_bps = slippage_bps
        self.buying_power_multiplier = buying_power_multiplier
        self.orders: dict[str, SimOrder] = {}
        self.by_client_id: dict[str, str] = {}
        self.positions: dict[str, SimPosition] = {}
        self.last_price: dict[str, float] = {}
        self._bars: dict[str, dict[datetime, tuple[float, float, float, float, float]]] = {}
        self._ids = count(1)
        self._id_seed = id_seed
        self._partial_next: list[float] = []
        self.events: list[dict[str, Any]] = []  # trade updates, in order

    # ------------------------------------------------------------------ ids and time
    def _new_id(self) -> str:
        return str(uuid.UUID(int=(self._id_seed << 96) | next(self._ids)))

    def now(self) -> datetime:
        return require_utc(self.clock.now(), "clock.now()")

    # ------------------------------------------------------------------ account
    def gross_exposure(self) -> Decimal:
        return sum(
            (
                to_decimal(abs(p.qty)) * to_decimal(self.last_price.get(s, p.avg_entry_price))
                for s, p in self.positions.items()
            ),
            Decimal(0),
        )

    def equity(self) -> Decimal:
        with self.lock:
            mv = sum(
                (
                    to_decimal(p.qty) * to_decimal(self.last_price.get(s, p.avg_entry_price))
                    for s, p in self.positions.items()
                ),
                Decimal(0),
            )
            return self.cash + mv

    def buying_power(self) -> Decimal:
        with self.lock:
            bp = to_decimal(self.buying_power_multiplier) * self.equity() - self.gross_exposure()
            return max(Decimal(0), bp)
