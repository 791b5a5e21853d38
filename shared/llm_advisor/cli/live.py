"""``python -m llm_advisor live --paper``: the paper-trading loop outside Lambda.

Every minute on the wall clock it runs the same service functions the Lambdas run - the
tick (``run_tick``), the executor for each published plan (``execute_plan``), the position
monitor (``run_monitor``: fills, equity, daily-loss kill switch, EOD flatten) and, on its
interval, the market analysis - against Alpaca paper (or the local stand-in through
``ADVISOR_ALPACA_URL_OVERRIDE``). It reconciles with the broker at start and every
``--reconcile-minutes``; Ctrl-C stops it between two steps.

Only this driver reads the wall clock (``SystemClock``); each step gets ``now`` explicitly.
Transient outside failures (throttling, 5xx, timeouts) skip to the next minute, which
repeats whatever did not happen (every step is idempotent); anything else stops the loop.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import requests

from llm_advisor.alpaca.reconcile import Discrepancy, OurPosition, Reconciliation
from llm_advisor.alpaca.tracker import TradeTracker
from llm_advisor.core.clock import Clock, SystemClock
from llm_advisor.core.errors import RetryableError, UserError

log = logging.getLogger("llm_advisor.live")


def register(sub: Any) -> None:
    p = sub.add_parser("live", help="paper-trading loop on the wall clock (Alpaca paper keys)")
    p.add_argument(
        "--paper",
        action="store_true",
        help="trade the Alpaca paper account (required; live money needs the SAM deployment "
        "and ADVISOR_ALPACA_PAPER=false plus ADVISOR_ALPACA_LIVE_CONFIRM)",
    )
    p.add_argument("--reconcile-minutes", type=int, default=15, help="reconcile every N minutes")
    p.add_argument("--lag-seconds", type=float, default=3.0, help="wait after each minute mark")
    p.set_defaults(func=run)


def _ours_from_records(records: Any) -> list[OurPosition]:
    """Open positions as the database has them (PortfolioQueries.open_positions)."""
    rows = records.open_positions() if hasattr(records, "open_positions") else []
    out = []
    for r in rows:
        sign = -1 if str(r.side) == "short" else 1
        out.append(
            OurPosition(r.symbol, sign * int(r.qty), Decimal(r.entry_price), r.client_order_id)
        )
    return out


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, RetryableError | requests.exceptions.RequestException) or (
        getattr(exc, "status_code", None) in (429, 500, 502, 503, 504)
    )


@dataclass
class PaperLoop:
    """One container's worth of adapters driven minute by minute."""

    container: Any
    reconcile_every: timedelta = timedelta(minutes=15)
    on_discrepancy: Callable[[Discrepancy], None] | None = None
    tracker: TradeTracker = field(init=False)
    last_reconcile: datetime | None = None
    last_analysis: datetime | None = None
    steps: int = 0

    def __post_init__(self) -> None:
        self.tracker = TradeTracker(self.container.broker, on_discrepancy=self._report)

    def _report(self, d: Discrepancy) -> None:
        log.warning("discrepancy (resolved in the broker's favour): %s", d)
        if self.on_discrepancy is not None:
            self.on_discrepancy(d)

    def reconcile(self, now: datetime) -> Reconciliation:
        result = self.tracker.reconcile(_ours_from_records(self.container.repository))
        self.last_reconcile = now
        log.info(
            "reconciled: %d broker positions, realized %s, %d discrepancies",
            len(result.positions),
            result.realized_pnl,
            len(result.discrepancies),
        )
        return result

    def step(self, now: datetime) -> dict[str, Any]:
        """Tick, execute, monitor (and analyse / reconcile when due) for the minute ``now``."""
        from llm_advisor.execution.executor import execute_plan
        from llm_advisor.execution.monitor import kill_switch_active, run_monitor
        from llm_advisor.live.tick import run_market_analysis, run_tick

        c = self.container
        tick = run_tick(now, c.tick_deps())
        executed = []
        for plan in c.plans.drain():
            done = execute_plan(
                plan, now, c.broker, c.repository, lambda d: kill_switch_active(c.state, d)
            )
            executed.append(done.outcome)
        monitor = run_monitor(now, c.broker, c.repository, c.state, c.config)
        # Every session minute: the service itself acts only at the session's analysis times
        # (09:45 + k x interval, as replay); an interval counted from whenever the loop
        # started would analyse at other minutes, or (gated) never.
        if tick.session_day is not None:
            analysis = run_market_analysis(now, c.analysis_deps())
            if analysis.status == "analysed":
                self.last_analysis = now
        if self.last_reconcile is None or now - self.last_reconcile >= self.reconcile_every:
            self.reconcile(now)
        self.steps += 1
        return {
            "tick": tick.summary(),
            "executed": executed,
            "monitor": monitor.summary(),
        }

    def run(
        self,
        clock: Clock,
        stop: threading.Event,
        lag: timedelta = timedelta(seconds=3),
        wait: Callable[[float], object] | None = None,
    ) -> int:
        """Until ``stop`` is set: reconcile, then one step a few seconds after each minute.

        ``wait`` (default ``stop.wait``) is injected so tests move a manual clock instead.
        """
        pause = wait or stop.wait
        self.reconcile(clock.now())
        while not stop.is_set():
            now = clock.now()
            try:
                summary = self.step(now)
                log.info("minute %s: %s", now.isoformat(timespec="seconds"), summary["tick"])
            except Exception as exc:
                if not _transient(exc):
                    raise
                log.warning("minute %s skipped, will catch up: %s", now, exc)
            nxt = now.replace(second=0, microsecond=0) + timedelta(minutes=1) + lag
            pause(max(0.0, (nxt - clock.now()).total_seconds()))
        log.info("stopped cleanly after %d steps", self.steps)
        return 0


def run(args: argparse.Namespace) -> int:
    from llm_advisor.bootstrap import Container

    if not args.paper:
        raise UserError(
            "live: pass --paper (this loop trades the Alpaca paper account; real money runs "
            "only in the SAM deployment with ADVISOR_ALPACA_LIVE_CONFIRM)"
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    container = Container(clock=SystemClock())
    container.settings = container.settings.model_copy(update={"alpaca_paper": True})
    container.alpaca_keys  # noqa: B018 - fail now with the variable's name, not at 09:31
    loop = PaperLoop(container, reconcile_every=timedelta(minutes=args.reconcile_minutes))
    stop = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        log.info("stopping (signal %d) after the current step", signum)
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    return loop.run(container.clock, stop, timedelta(seconds=args.lag_seconds))
