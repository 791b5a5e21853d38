"""What a simulated day hands back: the broker's trades, the report printed at the end.

Why apart from the driver (``day``): the demo, the truth report and the parity tests read a
``LocalDayResult`` and compare fills with ``parity_key`` without caring how the day was driven.
The run id the day writes under, the executor-log filter that counts re-placed orders and
the "entry never closed" check feed the report and the summary, so they live here too.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd

from llm_advisor.core.calendar import NY
from llm_advisor.core.models import Trade
from llm_advisor.core.ports import BrokerOrder
from llm_advisor.execution.executor import UNKNOWN_TO_BROKER


@dataclass
class LocalDayResult:
    """What the broker did on the day, plus enough of the rest to explain it."""

    day: date
    symbols: tuple[str, ...]
    trades: list[Trade]  # as the broker (stand-in) filled them, sorted like trades.csv
    orders: list[BrokerOrder]  # every order and bracket leg the broker holds, oldest first
    plans: list[str]  # client_order_ids the tick published
    daily_bias: dict[str, tuple[str, float]]  # what the analyst saw from premarket
    invocations: Counter[str] = field(default_factory=Counter)
    order_posts: int = 0  # POST /v2/orders the stand-in received
    equity: Decimal = Decimal(0)
    elapsed_seconds: float = 0.0
    summary: dict[str, Any] = field(default_factory=dict)
    run_id: str = ""  # the run (kind 'local') its records are stored under
    # the 1Day bars the premarket could fetch (synthetic daily history + the minute days),
    # as the stand-in serves them: the replay side of the parity check gets the same
    daily: dict[str, pd.DataFrame] = field(default_factory=dict)
    alerts: list[Any] = field(default_factory=list)  # notify Alert: what the owner was told
    # orders an earlier run of the day left in the database, placed again on this run's
    # fresh stand-in account (a rerun of the demo); the executor's warning is folded here
    replaced_orders: int = 0

    def report(self) -> str:
        lines = [
            f"Local day {self.day.isoformat()}  symbols {','.join(self.symbols)}  "
            f"({self.elapsed_seconds:.1f} s)",
            "  invocations: " + ", ".join(f"{k} {v}" for k, v in sorted(self.invocations.items())),
            f"  plans {len(self.plans)}, order submissions {self.order_posts}, "
            f"broker orders {sum(1 for o in self.orders if o.parent_id is None)}",
        ]
        if self.replaced_orders:
            lines.append(
                f"  fresh simulated broker account: re-placed {self.replaced_orders} orders "
                "of the earlier run (the database keeps them; the stand-in starts empty)"
            )
        if not self.trades:
            lines.append("  no trades")
        for t in self.trades:
            lines.append(
                f"  {t.symbol:<5} {t.setup.value} {t.side.value:<5} x{t.qty:<5} "
                f"{t.entry_time.astimezone(NY):%H:%M} @ {t.entry_price:.2f} -> "
                f"{t.exit_time.astimezone(NY):%H:%M} @ {t.exit_price:.2f} "
                f"{t.exit_reason.value:<11} P/L {t.pnl:+.2f}"
            )
        pnl = sum((t.pnl for t in self.trades), Decimal(0))
        lines.append(f"  realized P/L {pnl:+.2f}   broker equity {self.equity:.2f}")
        return "\n".join(lines)


def parity_key(t: Trade) -> tuple[Any, ...]:
    """What must be equal between the broker's day and the replay: every field of a fill."""
    return (
        t.symbol,
        t.setup.value,
        t.side.value,
        t.signal_time,
        t.entry_time,
        t.entry_price,
        t.exit_time,
        t.exit_price,
        t.qty,
        t.exit_reason.value,
        t.pnl,
        t.client_order_id,
    )


def local_run_id(day: date) -> str:
    """The run a simulated day writes into: its own per date, never the account's 'live'
    (re-running the same date updates that run in place)."""
    return f"local-{day.isoformat()}"


class _ReplacedOrders(logging.Filter):
    """Counts, and keeps off the console, the executor's "in the database but unknown to
    the broker" warning: a rerun of the day meets its earlier orders in the database and a
    stand-in account that starts empty, so every one of them would warn; the report says it
    once instead (``LocalDayResult.replaced_orders``)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == UNKNOWN_TO_BROKER:
            self.count += 1
            return False
        return True


def _closed(entry: BrokerOrder, trades: Sequence[Trade]) -> bool:
    return any(t.client_order_id == entry.client_order_id for t in trades)
