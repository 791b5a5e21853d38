"""Reading Lambda events: the scheduled time is the only clock a handler trusts.

EventBridge Scheduler passes ``<aws.scheduler.scheduled-time>`` in the schedule's Input; a
late or repeated invocation therefore works on the minute it was meant for, and tests and
the local day drive handlers with exact times.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from llm_advisor.core.clock import require_utc
from llm_advisor.core.errors import UserError


def scheduled_time(event: Mapping[str, Any]) -> datetime:
    """``event["scheduled_time"]`` (or an EventBridge ``time``) as an aware UTC datetime."""
    raw = event.get("scheduled_time") or event.get("time")
    if not isinstance(raw, str) or not raw:
        raise UserError(
            f"event.scheduled_time={raw!r}: expected an ISO-8601 time such as "
            "2024-01-02T15:31:00Z (the schedule passes <aws.scheduler.scheduled-time>)"
        )
    try:
        ts = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(f"event.scheduled_time={raw!r}: not an ISO-8601 time") from None
    try:
        return require_utc(ts, "event.scheduled_time")
    except ValueError as exc:
        raise UserError(str(exc)) from None
