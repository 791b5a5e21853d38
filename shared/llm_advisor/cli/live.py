"""``python -m llm_advisor live --paper``: the paper-trading loop outside Lambda.

Every minute on the wall clock it runs the same service functions the Lambdas run - the
tick (``run_tick``), the executor for each published plan (``execute_plan``), the position
monitor (``run_monitor``: fills, positions, reconciliation, equity, daily-loss kill switch,
EOD flatten) and, on its interval, the market analysis - against Alpaca paper (or the local
stand-in through ``ADVISOR_ALPACA_URL_OVERRIDE``). The monitor's reconciliation is the one
the Lambda runs; the loop also runs it strictly at start and every ``--reconcile-minutes``
in which the monitor did not (outside sessions). Ctrl-C stops it between two steps.

Only this driver reads the wall clock (``SystemClock``); each step gets ``now`` explicitly.
Transient outside failures (throttling, 5xx, timeouts) skip to the next minute, which
repeats whatever did not happen (every step is idempotent); anything else stops the loop.
Like the handlers, each step records the status heartbeats and raises the alerts
(``notify/watch.py``); alerts print one line each on stderr (``--quiet-alerts``: not).
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests

from llm_advisor.alpaca.reconcile import Discrepancy, Reconciliation
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
    p.add_argument(
        "--quiet-alerts", action="store_true", help="record alerts without printing them"
    )
    p.set_defaults(func=run)


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
        """The start-up (and, outside sessions, periodic) check: the position monitor's own
        reconciliation (``execution.monitor.reconcile_broker``), strict - every difference
        between the database and the broker is reported, even one our orders explain, so a
        restart learns what changed while it was down - and the position book written."""
        from llm_advisor.execution.monitor import PositionBook, reconcile_broker, todays_trades

        c = self.container
        orders = c.broker.list_orders("all")
        self.tracker.ingest_all(orders)  # the in-memory bracket view a restart rebuilds
        records = c.repository
        rows = records.open_positions() if hasattr(records, "open_positions") else []
        synced = reconcile_broker(
            now,
            c.broker,
            rows,
            orders,
            c.broker.list_positions(),
            todays_trades(orders, now, getattr(c, "config", None)),
            strict=True,
            report=self._report,
        )
        if isinstance(records, PositionBook):
            records.sync_positions(synced.held, synced.closed, now)
        result = synced.reconciliation
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
        watch = getattr(c, "watch", None)  # status and alerts (notify/watch.py), if wired
        started = time.monotonic()
        tick = run_tick(now, c.tick_deps())
        if watch is not None:
            watch.after_tick(tick, time.monotonic() - started, tick.engine)
        executed = []
        for plan in c.plans.drain():
            done = execute_plan(  # staleness on the processing time, after the tick's work
                plan,
                c.clock.now(),
                c.broker,
                c.repository,
                lambda d: kill_switch_active(c.state, d),
                max_age=timedelta(seconds=c.settings.max_plan_age_seconds),
            )
            executed.append(done.outcome)
        if watch is not None and executed:
            watch.after_executor(now, [{"outcome": o} for o in executed])
        # The monitor is the reconciliation (positions, legs, fills, manual closes) every
        # session minute; its discrepancies reach the same hook as the start-up check's.
        monitor = run_monitor(now, c.broker, c.repository, c.state, c.config, self._report)
        if getattr(monitor, "status", None) == "reconciled":
            self.last_reconcile = now
        if watch is not None:
            watch.after_monitor(monitor, c.queue_depths.depths())
        # Every session minute: the service itself acts only at the session's analysis times
        # (09:45 + k x interval, as replay); an interval counted from whenever the loop
        # started would analyse at other minutes, or (gated) never.
        if tick.session_day is not None:
            analysis = run_market_analysis(now, c.analysis_deps())
            if watch is not None:
                watch.after_analysis(analysis)
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
    if not container.aws:  # alerts: one stderr line each (SNS only in the deployment)
        from llm_advisor.notify.adapters import PrintingNotifier

        container.__dict__["notifier"] = PrintingNotifier(quiet=args.quiet_alerts)
    # The tick validates each signal (ADVISOR_VALIDATOR, default the analyst's chain): say
    # which, and fail on a bad chain now rather than at the first signal.
    log.info("trade validation: %s", container.validator_chain if container.validator else "off")
    loop = PaperLoop(container, reconcile_every=timedelta(minutes=args.reconcile_minutes))
    stop = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        log.info("stopping (signal %d) after the current step", signum)
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    return loop.run(container.clock, stop, timedelta(seconds=args.lag_seconds))
