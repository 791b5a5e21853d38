"""Helpers for the SAM handler tests: moto resources, synthetic bars, fakes of the broker and
the market data port, and a way to load ``functions/<name>/app.py`` by path."""

from __future__ import annotations

import importlib.util
import itertools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import pandas as pd

from llm_advisor.core.models import TradePlan
from llm_advisor.core.ports import Account, BrokerOrder, BrokerPosition

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2024, 3, 12)
SYMBOLS = ("QQQ", "SPY")


def load_handler(name: str) -> ModuleType:
    """``functions/<name>/app.py`` as a fresh module (each function has its own app.py)."""
    path = ROOT / "functions" / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"fn_{name}_app", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "events" / f"{name}.json").read_text())
    return data


@dataclass
class FakeContext:
    function_name: str = "test"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


class FrameMarketData:
    """MarketDataPort over in-memory frames (bars starting in [start, end))."""

    def __init__(self, frames: Mapping[str, pd.DataFrame]) -> None:
        self.frames = dict(frames)
        self.calls = 0

    def get_bars(
        self, symbols: list[str], start: datetime, end: datetime, timeframe: str = "1Min"
    ) -> dict[str, pd.DataFrame]:
        self.calls += 1
        out = {}
        for s in symbols:
            f = self.frames.get(s)
            if f is None:
                out[s] = pd.DataFrame(columns=["open", "high", "low", "close", "volume"])
                continue
            if timeframe == "1Day":
                from llm_advisor.premarket.pipeline import daily_from_minutes

                f = daily_from_minutes(f)
                if pd.DatetimeIndex(f.index).tz is None:
                    f = f.tz_localize("UTC")
            idx = pd.DatetimeIndex(f.index)
            out[s] = f[(idx >= pd.Timestamp(start)) & (idx < pd.Timestamp(end))]
        return out


@dataclass
class FakeBroker:
    """BrokerPort that remembers orders by client_order_id (like Alpaca)."""

    orders: dict[str, BrokerOrder] = field(default_factory=dict)
    submits: int = 0
    equity: Decimal = Decimal(100_000)
    positions: list[BrokerPosition] = field(default_factory=list)
    cancelled: int = 0
    closed: int = 0
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def submit_bracket(self, plan: TradePlan) -> BrokerOrder:
        self.submits += 1
        if plan.client_order_id in self.orders:
            return self.orders[plan.client_order_id]
        order = BrokerOrder(
            broker_order_id=f"b-{next(self._ids)}",
            client_order_id=plan.client_order_id,
            symbol=plan.symbol,
            side="buy" if plan.side.value == "long" else "sell",
            qty=plan.qty,
            status="accepted",
        )
        self.orders[plan.client_order_id] = order
        return order

    def get_order(self, client_order_id: str) -> BrokerOrder | None:
        return self.orders.get(client_order_id)

    def list_orders(self, status: Literal["open", "closed", "all"] = "all") -> list[BrokerOrder]:
        return list(self.orders.values())

    def list_positions(self) -> list[BrokerPosition]:
        return list(self.positions)

    def cancel_all_orders(self) -> int:
        self.cancelled += 1
        return 0

    def close_all_positions(self) -> int:
        self.closed += 1
        self.positions = []
        return 0

    def account(self) -> Account:
        return Account(equity=self.equity, cash=self.equity, buying_power=self.equity * 4)

    def is_market_open(self) -> bool:
        return True


def utc(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=UTC)


def put_context(frames: Mapping[str, pd.DataFrame], day: date = DAY) -> None:
    """The premarket context of ``day`` in the archive bucket, as premarket writes it."""
    from llm_advisor.aws.object_store import S3ObjectStore
    from llm_advisor.premarket.pipeline import build_premarket_context
    from llm_advisor.premarket.writers import put_context as put

    ctx = build_premarket_context(day, list(SYMBOLS), frames, None, [], None)
    put(S3ObjectStore("archive", region="us-east-1"), ctx)
