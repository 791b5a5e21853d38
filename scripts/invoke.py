"""Run one Lambda handler in-process on one event: ``make invoke FN=live_tick EVENT=...``.

No Docker: the handler runs under moto (DynamoDB, SQS, S3, Secrets Manager created with the
deployment's names) against the local SQLite database, and prints its response.

Broker and market data: with ``ALPACA_API_KEY``/``ALPACA_SECRET_KEY`` set, the handler talks
to that Alpaca (paper) account. Without keys it uses the local Alpaca stand-in, which serves
the synthetic market up to the event's time, so every sample event in ``events/`` runs on a
fresh machine. A tick or an analysis needs the day's premarket context: when it is missing,
the premarket handler runs first (and says so).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = (
    "premarket",
    "live_tick",
    "market_analysis",
    "trade_executor",
    "position_monitor",
    "portfolio_api",
)
NEEDS_BROKER = {"premarket", "live_tick", "market_analysis", "trade_executor", "position_monitor"}
NEEDS_CONTEXT = {"live_tick", "market_analysis"}
ALPACA_SECRET = "alpaca"


@dataclass
class Context:
    function_name: str = "local"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:local"
    aws_request_id: str = "local-1"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def _event_time(fn: str, event: dict[str, Any]) -> datetime | None:
    """When the event happens: the schedule's time, or the plan's signal bar + 1 minute."""
    raw = event.get("scheduled_time") or event.get("time")
    if raw is None and fn == "trade_executor" and event.get("Records"):
        plan = json.loads(event["Records"][0]["body"])
        raw = plan.get("signal_time")
        if raw:
            return datetime.fromisoformat(raw.replace("Z", "+00:00")) + timedelta(minutes=1)
    return datetime.fromisoformat(raw.replace("Z", "+00:00")) if raw else None


@contextlib.contextmanager
def _standin(when: datetime) -> Iterator[Any]:
    """The Alpaca stand-in serving the watchlist's synthetic bars strictly before ``when``."""
    import pandas as pd

    from llm_advisor.core.calendar import NY
    from llm_advisor.core.clock import ManualClock
    from llm_advisor.core.config import settings_from_env
    from llm_advisor.local.day import synthetic_day_bars
    from llm_advisor.standins.alpaca_exchange import SimExchange
    from llm_advisor.standins.alpaca_server import AlpacaStandIn

    day = when.astimezone(NY).date()
    frames = synthetic_day_bars(day, settings_from_env().watchlist, 7, 12)
    exchange = SimExchange(ManualClock(when))
    for sym, f in frames.items():
        exchange.load_history(sym, f[pd.DatetimeIndex(f.index) < pd.Timestamp(when)])
    with AlpacaStandIn(exchange=exchange) as standin:
        yield standin


def _load(fn: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"fn_{fn}", ROOT / "functions" / fn / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(fn: str, event: dict[str, Any]) -> Any:
    with contextlib.ExitStack() as stack:
        when = _event_time(fn, event)
        if fn in NEEDS_BROKER and not os.environ.get("ALPACA_API_KEY"):
            if when is None:
                raise SystemExit(f"EVENT: no scheduled_time to place {fn} in the market")
            import boto3

            standin = stack.enter_context(_standin(when))
            boto3.client("secretsmanager").create_secret(
                Name=ALPACA_SECRET,
                SecretString=json.dumps(
                    {"api_key": standin.api_key, "secret_key": standin.secret_key}
                ),
            )
            os.environ["ADVISOR_ALPACA_SECRET_ID"] = ALPACA_SECRET
            os.environ["ADVISOR_ALPACA_URL_OVERRIDE"] = standin.url
            os.environ.setdefault("ADVISOR_PREMARKET_DAILY", "minutes")
            print(f"(no ALPACA_API_KEY: using the local Alpaca stand-in at {standin.url})")
        if fn in NEEDS_CONTEXT and when is not None:
            from llm_advisor.core.calendar import NY

            day = when.astimezone(NY).date()
            at = datetime.combine(day, datetime.min.time().replace(hour=8, minute=30), tzinfo=NY)
            print(f"(running premarket for {day} first: the {fn} needs the day's context)")
            _load("premarket").lambda_handler({"scheduled_time": at.isoformat()}, Context())
            if fn == "market_analysis":
                print("(running this minute's tick first: the analysis reads the state it saves)")
                _load("live_tick").lambda_handler({"scheduled_time": when.isoformat()}, Context())
        return _load(fn).lambda_handler(event, Context())


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in FUNCTIONS:
        print(f"usage: invoke.py FN EVENT.json   (FN one of {', '.join(FUNCTIONS)})")
        return 2
    fn, event_path = argv
    try:
        event = json.loads(Path(event_path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        print(f"EVENT={event_path}: {exc}")
        return 2
    for k, v in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "POWERTOOLS_METRICS_NAMESPACE": "llm-advisor",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "ADVISOR_RUNTIME": "aws",
        "ADVISOR_STATE_TABLE": "state",
        "ADVISOR_ARCHIVE_BUCKET": "archive",
    }.items():
        os.environ.setdefault(k, v)
    import warnings

    import boto3
    from moto import mock_aws

    warnings.filterwarnings("ignore", message="No application metrics to publish")
    with mock_aws():
        boto3.client("dynamodb").create_table(
            TableName=os.environ["ADVISOR_STATE_TABLE"],
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
        os.environ.setdefault(
            "ADVISOR_SIGNAL_QUEUE_URL",
            boto3.client("sqs").create_queue(QueueName="plans")["QueueUrl"],
        )
        boto3.client("s3").create_bucket(Bucket=os.environ["ADVISOR_ARCHIVE_BUCKET"])
        try:
            result = _run(fn, event)
        except Exception as exc:  # a CLI: one line, not a traceback
            print(f"{fn} failed: {type(exc).__name__}: {exc}")
            return 1
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
