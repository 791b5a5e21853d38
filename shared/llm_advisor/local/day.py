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
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import logging
import sys
import time as _time
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from llm_advisor.core.calendar import NY, is_session, previous_session
from llm_advisor.core.clock import ManualClock
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import UserError
from llm_advisor.core.models import Trade
from llm_advisor.core.ports import BrokerOrder
from llm_advisor.core.progress import ProgressBar
from llm_advisor.execution.executor import UNKNOWN_TO_BROKER
from llm_advisor.execution.round_trips import broker_trades
from llm_advisor.live.engine import session_for_config
from llm_advisor.live.schedule import analysis_times

FUNCTIONS = ("premarket", "live_tick", "market_analysis", "trade_executor", "position_monitor")
REPO_ROOT = Path(__file__).resolve().parents[3]
REGION = "us-east-1"
TABLE, BUCKET, QUEUE, DLQ, ALPACA_SECRET = "state", "archive", "plans", "plans-dlq", "alpaca"
PREMARKET_AT = time(8, 30)
ONE_MINUTE = timedelta(minutes=1)


# ---------------------------------------------------------------- result
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


# ---------------------------------------------------------------- inputs
def history_start(day: date, history_sessions: int) -> date:
    d = day
    for _ in range(history_sessions):
        d = previous_session(d)
    return d


def synthetic_day_bars(
    day: date, symbols: Sequence[str], seed: int, history_sessions: int
) -> dict[str, pd.DataFrame]:
    """``history_sessions`` sessions before ``day`` and ``day`` itself (premarket included):
    exactly what the replay side of the parity test is given."""
    from llm_advisor.data.synthetic import SyntheticMarket

    start = history_start(day, history_sessions)
    return SyntheticMarket(seed).minute_bars(list(symbols), start, history_sessions + 1)


def _ny(day: date, t: time) -> datetime:
    return datetime.combine(day, t, tzinfo=NY).astimezone(UTC)


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- handlers
@dataclass
class _LambdaContext:
    function_name: str
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:local"
    aws_request_id: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def load_handler(name: str) -> ModuleType:
    """``functions/<name>/app.py`` as its own module, like one Lambda function's container."""
    path = REPO_ROOT / "functions" / name / "app.py"
    if not path.is_file():
        raise UserError(f"handler {name!r} not found at {path} (run from a clone of the repo)")
    spec = importlib.util.spec_from_file_location(f"local_day_{name}_app", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Handlers:
    """The five functions, each with its own container (settings, clients, connections)."""

    def __init__(
        self,
        env: Mapping[str, str],
        config: StrategyConfig,
        clock: ManualClock,
        notifier: Any = None,
    ):
        from llm_advisor.bootstrap import Container

        overrides: dict[str, Any] = {"config": config}
        if notifier is not None:  # one list of the day's alerts across the five containers
            overrides["notifier"] = notifier

        self.modules: dict[str, ModuleType] = {}
        self.calls: Counter[str] = Counter()
        for name in FUNCTIONS:
            module = load_handler(name)
            # The handler's per-container cache, filled the way its ``container()`` would,
            # but with the manual clock.
            vars(module)["_container"] = Container(env, clock=clock, overrides=overrides)
            self.modules[name] = module

    def container(self, name: str) -> Any:
        return vars(self.modules[name])["_container"]

    def invoke(self, name: str, event: dict[str, Any]) -> dict[str, Any]:
        self.calls[name] += 1
        ctx = _LambdaContext(f"llm-advisor-{name}", aws_request_id=f"{name}-{self.calls[name]}")
        # Powertools prints each invocation's metrics (EMF) to stdout: keep the report readable.
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "no metrics to publish"
            out: dict[str, Any] = self.modules[name].lambda_handler(event, ctx)
        return out

    def close(self) -> None:
        for module in self.modules.values():
            repo = vars(module)["_container"].__dict__.get("repository")
            close = getattr(repo, "close", None)
            if callable(close):
                close()


# ---------------------------------------------------------------- AWS (moto)
@contextmanager
def _aws(env_overrides: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """moto resources named like the deployment's; yields their names for the settings."""
    import os

    import boto3
    from moto import mock_aws

    from llm_advisor.aws.clients import reset_clients

    saved = {k: os.environ.get(k) for k in env_overrides}
    os.environ.update(env_overrides)
    try:
        with mock_aws():
            reset_clients()
            ddb = boto3.client("dynamodb", region_name=REGION)
            ddb.create_table(
                TableName=TABLE,
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            )
            sqs = boto3.client("sqs", region_name=REGION)
            dlq = sqs.create_queue(QueueName=DLQ)["QueueUrl"]
            dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            queue = sqs.create_queue(
                QueueName=QUEUE,
                Attributes={
                    "VisibilityTimeout": "180",
                    "RedrivePolicy": json.dumps(
                        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5}
                    ),
                },
            )["QueueUrl"]
            boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
            yield {"queue_url": queue, "dlq_url": dlq}
            reset_clients()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class _Queue:
    """The SQS event source mapping: receive, invoke with a batch, delete what succeeded."""

    def __init__(self, queue_url: str, deliver_twice: bool) -> None:
        import boto3

        self.url = queue_url
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.deliver_twice = deliver_twice
        self.failures = 0

    def _record(self, m: Mapping[str, Any], now: datetime) -> dict[str, Any]:
        attrs = dict(m.get("Attributes") or {})
        # The event's SentTimestamp is the simulated minute, not moto's wall clock: the
        # executor stamps the order with it.
        ms = str(int(now.timestamp() * 1000))
        attrs["SentTimestamp"] = ms
        attrs.setdefault("ApproximateFirstReceiveTimestamp", ms)
        attrs.setdefault("ApproximateReceiveCount", "1")
        return {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": attrs,
            "messageAttributes": {
                k: {
                    "stringValue": v.get("StringValue"),
                    "dataType": v.get("DataType", "String"),
                    "stringListValues": [],
                    "binaryListValues": [],
                }
                for k, v in (m.get("MessageAttributes") or {}).items()
            },
            "md5OfBody": m.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.arn,
            "awsRegion": REGION,
        }

    def deliver(self, handlers: _Handlers, now: datetime) -> int:
        """One delivery round; a failed item stays on the queue and returns next minute."""
        delivered = 0
        seen: set[str] = set()
        while True:
            got = self.sqs.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=10,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                VisibilityTimeout=30,
            ).get("Messages", [])
            fresh = [m for m in got if m["MessageId"] not in seen]
            if not fresh:
                for m in got:  # already tried this minute: back for the next round
                    self.sqs.change_message_visibility(
                        QueueUrl=self.url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
                    )
                return delivered
            seen.update(m["MessageId"] for m in fresh)
            event = {"Records": [self._record(m, now) for m in fresh]}
            rounds = 2 if self.deliver_twice else 1
            failed: set[str] = set()
            for _ in range(rounds):
                resp = handlers.invoke("trade_executor", event)
                failed |= {f["itemIdentifier"] for f in resp.get("batchItemFailures", [])}
            delivered += len(fresh)
            self.failures += len(failed)
            for m in fresh:
                if m["MessageId"] in failed:
                    self.sqs.change_message_visibility(
                        QueueUrl=self.url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
                    )
                else:
                    self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=m["ReceiptHandle"])


# ---------------------------------------------------------------- the day
def local_run_id(day: date) -> str:
    """The run a simulated day writes into: its own per date, never the account's 'live'
    (re-running the same date updates that run in place)."""
    return f"local-{day.isoformat()}"


def _env(
    day: date,
    symbols: Sequence[str],
    analyst: str,
    db_url: str,
    queue_url: str,
    alpaca_url: str,
    history_sessions: int,
) -> dict[str, str]:
    return {
        "ADVISOR_RUNTIME": "aws",
        "ADVISOR_WATCHLIST": ",".join(symbols),
        "ADVISOR_ANALYST": analyst,
        "ADVISOR_STATE_TABLE": TABLE,
        "ADVISOR_SIGNAL_QUEUE_URL": queue_url,
        "ADVISOR_ARCHIVE_BUCKET": BUCKET,
        "ADVISOR_AWS_REGION": REGION,
        "ADVISOR_DB_URL": db_url,
        "ADVISOR_ALPACA_SECRET_ID": ALPACA_SECRET,
        "ADVISOR_ALPACA_URL_OVERRIDE": alpaca_url,
        "ADVISOR_ALPACA_FEED": "iex",
        "ADVISOR_PREMARKET_MINUTE_SESSIONS": str(max(2, history_sessions)),
        "ADVISOR_PREMARKET_DAILY": "minutes",
        # The stand-in has every bar of a minute before its tick: a thin name's gap is a
        # minute it did not trade, not a late bar, so no wait and no held minute.
        "ADVISOR_BAR_WAIT_SECONDS": "0",
        "ADVISOR_RUN_ID": local_run_id(day),
        "ADVISOR_RUN_KIND": "local",
        "ADVISOR_RUN_LABEL": f"local day {day.isoformat()} ({analyst} analyst)",
    }


Rows = dict[datetime, tuple[float, float, float, float, float]]


def _by_minute(frames: Mapping[str, pd.DataFrame]) -> dict[str, Rows]:
    out: dict[str, Rows] = {}
    for sym, f in frames.items():
        idx = pd.DatetimeIndex(f.index)
        cols = [f[c].to_numpy(dtype=float) for c in ("open", "high", "low", "close", "volume")]
        out[sym] = {
            ts.to_pydatetime(): (
                float(cols[0][i]),
                float(cols[1][i]),
                float(cols[2][i]),
                float(cols[3][i]),
                float(cols[4][i]),
            )
            for i, ts in enumerate(idx)
        }
    return out


def _push(exchange: Any, rows: Mapping[str, Rows], minute: datetime) -> None:
    """The bars that started at ``minute`` complete: the stand-in stores and fills them."""
    for sym in sorted(rows):
        bar = rows[sym].get(minute)
        if bar is not None:
            exchange.push_bar(sym, minute, *bar)


def _load_daily(
    exchange: Any, frames: Mapping[str, pd.DataFrame], sessions: int, seed: int, day: date
) -> dict[str, pd.DataFrame]:
    """Synthetic daily bars before the minute history, one bar per session at its close
    (data API only), joined to each symbol's first minute open."""
    if sessions <= 0:
        return {}
    from llm_advisor.data.synthetic import daily_history

    first = min(pd.DatetimeIndex(f.index).min() for f in frames.values())
    before = first.tz_convert(NY).date() if first.tzinfo else first.date()
    anchors = {s: float(f["open"].iloc[0]) for s, f in frames.items() if len(f)}
    daily = daily_history(sorted(frames), min(before, day), sessions, seed, anchors)
    for sym, d in daily.items():
        at = pd.DatetimeIndex(d.index).tz_localize(NY) + pd.Timedelta(hours=16)
        exchange.load_history(sym, d.set_axis(at.tz_convert(UTC)))
    return daily


def _frame(rows: Sequence[tuple[datetime, tuple[float, ...]]]) -> pd.DataFrame:
    idx = pd.DatetimeIndex([t for t, _ in rows], tz=UTC, name="timestamp")
    cols = ("open", "high", "low", "close", "volume")
    return pd.DataFrame([list(b) for _, b in rows], index=idx, columns=list(cols), dtype=float)


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
