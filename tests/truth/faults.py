"""Fault injection for the local day (``run_local_day(faults=...)``): the truth report's
end-to-end tests break a day in known ways and expect each break named with its cause."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

ONE_MINUTE = timedelta(minutes=1)


@dataclass
class DayFaults:
    # (symbol, bar minute) -> minutes late: the feed publishes that bar this much later
    late_bars: dict[tuple[str, datetime], int] = field(default_factory=dict)
    skip_ticks: set[datetime] = field(default_factory=set)  # ticks that do not run
    held_queue: set[datetime] = field(default_factory=set)  # minutes with no SQS delivery
    partial_at: dict[datetime, float] = field(default_factory=dict)  # next entry fills part
    manual_close_at: dict[datetime, str] = field(default_factory=dict)  # symbol closed by hand
    _pending: dict[datetime, list[tuple[str, datetime, Any]]] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)  # what was injected (the test checks)

    def push(self, exchange: Any, rows: Mapping[str, Any], minute: datetime) -> None:
        for sym in sorted(rows):
            bar = rows[sym].get(minute)
            if bar is None:
                continue
            late = self.late_bars.get((sym, minute), 0)
            if late:
                self._pending.setdefault(minute + late * ONE_MINUTE, []).append((sym, minute, bar))
                self.done.append(f"late_bar {sym} {minute:%H:%M}")
            else:
                exchange.push_bar(sym, minute, *bar)
        for sym, at, bar in self._pending.pop(minute, []):
            exchange.push_bar(sym, at, *bar)

    def before_tick(self, t: datetime, exchange: Any) -> None:
        if t in self.partial_at:
            exchange.partial_fill_next(self.partial_at[t])
            self.done.append(f"partial_fill {t:%H:%M}")
        sym = self.manual_close_at.get(t)
        if sym is not None:
            for o in list(exchange.orders.values()):
                if o.symbol == sym and o.is_open and o.parent_id is not None:
                    exchange.cancel(o.id)
            exchange.close_position(sym)
            self.done.append(f"manual_close {sym} {t:%H:%M}")

    def skip_tick(self, t: datetime) -> bool:
        if t in self.skip_ticks:
            self.done.append(f"tick_not_run {t:%H:%M}")
            return True
        return False

    def hold_queue(self, t: datetime) -> bool:
        if t in self.held_queue:
            self.done.append(f"queue_held {t:%H:%M}")
            return True
        return False
