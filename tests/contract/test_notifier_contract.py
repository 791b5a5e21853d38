"""One contract for every NotifierPort adapter: SNS (moto, read back through a subscribed
SQS queue), the printing notifier (one line per alert) and the memory notifier."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from llm_advisor.aws.clients import reset_clients
from llm_advisor.core.ports import Alert, NotifierPort
from llm_advisor.notify.adapters import (
    MemoryNotifier,
    PrintingNotifier,
    SnsNotifier,
    sns_subject,
)

AT = datetime(2024, 3, 7, 15, 4, tzinfo=UTC)


def alert(n: int = 1, subject: str = "Exit SPY (stop) P/L -120.50") -> Alert:
    return Alert(
        key=f"exit:stdev-{n}",
        kind="exit",
        severity="warning",
        at=AT,
        subject=subject,
        message=f"10:04 SPY long x10 closed by stop: 510.00 -> 498.00, P/L -120.50 #{n}",
    )


Delivered = Callable[[], list[dict[str, str]]]


@pytest.fixture(params=["sns", "printing", "memory"])
def adapter(request: pytest.FixtureRequest) -> Iterator[tuple[NotifierPort, Delivered]]:
    """The adapter and a way to read back what it delivered (subject, message, kind)."""
    if request.param == "memory":
        mem = MemoryNotifier()
        yield (
            mem,
            lambda: [
                {"subject": a.subject, "message": a.message, "kind": a.kind} for a in mem.alerts
            ],
        )
    elif request.param == "printing":
        out = io.StringIO()
        printer = PrintingNotifier(out)

        def lines() -> list[dict[str, str]]:
            return [{"line": x} for x in out.getvalue().splitlines()]

        yield printer, lines
    else:
        with mock_aws():
            reset_clients()
            sns = boto3.client("sns", region_name="us-east-1")
            sqs = boto3.client("sqs", region_name="us-east-1")
            topic = sns.create_topic(Name="alerts")["TopicArn"]
            q = sqs.create_queue(QueueName="inbox")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)

            def received() -> list[dict[str, str]]:
                got = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10)
                out = []
                for m in got.get("Messages", []):
                    body = json.loads(m["Body"])
                    kind = body["MessageAttributes"]["kind"]["Value"]
                    out.append(
                        {"subject": body["Subject"], "message": body["Message"], "kind": kind}
                    )
                return out

            yield SnsNotifier(topic, "us-east-1"), received
            reset_clients()


def test_is_a_notifier_port(adapter: tuple[NotifierPort, Delivered]) -> None:
    assert isinstance(adapter[0], NotifierPort)


def test_each_alert_is_delivered_once_with_its_text(
    adapter: tuple[NotifierPort, Delivered],
) -> None:
    notifier, delivered = adapter
    notifier.notify(alert(1))
    notifier.notify(alert(2))
    got = delivered()
    assert len(got) == 2
    text = json.dumps(got)
    assert "P/L -120.50 #1" in text and "P/L -120.50 #2" in text
    assert all("SPY" in json.dumps(g) for g in got)


def test_an_awkward_subject_still_delivers(adapter: tuple[NotifierPort, Delivered]) -> None:
    notifier, delivered = adapter
    notifier.notify(alert(3, subject="Ünïcode\nsubject " + "x" * 300))
    assert len(delivered()) == 1


def test_sns_subject_is_printable_ascii_and_short() -> None:
    s = sns_subject(alert(subject="Ünïcode\nline " + "x" * 300))
    assert len(s) <= 100 and all(32 <= ord(ch) < 127 for ch in s)


def test_printing_is_one_line_per_alert_and_quiet_prints_nothing() -> None:
    out = io.StringIO()
    PrintingNotifier(out).notify(alert().model_copy(update={"message": "two\nlines"}))
    assert out.getvalue().count("\n") == 1 and "two (+1 lines)" in out.getvalue()
    quiet = io.StringIO()
    PrintingNotifier(quiet, quiet=True).notify(alert())
    assert quiet.getvalue() == ""
