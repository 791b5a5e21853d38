"""Every alert, raised through the local notifier from where it happens.

Entry points used: the local day (fills and exits with P/L, through all five handlers), the
position-monitor handler (kill switch, DLQ message, dead man; a fake broker, the DLQ under
moto), the daily-summary handler and ``python -m llm_advisor summary``. Direct service calls
(``notify.watch.Watch``) where the entry point needs a whole market to get there: the
analyst falling back, the validator failing (a failed call in the LLM ledger), bad bars over
the threshold in a tick's result, and a handler error.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import redirect_stderr
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from llm_advisor.aws.clients import reset_clients
from llm_advisor.bootstrap import Container
from llm_advisor.core.clock import ManualClock
from llm_advisor.core.models import Advice, ThresholdMultipliers
from llm_advisor.data.bar_checks import Reject
from llm_advisor.live.tick import AnalysisOutcome, TickResult
from llm_advisor.notify.adapters import MemoryNotifier
from llm_advisor.notify.queues import SqsDepthReader
from llm_advisor.notify.store import LoopStatusStore
from tests.sam.sam_support import FakeBroker, FakeContext, load_handler

DAY = date(2024, 3, 12)  # EDT: 10:00 New York is 14:00 UTC


def at(hh: int, mm: int) -> datetime:
    return datetime(2024, 3, 12, hh + 4, mm, tzinfo=UTC)


@pytest.fixture
def aws() -> Iterator[dict[str, str]]:
    with mock_aws():
        reset_clients()
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue = sqs.create_queue(QueueName="plans")["QueueUrl"]
        dlq = sqs.create_queue(QueueName="plans-dlq")["QueueUrl"]
        yield {"queue": queue, "dlq": dlq}
        reset_clients()


def container(tmp: Path, **overrides: Any) -> Container:
    env = {
        "ADVISOR_LOCAL_DIR": str(tmp / "local"),
        "ADVISOR_DB_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "ADVISOR_WATCHLIST": "QQQ,SPY",
    }
    return Container(env, clock=ManualClock(at(9, 30)), overrides=overrides)


class Monitor:
    """The position-monitor handler with its container (fake broker, memory notifier)."""

    def __init__(self, tmp: Path, aws: dict[str, str]) -> None:
        self.broker = FakeBroker()
        self.alerts = MemoryNotifier()
        reader = SqsDepthReader(aws["queue"], aws["dlq"], "us-east-1")
        self.c = container(tmp, broker=self.broker, notifier=self.alerts, queue_depths=reader)
        self.module = load_handler("position_monitor")
        self.module._container = self.c

    def run(self, hh: int, mm: int) -> dict[str, Any]:
        out: dict[str, Any] = self.module.lambda_handler(
            {"scheduled_time": at(hh, mm).isoformat()}, FakeContext()
        )
        return out

    def beat_tick(self, hh: int, mm: int) -> None:
        LoopStatusStore.of(self.c.repository).beat("tick", at(hh, mm), True, {})


def test_kill_switch_alerts_once_a_day(tmp_path: Path, aws: dict[str, str]) -> None:
    m = Monitor(tmp_path, aws)
    m.beat_tick(9, 59)
    m.run(10, 0)  # the day's start equity: 100,000
    assert m.alerts.kinds() == []
    m.broker.equity = Decimal(96_000)  # past the daily-loss limit
    m.beat_tick(10, 0)
    assert m.run(10, 1)["kill_switch"] is True
    m.beat_tick(10, 1)
    m.run(10, 2)
    assert m.alerts.kinds() == ["kill_switch"]
    assert m.alerts.alerts[0].severity == "critical"
    assert "equity 96,000.00" in m.alerts.alerts[0].message


def test_a_dlq_message_alerts_once_per_new_count(tmp_path: Path, aws: dict[str, str]) -> None:
    m = Monitor(tmp_path, aws)
    sqs = boto3.client("sqs", region_name="us-east-1")
    sqs.send_message(QueueUrl=aws["dlq"], MessageBody="{}")
    for minute in (0, 1):
        m.beat_tick(10, minute)
        m.run(10, minute)
    sqs.send_message(QueueUrl=aws["dlq"], MessageBody="{}")
    m.beat_tick(10, 2)
    m.run(10, 2)
    assert [(a.kind, a.subject) for a in m.alerts.alerts] == [
        ("dlq", "1 trade plan(s) in the dead-letter queue"),
        ("dlq", "2 trade plan(s) in the dead-letter queue"),
    ]
    beat = LoopStatusStore.of(m.c.repository).heartbeats()["monitor"]
    assert (beat.detail["dlq_depth"], beat.detail["queue_depth"]) == (2, 0)


def test_dead_man_when_the_tick_stops_for_3_minutes(tmp_path: Path, aws: dict[str, str]) -> None:
    m = Monitor(tmp_path, aws)
    m.beat_tick(9, 50)
    m.run(9, 52)
    m.run(9, 53)  # 3 minutes: not yet
    assert m.alerts.kinds() == []
    m.run(9, 54)
    m.run(9, 55)  # the same stall: no second alert
    assert m.alerts.kinds() == ["dead_man"]
    assert "since 09:50" in m.alerts.alerts[0].subject
    m.beat_tick(9, 56)  # recovered, then stalled again: a new alert
    m.run(10, 0)
    assert m.alerts.kinds() == ["dead_man", "dead_man"]
    m.run(16, 30)  # after the close: nothing is overdue
    assert len(m.alerts.alerts) == 2


def test_analyst_and_validator_fallbacks(tmp_path: Path) -> None:
    mem = MemoryNotifier()
    c = container(tmp_path, notifier=mem)
    neutral = Advice(
        as_of=at(10, 0),
        multipliers=ThresholdMultipliers(),
        source="bedrock:neutral:timeout",
    )
    c.watch.after_analysis(AnalysisOutcome("analysed", at(10, 0), neutral, None))
    assert mem.kinds() == ["analyst_fallback"]
    assert "timeout" in mem.alerts[0].subject
    # the validator's failed call in the ledger (the tool names the validation)
    c.repository.save_llm_call(
        {
            "request_hash": "a" * 64,
            "provider": "bedrock",
            "model": "m",
            "request": {"tool": "trade_verdict"},
            "error": "ThrottlingException",
            "decision_time": at(10, 7),
            "created_at": at(10, 7),
        }
    )
    ok = neutral.model_copy(update={"source": "rules", "as_of": at(10, 15)})
    c.watch.after_analysis(AnalysisOutcome("analysed", at(10, 15), ok, None))
    c.watch.after_analysis(AnalysisOutcome("analysed", at(10, 30), ok, None))  # same count
    assert mem.kinds() == ["analyst_fallback", "validator_fallback"]
    assert mem.alerts[1].subject == "Validator failed 1x today"


def test_bad_bars_over_the_threshold(tmp_path: Path) -> None:
    mem = MemoryNotifier()
    c = container(tmp_path, notifier=mem)
    assert c.settings.alert_bad_bars == 5

    def tick(n: int, minute: int) -> TickResult:
        rejects = [
            Reject(f"S{i}", at(10, minute), "not_positive", "close <= 0", 0, 0, 0, 0, 0)
            for i in range(n)
        ]
        return TickResult("stepped", at(10, minute), DAY, quarantined=rejects[:3], late=rejects[3:])

    c.watch.after_tick(tick(4, 1), 0.2)
    assert mem.kinds() == []
    c.watch.after_tick(tick(6, 2), 0.2)
    c.watch.after_tick(tick(6, 2), 0.2)  # a rerun of the same minute
    assert mem.kinds() == ["bad_bars"]
    assert mem.alerts[0].subject == "3 bad and 3 late bars in one tick"


def test_a_handler_error_is_logged_not_sent(tmp_path: Path) -> None:
    mem = MemoryNotifier()
    c = container(tmp_path, notifier=mem)
    c.watch.failure("tick", at(10, 3), ConnectionError("feed down"))
    store = LoopStatusStore.of(c.repository)
    assert mem.alerts == []
    assert [(a.kind, a.sent) for a in store.alerts_on(DAY)] == [("error", False)]
    assert store.heartbeats()["tick"].ok is False


# ---------------------------------------------------------------- a whole local day
@pytest.fixture(scope="module")
def local_day(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, str, str]:
    from llm_advisor.local.day import run_local_day

    tmp = tmp_path_factory.mktemp("day")
    url = f"sqlite:///{tmp / 'day.sqlite3'}"
    err = io.StringIO()
    with redirect_stderr(err):
        result = run_local_day(date(2024, 3, 5), ["NVDA", "SPY"], db_url=url, history_sessions=12)
    return result, url, err.getvalue()


def test_a_local_day_alerts_fills_and_exits_with_pl(local_day: tuple[Any, str, str]) -> None:
    result, _url, printed = local_day
    assert result.trades, "the synthetic day must trade for this test to mean anything"
    exits = [a for a in result.alerts if a.kind == "exit"]
    fills = [a for a in result.alerts if a.kind == "fill"]
    assert len(exits) == len(result.trades) and len(fills) == len(result.trades)
    for t in result.trades:
        assert any(f"P/L {t.pnl:+,.2f}" in a.message and t.symbol in a.subject for a in exits)
    assert {a.kind for a in result.alerts} == {"fill", "exit"}
    # the local notifier printed one line per alert on stderr
    assert printed.count("ALERT ") == len(result.alerts)


def test_the_daily_summary_handler_and_cli(
    local_day: tuple[Any, str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result, url, _ = local_day
    mem = MemoryNotifier()
    env = {
        "ADVISOR_LOCAL_DIR": str(tmp_path),
        "ADVISOR_DB_URL": url,
        "ADVISOR_RUN_ID": result.run_id,
        "ADVISOR_RUN_KIND": "local",
        "ADVISOR_WATCHLIST": "NVDA,SPY",
    }
    module = load_handler("daily_summary")
    module._container = Container(env, overrides={"notifier": mem})
    out = module.lambda_handler({"scheduled_time": "2024-03-05T21:15:00Z"}, FakeContext())
    assert out["status"] == "sent" and out["trades"] == len(result.trades)
    pnl = sum((t.pnl for t in result.trades), Decimal(0))
    assert mem.kinds() == ["summary"]
    assert mem.alerts[0].subject == f"Day 2024-03-05: P/L {pnl:+,.2f}"
    assert "Analyst:" in mem.alerts[0].message
    again = module.lambda_handler({"scheduled_time": "2024-03-05T21:15:00Z"}, FakeContext())
    assert again["status"] == "already_sent" and len(mem.alerts) == 1
    holiday = module.lambda_handler({"scheduled_time": "2024-03-29T20:15:00Z"}, FakeContext())
    assert holiday["status"] == "closed"

    from llm_advisor.__main__ import main

    capsys.readouterr()
    rc = main(["summary", "--date", "2024-03-05", "--run", result.run_id, "--db-url", url])
    printed = capsys.readouterr().out
    assert rc == 0 and f"realized P/L {pnl:+,.2f}" in printed and "already sent" in printed
    assert main(["summary", "--date", "2024-03-05", "--run", "nope", "--db-url", url]) == 2


def test_engine_counts_reach_the_tick_heartbeat(local_day: tuple[Any, str, str]) -> None:
    result, url, _ = local_day
    from llm_advisor.storage import open_repository

    repo = open_repository(url).scoped(result.run_id)
    try:
        beat = LoopStatusStore.of(repo).heartbeats()["tick"]
    finally:
        repo.close()
    assert beat.ok and beat.detail["session_day"] == "2024-03-05"
    assert beat.detail["engine"]["symbols"] == 2
    assert beat.detail["duration_ms"] >= 0
