"""The status strip's colour: clear rules over what the handlers recorded (pure).

Red means "act now", amber "look when you can"; each rule that fires is one reason with a
code and a sentence, so the page and an e-mail can say *why*. The rules (README, "Status
and alerts"):

red
  - ``tick_stale``: in session and no successful tick for more than 3 minutes;
  - ``monitor_stale``: in session and no position monitor run for more than 3 minutes;
  - ``kill_switch``: today's daily-loss kill switch is on;
  - ``broker_unreachable``: the last position monitor run failed;
  - ``dlq``: the signal dead-letter queue holds a message.
amber
  - ``tick_late``: in session and the last successful tick is 2 to 3 minutes old;
  - ``analyst_fallback`` / ``validator_fallback``: a fallback today;
  - ``bad_bars``: a tick today had at least the alert threshold of bad or late bars;
  - ``errors``: a handler failed today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Level = Literal["green", "amber", "red"]
ReasonLevel = Literal["amber", "red"]
STALE = timedelta(minutes=3)
LATE = timedelta(minutes=2)


@dataclass(frozen=True)
class Reason:
    level: ReasonLevel
    code: str
    message: str


@dataclass(frozen=True)
class Facts:
    """What the rules look at (the router gathers them from the store and the queries)."""

    now: datetime
    in_session: bool
    session_open: datetime | None
    last_tick_ok: datetime | None
    last_monitor: datetime | None
    monitor_ok: bool | None
    kill_switch: bool
    dlq_depth: int | None
    analyst_fallbacks: int
    validator_fallbacks: int
    bad_bar_alerts: int
    errors: int


def _age(now: datetime, at: datetime | None, since: datetime | None) -> timedelta | None:
    """How long since ``at``; None when it never happened this session."""
    if at is None or (since is not None and at < since):
        return None
    return now - at


def assess(f: Facts) -> tuple[Level, list[Reason]]:
    reasons: list[Reason] = []
    if f.in_session:
        # Within the first 3 minutes of the open nothing can be stale yet.
        grace = f.session_open is not None and f.now - f.session_open <= STALE
        age = _age(f.now, f.last_tick_ok, f.session_open)
        if not grace and (age is None or age > STALE):
            when = "today" if age is None else f"for {int(age.total_seconds() // 60)} min"
            reasons.append(Reason("red", "tick_stale", f"no successful tick {when}"))
        elif age is not None and age > LATE:
            reasons.append(Reason("amber", "tick_late", "the last tick is 2-3 minutes old"))
        mage = _age(f.now, f.last_monitor, f.session_open)
        if not grace and (mage is None or mage > STALE):
            reasons.append(Reason("red", "monitor_stale", "the position monitor is not running"))
    if f.kill_switch:
        reasons.append(Reason("red", "kill_switch", "the daily-loss kill switch is on"))
    if f.monitor_ok is False:
        reasons.append(Reason("red", "broker_unreachable", "the last monitor run failed"))
    if f.dlq_depth:
        reasons.append(Reason("red", "dlq", f"{f.dlq_depth} message(s) in the dead-letter queue"))
    if f.analyst_fallbacks:
        n = f.analyst_fallbacks
        reasons.append(Reason("amber", "analyst_fallback", f"the analyst fell back {n}x today"))
    if f.validator_fallbacks:
        n = f.validator_fallbacks
        reasons.append(Reason("amber", "validator_fallback", f"the validator failed {n}x today"))
    if f.bad_bar_alerts:
        reasons.append(Reason("amber", "bad_bars", "bad or late bars over the threshold today"))
    if f.errors:
        reasons.append(Reason("amber", "errors", f"{f.errors} handler error(s) today"))
    level: Level = "green"
    if any(r.level == "red" for r in reasons):
        level = "red"
    elif reasons:
        level = "amber"
    return level, reasons
