"""The Lambda entry point and ``make invoke`` refuse the stale sample plan (issue 11).

``events/trade_executor_stale.json`` is a redriven DLQ message: a plan of Fri 2024-03-08,
sent that day, delivered again on Tue 2024-03-12 at 10:41 New York.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from llm_advisor.bootstrap import Container
from llm_advisor.core.clock import ManualClock

from .conftest import FakeBroker

ROOT = Path(__file__).resolve().parents[2]
REDRIVEN_AT = datetime(2024, 3, 12, 14, 41, 0, 100_000, tzinfo=UTC)  # the event's receive time


@dataclass
class _Context:
    function_name: str = "trade_executor"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def _event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "events" / f"{name}.json").read_text())
    return data


def _handler() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "fn_trade_executor_app_h1", ROOT / "functions" / "trade_executor" / "app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The executor's AWS side under moto: the state table (kill switch) and the settings."""
    from llm_advisor.aws.clients import reset_clients

    with mock_aws():
        reset_clients()
        boto3.client("dynamodb", region_name="us-east-1").create_table(
            TableName="state",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
        for k, v in {
            "ADVISOR_RUNTIME": "aws",
            "ADVISOR_STATE_TABLE": "state",
            "ADVISOR_AWS_REGION": "us-east-1",
            "ADVISOR_DB_URL": f"sqlite:///{tmp_path / 'advisor.sqlite3'}",
        }.items():
            monkeypatch.setenv(k, v)
        yield
        reset_clients()


def _invoke(app: ModuleType, event: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    out = app.lambda_handler(event, _Context())
    assert out == {"batchItemFailures": []}  # refused plans are consumed, not retried
    return str(capsys.readouterr().out)


def test_handler_refuses_the_redriven_plan_of_an_old_session(
    aws: None, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    app = _handler()
    broker = FakeBroker()
    app._container = Container(clock=ManualClock(REDRIVEN_AT), overrides={"broker": broker})
    printed = _invoke(app, _event("trade_executor_stale"), capsys)
    assert broker.submits == 0
    plan = json.loads(_event("trade_executor_stale")["Records"][0]["body"])
    row = app._container.repository.get_order(plan["client_order_id"])
    assert row["status"] == "refused_stale_session"
    # the metrics (EMF on stdout) and the warning log name the outcome and the reason (the
    # log through caplog: Powertools' handler keeps the stdout of whichever test imported
    # the module first, so capsys sees it only when this test runs alone)
    assert '"Orders_stale"' in printed and '"Orders_stale_session"' in printed
    refused = [r for r in caplog.records if r.getMessage() == "plan refused"]
    assert refused and getattr(refused[0], "reason", None) == "stale_session"


def test_handler_judges_staleness_on_its_clock_not_on_the_sent_timestamp(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """The fresh sample's SentTimestamp is its signal bar's close; processed today by the
    system clock (as in Lambda) it belongs to a long-gone session."""
    app = _handler()
    broker = FakeBroker()
    app._container = Container(overrides={"broker": broker})  # system clock
    printed = _invoke(app, _event("trade_executor"), capsys)
    assert broker.submits == 0 and '"Orders_stale_session"' in printed


def test_handler_places_the_fresh_sample_under_its_own_clock(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    app = _handler()
    broker = FakeBroker()
    app._container = Container(clock=ManualClock(REDRIVEN_AT), overrides={"broker": broker})
    printed = _invoke(app, _event("trade_executor"), capsys)
    assert broker.submits == 1 and '"Orders_submitted"' in printed


def _run_invoke(event: str, tmp_path: Path) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALPACA_", "APCA_"))}
    env["ADVISOR_DB_URL"] = f"sqlite:///{tmp_path / 'invoke.sqlite3'}"
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "invoke.py"), "trade_executor", event],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.slow
def test_make_invoke_prints_the_refusal_of_the_stale_sample(tmp_path: Path) -> None:
    rc, out = _run_invoke(str(ROOT / "events" / "trade_executor_stale.json"), tmp_path)
    assert rc == 0, out
    assert "local Alpaca stand-in" in out
    # the executor's warning (what `make invoke` prints to stderr: the refusal and why)
    assert "refused (stale_session)" in out
    assert '"batchItemFailures": []' in out


@pytest.mark.slow
def test_make_invoke_places_a_fresh_plan_under_the_events_clock(tmp_path: Path) -> None:
    """The sample plan re-priced at the stand-in's synthetic SPY (556.28 at 10:40 New York;
    the sample's 510 is refused by the stand-in's price check): placed, not stale, although
    the machine's clock is years later."""
    event = _event("trade_executor")
    plan = json.loads(event["Records"][0]["body"])
    plan.update(ref_price=556.28, stop_price=555.0, target_price=558.0)
    event["Records"][0]["body"] = json.dumps(plan)
    path = tmp_path / "fresh.json"
    path.write_text(json.dumps(event))
    rc, out = _run_invoke(str(path), tmp_path)
    assert rc == 0, out
    assert "refused (" not in out and '"batchItemFailures": []' in out
    import sqlite3

    with sqlite3.connect(tmp_path / "invoke.sqlite3") as db:
        rows = db.execute("SELECT status, broker_order_id FROM orders").fetchall()
    assert len(rows) == 1 and rows[0][1], out  # placed at the stand-in
