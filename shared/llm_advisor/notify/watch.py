"""What the handlers (and the paper loop) record after each run: a heartbeat and alerts.

Called around the service result, never inside it: ``run_tick`` and ``run_monitor`` stay
as they are, and the handler hands their results here. Recording status must never cost a
trade, so every store or notifier failure is logged and swallowed; the handler's own result
(and its error, re-raised by the handler) is what Lambda and CloudWatch see.

An alert is first *claimed* in the alert log (its key is unique), then sent: a rerun of the
same minute claims nothing new and sends nothing (``notify/store.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from llm_advisor.core.calendar import NY, is_session
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.ports import Alert, NotifierPort
from llm_advisor.notify import alerts as al
from llm_advisor.notify.queues import QueueDepths
from llm_advisor.notify.store import LoopStatusStore

log = logging.getLogger(__name__)


def in_session(now: datetime, config: StrategyConfig) -> bool:
    """Between the open and the close of ``now``'s session (the dead-man's hours)."""
    from llm_advisor.live.engine import session_for_config

    day = now.astimezone(NY).date()
    if not is_session(day):
        return False
    s = session_for_config(day, config)
    return s.open <= now <= s.close


@dataclass
class Watch:
    """Heartbeats and alerts for one process; ``store`` is opened on first use."""

    store: Callable[[], LoopStatusStore]
    notifier: NotifierPort
    config: StrategyConfig
    bad_bars_threshold: int = 5

    # ------------------------------------------------------------ plumbing
    def _store(self) -> LoopStatusStore | None:
        try:
            return self.store()
        except Exception as exc:
            log.warning("loop status store unavailable: %s", exc)
            return None

    def beat(self, component: str, at: datetime, ok: bool, detail: dict[str, Any]) -> None:
        store = self._store()
        if store is None:
            return
        try:
            store.beat(component, at, ok, detail)
        except Exception as exc:
            log.warning("heartbeat %s not recorded: %s", component, exc)

    def send(self, candidates: Iterable[Alert | None]) -> list[Alert]:
        """Claim each alert in the log and send the new ones; returns what was sent."""
        store = self._store()
        sent: list[Alert] = []
        for alert in candidates:
            if alert is None:
                continue
            try:
                if store is not None and not store.claim(alert):
                    continue  # already alerted (a rerun of this minute)
            except Exception as exc:
                log.warning("alert %s not logged: %s", alert.key, exc)
                continue
            try:
                self.notifier.notify(alert)
                sent.append(alert)
            except Exception as exc:
                log.error("alert %s not delivered: %s", alert.key, exc)
        return sent

    def failure(self, component: str, at: datetime, error: BaseException) -> None:
        """A handler failed: heartbeat not ok, one ``error`` row (not sent: the CloudWatch
        error alarms tell the owner)."""
        self.beat(component, at, False, {"error": f"{type(error).__name__}: {error}"[:500]})
        store = self._store()
        if store is not None:
            try:
                store.claim(al.error_alert(component, at, error), sent=False)
            except Exception as exc:
                log.warning("error of %s not logged: %s", component, exc)

    # ------------------------------------------------------------ per component
    def after_tick(
        self, result: Any, duration_s: float, engine: dict[str, int] | None = None
    ) -> list[Alert]:
        q, late = len(result.quarantined), len(result.late)
        detail: dict[str, Any] = {
            "status": result.status,
            "session_day": result.session_day.isoformat() if result.session_day else None,
            "minutes": len(result.minutes),
            "last_minute": result.minutes[-1].isoformat() if result.minutes else None,
            "duration_ms": round(duration_s * 1000),
            "plans": len(result.plans),
            "bars_quarantined": q,
            "bars_late": late,
            "held_minute": result.held.isoformat() if result.held else None,
        }
        if engine is not None:
            detail["engine"] = engine
        self.beat("tick", result.now, True, detail)
        if result.session_day is None:
            return []
        return self.send(
            [al.bad_bars_alert(result.session_day, q, late, self.bad_bars_threshold, result.now)]
        )

    def after_monitor(self, result: Any, depths: QueueDepths) -> list[Alert]:
        now: datetime = result.now
        detail = {
            "status": result.status,
            "broker_ok": result.status == "reconciled" or None,
            "equity": None if result.equity is None else str(result.equity),
            "positions": result.positions,
            "kill_switch": result.kill_switch,
            "flattened": result.flattened,
            "discrepancies": len(result.discrepancies),
            "queue_depth": depths.queue,
            "dlq_depth": depths.dlq,
        }
        self.beat("monitor", now, True, detail)
        day = now.astimezone(NY).date()
        candidates: list[Alert | None] = [al.dlq_alert(day, depths.dlq or 0, now)]
        if result.status == "reconciled":
            candidates += al.fill_alerts(result.fills)
            candidates += al.exit_alerts(result.trades)
            if result.kill_switch:
                candidates.append(al.kill_switch_alert(day, now, result.equity))
            candidates.append(self.dead_man(now))
        return self.send(candidates)

    def dead_man(self, now: datetime) -> Alert | None:
        """The monitor's check on the tick: no successful tick for 3 minutes in session."""
        from llm_advisor.live.engine import session_for_config

        day = now.astimezone(NY).date()
        if not is_session(day):
            return None
        store = self._store()
        if store is None:
            return None
        try:
            tick = store.heartbeats().get("tick")
        except Exception as exc:
            log.warning("tick heartbeat unreadable: %s", exc)
            return None
        last_ok = tick.last_ok_at if tick is not None else None
        return al.dead_man_alert(now, last_ok, session_for_config(day, self.config))

    def after_analysis(self, outcome: Any) -> list[Alert]:
        now: datetime = outcome.now
        if outcome.status in ("closed", "not_scheduled"):
            return []  # the 5-minute schedule between analysis times: keep the last one
        advice = outcome.advice
        source = advice.source if advice is not None else None
        detail = {
            "status": outcome.status,
            "source": source,
            "fallback": bool(source and al.NEUTRAL_MARK in source),
            "multipliers": advice.multipliers.model_dump() if advice is not None else None,
            "assessment": outcome.result.market_assessment if outcome.result else None,
        }
        self.beat("analysis", now, True, detail)
        if outcome.status != "analysed":
            return []
        day = now.astimezone(NY).date()
        failures = 0
        store = self._store()
        if store is not None:
            try:
                failures = store.llm_failures(day).get(al.VALIDATOR_TOOL, 0)
            except Exception as exc:
                log.warning("ledger failures unreadable: %s", exc)
        candidates = [al.validator_fallback_alert(day, failures, now)]
        if source is not None:
            candidates.insert(0, al.analyst_fallback_alert(source, now))
        return self.send(candidates)

    def after_executor(self, at: datetime, outcomes: Sequence[dict[str, Any]]) -> None:
        counts: dict[str, int] = {}
        for o in outcomes:
            counts[str(o.get("outcome"))] = counts.get(str(o.get("outcome")), 0) + 1
        last = outcomes[-1] if outcomes else None
        self.beat("executor", at, True, {"outcomes": counts, "last": last})

    def after_summary(self, at: datetime, day: date, pnl: Decimal, trades: int) -> None:
        self.beat("summary", at, True, {"day": day.isoformat(), "pnl": str(pnl), "trades": trades})
