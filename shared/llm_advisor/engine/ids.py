"""The one ``client_order_id``: how a signal names its order, and how to read the name back.

``stdev-YYYYMMDD-SYMBOL-SETUP-side-<ISO signal time>`` is deterministic, so a retried or
duplicated submission of the same signal can never open a second position; the broker-side
services (``execution.round_trips``) recover setup, side and signal time from it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from llm_advisor.core.clock import require_utc
from llm_advisor.core.models import Setup, Side

PREFIX = "stdev"


def iso_z(ts: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ``: the output format of every time the spec writes."""
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(s: str) -> datetime:
    """The inverse of ``iso_z`` (also accepts any ISO time with an offset)."""
    return require_utc(datetime.fromisoformat(s.replace("Z", "+00:00")))


def order_prefix(day: date) -> str:
    """The session's part of every id (the step formats the rest once per signal)."""
    return f"{PREFIX}-{day:%Y%m%d}-"


def order_suffix(symbol: str, setup: str, side: str, signal_iso: str) -> str:
    return f"{symbol}-{setup}-{side}-{signal_iso}"


def client_order_id(day: date, symbol: str, setup: str, side: str, signal_time: datetime) -> str:
    """Deterministic id of the order a signal produces."""
    return order_prefix(day) + order_suffix(symbol, setup, side, iso_z(signal_time))


def parse_client_order_id(cid: str) -> tuple[Setup, Side, datetime] | None:
    """``stdev-YYYYMMDD-SYMBOL-SETUP-side-<ISO>`` -> (setup, side, signal time)."""
    parts = cid.split("-", 5)
    if len(parts) != 6 or parts[0] != PREFIX:
        return None
    try:
        ts = datetime.fromisoformat(parts[5].replace("Z", "+00:00"))
        return Setup(parts[3]), Side(parts[4]), ts.astimezone(UTC)
    except ValueError:
        return None
