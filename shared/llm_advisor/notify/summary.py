"""The after-close summary: the day's trades, P/L, and what the analyst's advice did.

Why not the attribution module's three replays (``analysis/attribution.py``): they need the
day's minute bars and run the engine three times, too heavy for a 16:15 Lambda. What the
stored record answers exactly instead: each trade's signal carries the thresholds in force
(base x the analyst's multipliers), so a trade is *advised* when they differ from the
configured base and *neutral* when they equal it. The summary gives the P/L of each group,
which says whether the trades taken under moved thresholds paid, not what neutral
thresholds would have traded instead (that question is ``attribution``'s, on replays).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from llm_advisor.core.calendar import NY
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.ports import Alert, SignalRow, TradeRow
from llm_advisor.notify.alerts import summary_alert

PAGE = 500


@dataclass
class DaySummary:
    day: date
    trades: list[TradeRow]
    pnl: Decimal
    wins: int
    advised_pnl: Decimal
    advised_trades: int
    neutral_pnl: Decimal
    neutral_trades: int
    equity: Decimal | None
    alerts: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        n = len(self.trades)
        out = [
            f"Session {self.day.isoformat()}: {n} trade(s), {self.wins} win(s), "
            f"realized P/L {self.pnl:+,.2f}"
            + ("" if self.equity is None else f", equity {self.equity:,.2f}"),
        ]
        for t in self.trades:
            out.append(
                f"  {t.symbol:<5} {t.setup} {t.side:<5} x{t.qty} "
                f"{t.entry_time.astimezone(NY):%H:%M} @ {t.entry_price:.2f} -> "
                f"{t.exit_time.astimezone(NY):%H:%M} @ {t.exit_price:.2f} "
                f"{t.exit_reason} P/L {t.pnl:+,.2f}"
            )
        out.append(
            f"Analyst: {self.advised_trades} trade(s) under moved thresholds P/L "
            f"{self.advised_pnl:+,.2f}; {self.neutral_trades} at neutral thresholds P/L "
            f"{self.neutral_pnl:+,.2f}"
        )
        if self.alerts:
            out.append(
                "Alerts today: " + ", ".join(f"{k} {v}" for k, v in sorted(self.alerts.items()))
            )
        return out

    def alert(self, at: datetime) -> Alert:
        return summary_alert(self.day, at, self.lines(), self.pnl)


def advised(s: SignalRow, config: StrategyConfig) -> bool:
    """The signal's thresholds differ from the configured base (the analyst moved them)."""
    pairs = (
        (s.mr_arm_z, config.mr_arm_z),
        (s.mr_trigger_z, config.mr_trigger_z),
        (s.tc_arm_z, config.tc_arm_z),
        (s.tc_trigger_z, config.tc_trigger_z),
    )
    return any(not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) for a, b in pairs)


def build_summary(
    queries: Any,
    day: date,
    config: StrategyConfig,
    equity: Decimal | None = None,
    alert_kinds: Sequence[str] = (),
) -> DaySummary:
    """The day's summary from the run's record (``queries``: a scoped repository)."""
    trades: list[TradeRow] = []
    offset = 0
    while True:
        page = queries.trades(day, day, limit=PAGE, offset=offset)
        trades.extend(page.items)
        offset += len(page.items)
        if not page.items or offset >= page.total:
            break
    signals = {s.client_order_id: s for s in queries.signals(day, day, limit=PAGE)}
    trades.sort(key=lambda t: (t.entry_time, t.symbol))
    zero = Decimal(0)
    adv = [t for t in trades if (s := signals.get(t.client_order_id)) and advised(s, config)]
    adv_ids = {t.client_order_id for t in adv}
    neu = [t for t in trades if t.client_order_id not in adv_ids]
    return DaySummary(
        day=day,
        trades=trades,
        pnl=sum((t.pnl for t in trades), zero),
        wins=sum(1 for t in trades if t.pnl > 0),
        advised_pnl=sum((t.pnl for t in adv), zero),
        advised_trades=len(adv),
        neutral_pnl=sum((t.pnl for t in neu), zero),
        neutral_trades=len(neu),
        equity=equity,
        alerts=Counter(k for k in alert_kinds if k != "summary"),
    )


def send_summary(
    repo: Any, config: StrategyConfig, watch: Any, day: date, at: datetime
) -> tuple[DaySummary, bool]:
    """Build the day's summary from ``repo`` (scoped to the run) and send it once through
    ``watch`` (the alert log's key is the day). Returns it and whether it was sent now."""
    from llm_advisor.notify.store import LoopStatusStore

    store = LoopStatusStore.of(repo)
    mon = store.heartbeats().get("monitor")
    raw = mon.detail.get("equity") if mon is not None else None
    equity = Decimal(str(raw)) if raw is not None else None
    kinds = [a.kind for a in store.alerts_on(day)]
    summary = build_summary(repo, day, config, equity, kinds)
    sent = bool(watch.send([summary.alert(at)]))
    watch.after_summary(at, day, summary.pnl, len(summary.trades))
    return summary, sent
