"""template.yaml carries the alert channel: an SNS topic with an optional e-mail, the
handlers allowed to publish to it, the daily summary at 16:15 New York, the dead-man alarm
gated to session minutes, and a dashboard over the metrics the handlers emit."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    data: dict[str, Any] = cfn_yaml.load(str(ROOT / "template.yaml"))
    return data


def props(t: dict[str, Any], name: str) -> dict[str, Any]:
    p: dict[str, Any] = t["Resources"][name]["Properties"]
    return p


def sids(t: dict[str, Any], fn: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for pol in props(t, fn)["Policies"] for s in pol["Statement"]}


def test_alert_topic_with_an_optional_email(template: dict[str, Any]) -> None:
    assert template["Resources"]["AlertTopic"]["Type"] == "AWS::SNS::Topic"
    assert template["Parameters"]["AlertEmail"]["Default"] == ""
    sub = template["Resources"]["AlertEmailSubscription"]
    assert sub["Condition"] == "HasAlertEmail"
    assert sub["Properties"]["Protocol"] == "email"
    assert sub["Properties"]["TopicArn"] == {"Ref": "AlertTopic"}
    assert template["Conditions"]["HasAlertEmail"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlertEmail"}, ""]}]
    }
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["ADVISOR_ALERT_TOPIC_ARN"] == {"Ref": "AlertTopic"}
    assert env["ADVISOR_SIGNAL_DLQ_URL"] == {"Ref": "SignalDeadLetterQueue"}


@pytest.mark.parametrize(
    "fn",
    [
        "LiveTickFunction",
        "PositionMonitorFunction",
        "MarketAnalysisFunction",
        "DailySummaryFunction",
    ],
)
def test_alerting_functions_may_publish_only_to_the_alert_topic(
    template: dict[str, Any], fn: str
) -> None:
    s = sids(template, fn)["PublishAlerts"]
    assert (s["Action"], s["Resource"]) == ("sns:Publish", {"Ref": "AlertTopic"})


def test_the_monitor_reads_queue_depths(template: dict[str, Any]) -> None:
    s = sids(template, "PositionMonitorFunction")["QueueDepths"]
    assert s["Action"] == "sqs:GetQueueAttributes"
    assert {"Fn::GetAtt": ["SignalDeadLetterQueue", "Arn"]} in s["Resource"]


def test_daily_summary_at_16_15_new_york_on_weekdays(template: dict[str, Any]) -> None:
    fn = props(template, "DailySummaryFunction")
    assert fn["CodeUri"] == "functions/daily_summary/"
    (ev,) = fn["Events"].values()
    p = ev["Properties"]
    assert ev["Type"] == "ScheduleV2"
    assert p["ScheduleExpression"] == "cron(15 16 ? * MON-FRI *)"
    assert p["ScheduleExpressionTimezone"] == "America/New_York"
    assert (ROOT / "functions" / "daily_summary" / "app.py").is_file()
    assert json.loads((ROOT / "events" / "daily_summary.json").read_text())["scheduled_time"]


def test_dead_man_alarm_is_session_gated_and_alerts_the_owner(template: dict[str, Any]) -> None:
    a = props(template, "LiveTickDeadManAlarm")
    by_id = {m["Id"]: m for m in a["Metrics"]}
    names = {m["MetricStat"]["Metric"]["MetricName"] for m in by_id.values() if "MetricStat" in m}
    assert names == {"TickHeartbeat", "SessionMinute"}
    (expr,) = [m for m in a["Metrics"] if m.get("ReturnData")]
    assert "FILL(session, 0)" in expr["Expression"] and "FILL(tick, 0) == 0" in expr["Expression"]
    assert (a["EvaluationPeriods"], a["DatapointsToAlarm"]) == (3, 3)  # 3 minutes
    assert all(m["MetricStat"]["Period"] == 60 for m in by_id.values() if "MetricStat" in m)
    assert {"Ref": "AlertTopic"} in a["AlarmActions"]
    # the metrics are the ones the handlers emit
    tick = (ROOT / "functions" / "live_tick" / "app.py").read_text()
    monitor = (ROOT / "functions" / "position_monitor" / "app.py").read_text()
    assert '"TickHeartbeat"' in tick and '"SessionMinute"' in monitor


def test_dashboard_shows_metrics_the_handlers_emit(template: dict[str, Any]) -> None:
    dash = props(template, "LoopDashboard")
    body, _vars = dash["DashboardBody"]["Fn::Sub"]
    for name in ("Orders_submitted", "BarsQuarantined", "BarsLate", "MinutesHeld",
                 "ReconciliationDiscrepancies", "Errors", "Duration"):  # fmt: skip
        assert f'"{name}"' in body
    emitted = "".join(p.read_text() for p in (ROOT / "functions").glob("*/app.py"))
    custom = set(re.findall(r'\["llm-advisor", "(\w+)"|\[".", "(\w+)"', body))
    for pair in custom:
        name = next(n for n in pair if n)
        assert f'"{name}"' in emitted or name.startswith("Orders_"), name
    # the JSON is valid once the substitutions are made
    json.loads(re.sub(r"\$\{[^}]+\}", "x", body))
