"""A whole simulated trading day through the real Lambda handlers, in-process, without Docker.

Why this exists: ``sam local`` needs a container runtime, and a day driven through the
handlers is the only proof that the deployment (schedules, state table, queue, executor,
monitor, broker) trades like the replay. Everything the handlers touch is real code or a
faithful stand-in:

- AWS: moto's in-process ``mock_aws`` (DynamoDB state table, SQS plan queue + DLQ, S3
  archive bucket, the Alpaca keys in Secrets Manager), created with boto3 like the template;
- the broker and market data: the Alpaca stand-in HTTP server on 127.0.0.1 (port 0), reached
  through the *real* alpaca-py clients (``ADVISOR_ALPACA_URL_OVERRIDE``), fed one minute at a
  time with synthetic bars and filling with the replay broker's rules;
- the analyst: the configured one (``rules`` by default); the database: SQLite or PostgreSQL;
- time: a manual clock. Each invocation's time is its event's scheduled time; the stand-in
  and the adapters read the same manual clock, never the wall clock.

Per minute T (New York), in this order: the bars that started at T-1 complete and are pushed
into the stand-in (which fills what they fill); ``live_tick`` at T steps them; then
``market_analysis`` when T is one of its scheduled times (after the tick, so it sees the bars
complete at T, as the replay's analysis at T does); the SQS messages the tick sent are
delivered to ``trade_executor`` as an SQS event (failed items come back next minute); then
``position_monitor``. ``premarket`` runs at 08:30.

The pieces live beside this module: ``result`` (what the day returns and its report),
``bars`` (the market fed to the stand-in), ``handlers`` (the five functions and their
settings) and ``moto_aws`` (the AWS services and the SQS event source). This module wires
them into the day and keeps every name callers import from ``llm_advisor.local.day``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time as _time
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from llm_advisor.core.calendar import NY, is_session
from llm_advisor.core.clock import ManualClock
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import UserError
from llm_advisor.core.progress import ProgressBar
from llm_advisor.execution.round_trips import broker_trades
from llm_advisor.live.engine import session_for_config
from llm_advisor.live.schedule import analysis_times
from llm_advisor.local.bars import (
    Rows,
    _by_minute,
    _frame,
    _iso,
    _load_daily,
    _ny,
    _push,
    history_start,
    synthetic_day_bars,
)
from llm_advisor.local.handlers import (
    FUNCTIONS,
    REPO_ROOT,
    _env,
    _Handlers,
    _LambdaContext,
    load_handler,
)
from llm_advisor.local.moto_aws import (
    ALPACA_SECRET,
    BUCKET,
    DLQ,
    QUEUE,
    REGION,
    TABLE,
    _aws,
    _Queue,
)
from llm_advisor.local.result import (
    LocalDayResult,
    _closed,
    _ReplacedOrders,
    local_run_id,
    parity_key,
)

# Every name callers and tests import (or patch) from ``llm_advisor.local.day``.
__all__ = [
    "ALPACA_SECRET",
    "BUCKET",
    "DLQ",
    "FUNCTIONS",
    "ONE_MINUTE",
    "PREMARKET_AT",
    "QUEUE",
    "REGION",
    "REPO_ROOT",
    "TABLE",
    "LocalDayResult",
    "Rows",
    "_Handlers",
    "_LambdaContext",
    "_Queue",
    "_ReplacedOrders",
    "history_start",
    "load_handler",
    "local_run_id",
    "main",
    "parity_key",
    "run_local_day",
    "synthetic_day_bars",
]

PREMARKET_AT = time(8, 30)
ONE_MINUTE = timedelta(minutes=1)


def run_local_day(
    day: date,
    symbols: Sequence[str],
    *,
    seed: int = 7,
    db_url: str = "sqlite:///data/llm_advisor.sqlite3",
    history_sessions: int = 40,
    config: StrategyConfig | None = None,
    analyst: str = "rules",
    bars: Mapping[str, pd.DataFrame] | None = None,
    deliver_twice: bool = False,
    account_equity: float | None = None,
    max_sizing_equity: float | None = None,
    daily_sessions: int = 0,
    quiet_alerts: bool = False,
    faults: Any = None,
) -> LocalDayResult:
    """Drive session ``day`` through the real handlers (see the module docstring).

    ``bars`` replaces the synthetic market (frames in the bar-file shape, history included);
    ``deliver_twice`` hands every SQS batch to the executor twice (at-least-once delivery).
    ``account_equity`` is the stand-in broker account's cash (default: the config's
    ``starting_equity``, which keeps the day equal to a replay): the tick sizes from the
    broker, so a 10,000 account gets about a tenth of a 100,000 account's quantities.
    ``max_sizing_equity`` sets ``ADVISOR_MAX_SIZING_EQUITY`` for the handlers.
    ``daily_sessions`` > 0 gives the stand-in that many synthetic daily bars before the
    minute history and has the premarket fetch daily bars (``1Day``), so the bias model has
    its year of history and the day stores a ``daily_bias`` row per symbol.
    Alerts print one line each on stderr as they are raised (``quiet_alerts``: not) and are
    kept in ``result.alerts``.
    ``faults`` (tests of the truth report, ``tests/truth/faults.py``): an object with
    ``push(exchange, rows, minute)`` (feeds the minute's bars, maybe some late),
    ``before_tick(t, exchange)`` (e.g. a partial fill or a manual close at the broker),
    ``skip_tick(t)`` (the tick at ``t`` does not run) and ``hold_queue(t)`` (no plan is
    delivered to the executor at ``t``).

    The handlers' settings are this function's alone (an explicit environment, never the
    caller's ``.env``): real keys or a production database must not leak into a simulation.
    """
    started = _time.perf_counter()
    if not is_session(day):
        raise UserError(f"date={day.isoformat()} is not an XNYS session")
    syms = tuple(sorted({s.strip().upper() for s in symbols if s.strip()}))
    if not syms:
        raise UserError("symbols: give at least one symbol")
    if history_sessions < 2:
        raise UserError(f"history_sessions={history_sessions}: at least 2 are needed")
    cfg = config or StrategyConfig()
    cash = cfg.starting_equity if account_equity is None else account_equity
    if not (cash > 0 and cash < 1e12):
        raise UserError(f"account_equity={account_equity!r}: expected a positive amount")
    frames = (
        dict(bars) if bars is not None else synthetic_day_bars(day, syms, seed, history_sessions)
    )
    missing = [s for s in syms if s not in frames]
    if missing:
        raise UserError(f"bars: no frame for {', '.join(missing)}")
    frames = {s: frames[s] for s in syms}

    from llm_advisor.standins.alpaca_exchange import SimExchange
    from llm_advisor.standins.alpaca_server import AlpacaStandIn

    session = session_for_config(day, cfg)
    rows = _by_minute(frames)
    t = _ny(day, PREMARKET_AT)
    clock = ManualClock(t)
    exchange = SimExchange(clock, starting_cash=cash, slippage_bps=cfg.slippage_bps)
    daily_frames = _load_daily(exchange, frames, daily_sessions, seed, day)
    for sym, f in frames.items():  # the past: served by the data API, never filled against
        exchange.load_history(sym, f[pd.DatetimeIndex(f.index) < pd.Timestamp(t)])
    if daily_sessions > 0:
        hi = datetime.combine(day, time(0), tzinfo=NY).astimezone(UTC)
        daily_frames = {s: _frame(exchange.bars_between(s, None, hi, "1Day")) for s in frames}
    aws_env = {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "POWERTOOLS_METRICS_NAMESPACE": "llm-advisor-local",
        "POWERTOOLS_SERVICE_NAME": "llm-advisor",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    if db_url.startswith("sqlite:///"):
        Path(db_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    with AlpacaStandIn(exchange=exchange) as standin, _aws(aws_env) as names:
        import boto3

        boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name=ALPACA_SECRET,
            SecretString=json.dumps({"api_key": standin.api_key, "secret_key": standin.secret_key}),
        )
        env = _env(day, syms, analyst, db_url, names["queue_url"], standin.url, history_sessions)
        env["ADVISOR_SIGNAL_DLQ_URL"] = names["dlq_url"]
        if max_sizing_equity is not None:
            env["ADVISOR_MAX_SIZING_EQUITY"] = str(max_sizing_equity)
        if daily_sessions > 0:
            env["ADVISOR_PREMARKET_DAILY"] = "feed"
        from llm_advisor.notify.adapters import MemoryNotifier, PrintingNotifier

        alerts = MemoryNotifier(then=PrintingNotifier(quiet=quiet_alerts).notify)
        handlers = _Handlers(env, cfg, clock, alerts)
        queue = _Queue(names["queue_url"], deliver_twice)
        plans: list[str] = []
        replaced = _ReplacedOrders()
        executor_log = logging.getLogger("llm_advisor.execution.executor")
        executor_log.addFilter(replaced)
        minutes = ProgressBar(f"simulated day {day}")
        try:
            handlers.invoke("premarket", {"scheduled_time": _iso(t)})
            end = session.close + ONE_MINUTE
            analysis_at = set(analysis_times(session, cfg))
            minutes.update(0, (end - t) // ONE_MINUTE)
            while t < end:
                t += ONE_MINUTE
                minutes.advance()
                clock.set(t)
                (_push if faults is None else faults.push)(exchange, rows, t - ONE_MINUTE)
                ny = t.astimezone(NY)
                if not (9 <= ny.hour <= 16):
                    continue
                event = {"scheduled_time": _iso(t)}
                if faults is not None:
                    faults.before_tick(t, exchange)
                if faults is None or not faults.skip_tick(t):
                    tick = handlers.invoke("live_tick", event)
                    plans.extend(tick.get("plans") or [])
                if t in analysis_at:
                    handlers.invoke("market_analysis", event)
                if faults is None or not faults.hold_queue(t):
                    queue.deliver(handlers, t)
                if t >= session.open:
                    handlers.invoke("position_monitor", event)
            monitor = handlers.container("position_monitor")
            orders = sorted(
                monitor.broker.list_orders("all"),
                key=lambda o: (o.submitted_at or t, o.broker_order_id),
            )
            equity = monitor.broker.account().equity
            ctx = monitor.load_context(day)
            daily_bias = ctx.daily_bias() if ctx is not None else {}
        finally:
            minutes.close()
            executor_log.removeFilter(replaced)
            handlers.close()
        trades = broker_trades(orders, session.flatten)
        result = LocalDayResult(
            day=day,
            symbols=syms,
            trades=trades,
            orders=orders,
            plans=plans,
            daily_bias=daily_bias,
            invocations=handlers.calls,
            order_posts=standin.count("POST", "/v2/orders"),
            equity=equity,
            run_id=local_run_id(day),
            daily=daily_frames,
            alerts=list(alerts.alerts),
            replaced_orders=replaced.count,
        )
    open_entries = [
        o for o in orders if o.leg == "entry" and o.filled_qty > 0 and not _closed(o, trades)
    ]
    result.elapsed_seconds = _time.perf_counter() - started
    result.summary = {
        "day": day.isoformat(),
        "run_id": result.run_id,
        "symbols": list(syms),
        "trades": len(trades),
        "plans": len(plans),
        "order_submissions": result.order_posts,
        "executor_failures": queue.failures,
        "realized_pnl": str(sum((x.pnl for x in trades), Decimal(0))),
        "equity": str(equity),
        "unclosed_entries": [o.client_order_id for o in open_entries],
        "elapsed_seconds": round(result.elapsed_seconds, 2),
        "alerts": [a.kind for a in result.alerts],
        "replaced_orders": replaced.count,
    }
    return result


# ---------------------------------------------------------------- CLI
def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m llm_advisor.local.day",
        description="One simulated trading day through the real handlers (moto + Alpaca "
        "stand-in), with its trades and report.",
    )
    p.add_argument("--date", required=True, help="session date YYYY-MM-DD")
    p.add_argument("--symbols", default="SPY,QQQ,IWM,NVDA,TSLA", help="comma-separated")
    p.add_argument("--seed", type=int, default=7, help="synthetic market seed")
    p.add_argument("--db-url", default="sqlite:///data/llm_advisor.sqlite3")
    p.add_argument("--history-sessions", type=int, default=40)
    p.add_argument("--analyst", default="rules")
    p.add_argument(
        "--account-equity", type=float, default=None, help="stand-in account cash (100000)"
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON too")
    p.add_argument("--quiet-alerts", action="store_true", help="do not print alerts on stderr")
    a = p.parse_args(argv)
    try:
        day = date.fromisoformat(a.date)
    except ValueError:
        sys.stderr.write(f"--date={a.date!r}: expected YYYY-MM-DD\n")
        return 2
    try:
        result = run_local_day(
            day,
            a.symbols.split(","),
            seed=a.seed,
            db_url=a.db_url,
            history_sessions=a.history_sessions,
            analyst=a.analyst,
            account_equity=a.account_equity,
            quiet_alerts=a.quiet_alerts,
        )
    except UserError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    sys.stdout.write(result.report() + "\n")
    if a.json:
        sys.stdout.write(json.dumps(result.summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
