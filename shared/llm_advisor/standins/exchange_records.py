"""The stand-in exchange's records: orders, positions and the error Alpaca answers with.

Plain data, no behaviour beyond a couple of properties, so the order book, the fill rules,
the JSON views and the HTTP server can all name them without importing the exchange itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

OPEN_STATUSES = frozenset(
    {
        "new",
        "partially_filled",
        "accepted",
        "held",
        "pending_new",
        "pending_cancel",
        "pending_replace",
        "accepted_for_bidding",
    }
)
DUPLICATE_CLIENT_ID = "client_order_id must be unique"  # Alpaca's wording (HTTP 422)


class ExchangeError(Exception):
    """A request the exchange refuses, with Alpaca's HTTP status, code and message."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


@dataclass
class SimOrder:
    id: str
    client_order_id: str
    symbol: str
    side: str
    qty: int
    type: str
    order_class: str
    time_in_force: str
    status: str
    submitted_at: datetime
    updated_at: datetime
    session_day: date
    role: str = "simple"  # entry | target | stop | simple
    limit_price: float | None = None
    stop_price: float | None = None
    filled_qty: int = 0
    filled_avg_price: float | None = None
    filled_at: datetime | None = None
    canceled_at: datetime | None = None
    expired_at: datetime | None = None
    parent_id: str | None = None
    leg_ids: list[str] = field(default_factory=list)
    partial_fraction: float | None = None
    active_from: datetime | None = None  # legs: first bar on which they may fill

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def sign(self) -> int:
        return 1 if self.side == "buy" else -1


@dataclass
class SimPosition:
    qty: int = 0  # signed
    avg_entry_price: float = 0.0
