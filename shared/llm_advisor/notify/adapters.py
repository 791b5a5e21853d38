"""``NotifierPort`` adapters: SNS (AWS), one stderr line per alert (local), a list (tests).

SNS fans out to whatever the owner subscribed (the template's optional ``AlertEmail``); the
subject is the e-mail subject (SNS allows 100 characters of printable ASCII), the message
the body. Locally an alert is one line on stderr, so it shows in the terminal running the
local day or ``live --paper`` without mixing into stdout reports.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from llm_advisor.aws.clients import LazyClient
from llm_advisor.core.ports import Alert

SNS_SUBJECT_MAX = 100


def sns_subject(alert: Alert) -> str:
    """A subject SNS accepts: printable ASCII, no newlines, at most 100 characters."""
    text = f"[llm-advisor] {alert.subject}"
    clean = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)
    return clean[:SNS_SUBJECT_MAX]


def line(alert: Alert) -> str:
    """The one-line form (local printing, the demo's list)."""
    first, *rest = alert.message.splitlines() or [""]
    body = first + (f" (+{len(rest)} lines)" if rest else "")
    return f"ALERT {alert.severity:<8} {alert.kind:<18} {body}"


class SnsNotifier:
    """Publishes each alert to one SNS topic (attributes: kind, severity for filtering)."""

    def __init__(
        self, topic_arn: str, region: str | None = None, *, endpoint_url: str | None = None
    ) -> None:
        if not topic_arn:
            raise ValueError("topic_arn='' : the alert topic ARN is required")
        self.topic_arn = topic_arn
        self._client = LazyClient("sns", region, endpoint_url)

    def notify(self, alert: Alert) -> None:
        self._client.get().publish(
            TopicArn=self.topic_arn,
            Subject=sns_subject(alert),
            Message=alert.message,
            MessageAttributes={
                "kind": {"DataType": "String", "StringValue": alert.kind},
                "severity": {"DataType": "String", "StringValue": alert.severity},
            },
        )


class PrintingNotifier:
    """One line per alert on a stream (stderr by default); ``quiet`` prints nothing."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False) -> None:
        self._stream = stream
        self.quiet = quiet

    def notify(self, alert: Alert) -> None:
        if self.quiet:
            return
        out = self._stream or sys.stderr
        out.write(line(alert) + "\n")
        out.flush()


class MemoryNotifier:
    """Keeps every alert (tests, and the local day's list); ``then`` forwards each one."""

    def __init__(self, then: Callable[[Alert], None] | None = None) -> None:
        self.alerts: list[Alert] = []
        self._then = then

    def notify(self, alert: Alert) -> None:
        self.alerts.append(alert)
        if self._then is not None:
            self._then(alert)

    def kinds(self) -> list[str]:
        return [a.kind for a in self.alerts]
