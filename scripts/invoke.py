"""Run one Lambda handler in-process on one event: ``make invoke FN=live_tick EVENT=...``.

No Docker: the handler runs under moto (DynamoDB, SQS, S3, Secrets Manager created with the
deployment's names) against the local SQLite database, and prints its response on stdout
(notes on stderr). ``--verbose`` (``make invoke ... VERBOSE=1``) also lets through what
the handler prints itself: Powertools' CloudWatch metric JSON and its log lines.

Settings come from ``load_environment`` like every entry point (process environment over
``.env``); the defaults below fill only what neither sets.

Broker and market data: with ``ALPACA_API_KEY``/``ALPACA_SECRET_KEY`` set (or in ``.env``),
the handler talks to that Alpaca (paper) account. Without keys it uses the local Alpaca
stand-in, which serves the synthetic market up to the event's time, so every sample event
in ``events/`` runs on a fresh machine. A tick or an analysis needs the day's premarket
context: when it is missing, the premarket handler runs first (and says so).
"""

from __future__ import annotations

import contextlib
import http.server
import importlib.util
import json
import logging
import os
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from llm_advisor.core.config import load_environment

ROOT = Path(__file__).resolve().parents[1]
# every function of the template (functions/<name>/app.py): a new one needs no edit here
FUNCTIONS = tuple(sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py")))
NEEDS_BROKER = {
    "premarket", "live_tick", "market_analysis", "trade_executor", "position_monitor",
    "truth_report",  # re-fetches the day's bars
}  # fmt: skip
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
    """When the event happens: the schedule's time, or when SQS delivered the plans (the
    latest ApproximateFirstReceiveTimestamp), or the plan's signal bar + 1 minute."""
    raw = event.get("scheduled_time") or event.get("time")
    if raw is None and fn == "trade_executor" and event.get("Records"):
        received = [
            int(r["attributes"]["ApproximateFirstReceiveTimestamp"])
            for r in event["Records"]
            if (r.get("attributes") or {}).get("ApproximateFirstReceiveTimestamp")
        ]
        if received:
            return datetime.fromtimestamp(max(received) / 1000, UTC)
        plan = json.loads(event["Records"][0]["body"])
        raw = plan.get("signal_time")
        if raw:
            return datetime.fromisoformat(raw.replace("Z", "+00:00")) + timedelta(minutes=1)
    return datetime.fromisoformat(raw.replace("Z", "+00:00")) if raw else None


@contextlib.contextmanager
def _standin(when: datetime) -> Iterator[Any]:
    """The Alpaca stand-in serving the watchlist's synthetic bars complete by ``when``."""
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
        closes = pd.DatetimeIndex(f.index) + pd.Timedelta(minutes=1)
        exchange.load_history(sym, f[closes <= pd.Timestamp(when)])
    with AlpacaStandIn(exchange=exchange) as standin:
        yield standin


def _load(fn: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"fn_{fn}", ROOT / "functions" / fn / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses (db_bootstrap's) look their module up
    spec.loader.exec_module(module)
    return module


def note(text: str) -> None:
    """What the script did around the handler: stderr, so stdout is the result alone."""
    print(f"({text})", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _stdout_captured(verbose: bool) -> Iterator[list[str]]:
    """The handler's own stdout (Powertools' CloudWatch metric JSON, its log lines) is
    caught at the file-descriptor level, where every writer ends up; ``--verbose`` lets
    it through. Yields a list that holds the caught text once the block ends."""
    caught: list[str] = []
    if verbose:
        yield caught
        return
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 1)
        try:
            yield caught
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
            tmp.seek(0)
            caught.append(tmp.read().decode("utf-8", "replace"))


class _CfnCatcher(http.server.BaseHTTPRequestHandler):
    """Stands in for CloudFormation's pre-signed response URL: keeps what was PUT."""

    bodies: ClassVar[list[dict[str, Any]]] = []

    def do_PUT(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        type(self).bodies.append(json.loads(self.rfile.read(length) or b"{}"))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _local_bootstrap(event: dict[str, Any], stack: contextlib.ExitStack) -> dict[str, Any]:
    """The custom resource's event, made local: its two secrets created in moto, the
    response URL a catcher on loopback (printed at the end), and the database the
    PostgreSQL in ADVISOR_DB_URL / LLM_ADVISOR_PG_URL when one is set (else a closed
    loopback port: the handler then answers FAILED, which is its contract too)."""
    from urllib.parse import urlsplit

    import boto3

    env = load_environment()
    urls = (env.get("ADVISOR_DB_URL") or "", env.get("LLM_ADVISOR_PG_URL") or "")
    url = next((u for u in urls if u.startswith("postgresql://")), "")
    pg = urlsplit(url) if url else None
    if pg is not None:
        master = {"username": pg.username or "postgres", "password": pg.password or ""}
        host, port, dbname = pg.hostname or "127.0.0.1", pg.port or 5432, pg.path.lstrip("/")
        note(
            f"db_bootstrap: the database is {host}:{port}/{dbname or 'postgres'}; the handler "
            "connects with TLS (sslmode=require), so a server without SSL answers FAILED"
        )
    else:
        with socket.socket() as s:  # a loopback port with nothing listening
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        master, host, dbname = {"username": "postgres", "password": "local"}, "127.0.0.1", ""
        note(
            "db_bootstrap: no PostgreSQL in ADVISOR_DB_URL or LLM_ADVISOR_PG_URL "
            "(`make pg-start`): the handler will answer FAILED (cannot connect)"
        )
    if "ADVISOR_PG_CONNECT_TIMEOUT" not in env:  # a local answer, not RDS's 10 s patience
        os.environ["ADVISOR_PG_CONNECT_TIMEOUT"] = "2"
    sm = boto3.client("secretsmanager")
    master_arn = sm.create_secret(
        Name="local-db-master", SecretString=json.dumps(master | {"port": port})
    )["ARN"]
    api_arn = sm.create_secret(
        Name="local-db-api",
        SecretString=json.dumps({"username": "llm_advisor_api_local", "password": "local-api"}),
    )["ARN"]
    bodies: list[dict[str, Any]] = []
    catcher = type("Catcher", (_CfnCatcher,), {"bodies": bodies})
    server = http.server.HTTPServer(("127.0.0.1", 0), catcher)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def report() -> None:
        server.shutdown()
        server.server_close()
        for body in bodies:
            note(f"CloudFormation would have received: {body['Status']}: {body['Reason']}")

    stack.callback(report)
    props = dict(event.get("ResourceProperties") or {})
    props.update(MasterSecretId=master_arn, ApiSecretId=api_arn, Host=host)
    if dbname:
        props["DbName"] = dbname
    response_url = f"http://127.0.0.1:{server.server_port}/cfn-response"
    return {**event, "ResourceProperties": props, "ResponseURL": response_url}


def _run(fn: str, event: dict[str, Any]) -> Any:
    with contextlib.ExitStack() as stack:
        when = _event_time(fn, event)
        simulated = False  # the stand-in serves the market at ``when``
        env = load_environment()
        if fn in NEEDS_BROKER and not (env.get("ALPACA_API_KEY") or env.get("APCA_API_KEY_ID")):
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
            note(f"no ALPACA_API_KEY: using the local Alpaca stand-in at {standin.url}")
            simulated = True
        if fn in NEEDS_CONTEXT and when is not None:
            from llm_advisor.core.calendar import NY

            day = when.astimezone(NY).date()
            at = datetime.combine(day, datetime.min.time().replace(hour=8, minute=30), tzinfo=NY)
            note(f"running premarket for {day} first: the {fn} needs the day's context")
            _load("premarket").lambda_handler({"scheduled_time": at.isoformat()}, Context())
            if fn == "market_analysis":
                note("running this minute's tick first: the analysis reads the state it saves")
                _load("live_tick").lambda_handler({"scheduled_time": when.isoformat()}, Context())
        if fn.startswith("sweep_"):  # the bar store (and, for the reducer, a finished map)
            import tempfile

            import boto3

            from llm_advisor.sweep.local_map import seed_invoke_store

            tmp = stack.enter_context(tempfile.TemporaryDirectory())
            seed_invoke_store(boto3.client("s3"), event, Path(tmp))
            note(f"seeded moto S3 with synthetic bars for {fn}'s event")
        if fn == "db_bootstrap":
            event = _local_bootstrap(event, stack)
        module = _load(fn)
        if fn == "trade_executor" and when is not None and simulated:
            # The stand-in's market is at the event's time, so is the executor's clock (it
            # judges plan staleness); a real account keeps the system clock.
            from llm_advisor.bootstrap import Container
            from llm_advisor.core.clock import ManualClock

            module._container = Container(clock=ManualClock(when))
        return module.lambda_handler(event, Context())


def main(argv: list[str]) -> int:
    verbose = any(a in ("-v", "--verbose") for a in argv)
    argv = [a for a in argv if a not in ("-v", "--verbose")]
    if len(argv) != 2 or argv[0] not in FUNCTIONS:
        print(f"usage: invoke.py [--verbose] FN EVENT.json   (FN one of {', '.join(FUNCTIONS)})")
        print("  prints the handler's result; --verbose also its metrics and log lines")
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
        "POWERTOOLS_LOG_LEVEL": "INFO" if verbose else "WARNING",
        "ADVISOR_RUNTIME": "aws",
        "ADVISOR_STATE_TABLE": "state",
        "ADVISOR_ARCHIVE_BUCKET": "archive",
    }.items():
        if k not in load_environment():
            os.environ[k] = v
    import warnings

    import boto3
    from moto import mock_aws

    warnings.filterwarnings("ignore", message="No application metrics to publish")
    with mock_aws():
        boto3.client("dynamodb").create_table(
            TableName=load_environment()["ADVISOR_STATE_TABLE"],
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
        if "ADVISOR_SIGNAL_QUEUE_URL" not in load_environment():
            queue = boto3.client("sqs").create_queue(QueueName="plans")["QueueUrl"]
            os.environ["ADVISOR_SIGNAL_QUEUE_URL"] = queue
        boto3.client("s3").create_bucket(Bucket=load_environment()["ADVISOR_ARCHIVE_BUCKET"])
        if not verbose:  # the pool's retry lines: the handler's answer says it once
            logging.getLogger("psycopg.pool").setLevel(logging.ERROR)
        try:
            with _stdout_captured(verbose) as caught:
                result = _run(fn, event)
        except Exception as exc:  # a CLI: one line, not a traceback
            if caught and caught[0].strip():  # what the handler logged explains the failure
                sys.stderr.write(caught[0])
            print(f"{fn} failed: {type(exc).__name__}: {exc}")
            return 1
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
