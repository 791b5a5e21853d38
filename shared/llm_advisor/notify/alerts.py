"""Which alerts a component's result raises: pure functions, no I/O, no clock.

Each alert's ``key`` names the event it is about (a fill's order id and leg, a trade's entry
order id, the day of the kill switch, the DLQ's message count), so the alert log's unique
key makes every alert once-only across reruns (``notify/watch.py`` claims, then sends).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from llm_advisor.core.calendar import NY, Session
from llm_advisor.core.models import Fill, Trade
from llm_advisor.core.ports import Alert

# The analyst chain's "no provider answered" source: "<route>:neutral:<why>" (analysis/chain).
NEUTRAL_MARK = ":neutral:"
VALIDATOR_TOOL = "trade_verdict"  # analysis/validator.py TOOL_NAME
DEAD_MAN_MINUTES = 3


def _hm(at: datetime) -> str:
    return f"{at.astimezone(NY):%H:%M}"


def _money(v: Decimal) -> str:
    return f"{v:+,.2f}"


def fill_alerts(fills: Iterable[Fill]) -> list[Alert]:
    """One alert per entry fill (exits are told with their P/L by ``exit_alerts``)."""
    out = []
    for f in fills:
        if f.leg != "entry":
            continue
        side = getattr(f.side, "value", f.side)
        out.append(
            Alert(
                key=f"fill:{f.client_order_id}:{f.leg}",
                kind="fill",
                severity="info",
                at=f.timestamp,
                subject=f"Filled {side} {f.qty} {f.symbol} @ {f.price:.2f}",
                message=(
                    f"{_hm(f.timestamp)} entry filled: {side} {f.qty} {f.symbol} at "
                    f"{f.price:.2f} (order {f.client_order_id})"
                ),
            )
        )
    return out


def exit_alerts(trades: Iterable[Trade]) -> list[Alert]:
    """One alert per closed round trip, with its realized P/L; a stop-out is a warning."""
    out = []
    for t in trades:
        reason = t.exit_reason.value
        out.append(
            Alert(
                key=f"exit:{t.client_order_id}",
                kind="exit",
                severity="warning" if reason == "stop" else "info",
                at=t.exit_time,
                subject=f"Exit {t.symbol} ({reason}) P/L {_money(t.pnl)}",
                message=(
                    f"{_hm(t.exit_time)} {t.symbol} {t.side.value} x{t.qty} closed by {reason}: "
                    f"{t.entry_price:.2f} -> {t.exit_price:.2f}, P/L {_money(t.pnl)}"
                ),
            )
        )
    return out


def kill_switch_alert(day: date, at: datetime, equity: Decimal | None) -> Alert:
    eq = "" if equity is None else f" (equity {equity:,.2f})"
    return Alert(
        key=f"kill_switch:{day.isoformat()}",
        kind="kill_switch",
        severity="critical",
        at=at,
        subject=f"Kill switch on for {day.isoformat()}",
        message=(
            f"{_hm(at)} the daily-loss kill switch is active{eq}: no new orders today, "
            "open positions are being closed"
        ),
    )


def analyst_fallback_alert(source: str, at: datetime) -> Alert | None:
    """The analysis answered neutral because no provider of the chain answered."""
    if NEUTRAL_MARK not in source:
        return None
    why = source.split(NEUTRAL_MARK, 1)[1] or "unknown"
    return Alert(
        key=f"analyst_fallback:{at.isoformat()}",
        kind="analyst_fallback",
        severity="warning",
        at=at,
        subject=f"Analyst fell back to neutral ({why})",
        message=f"{_hm(at)} the analysis used neutral multipliers: {source}",
    )


def validator_fallback_alert(day: date, failures: int, at: datetime) -> Alert | None:
    """Failed validator calls today (the ledger's errors); once per new count."""
    if failures <= 0:
        return None
    return Alert(
        key=f"validator_fallback:{day.isoformat()}:{failures}",
        kind="validator_fallback",
        severity="warning",
        at=at,
        subject=f"Validator failed {failures}x today",
        message=(
            f"{_hm(at)} {failures} trade validation call(s) failed today; those signals "
            "followed validation_failure_policy"
        ),
    )


def bad_bars_alert(
    day: date, quarantined: int, late: int, threshold: int, at: datetime
) -> Alert | None:
    """Bad or late bars in one tick at or above the threshold (one alert per tick minute)."""
    if threshold <= 0 or quarantined + late < threshold:
        return None
    return Alert(
        key=f"bad_bars:{at.isoformat()}",
        kind="bad_bars",
        severity="warning",
        at=at,
        subject=f"{quarantined} bad and {late} late bars in one tick",
        message=(
            f"{_hm(at)} the tick quarantined {quarantined} bad and {late} late bar(s) "
            f"(threshold {threshold}); see bar_quarantine for {day.isoformat()}"
        ),
    )


def dlq_alert(day: date, depth: int, at: datetime) -> Alert | None:
    """Messages in the dead-letter queue: once per new count on the day."""
    if depth <= 0:
        return None
    return Alert(
        key=f"dlq:{day.isoformat()}:{depth}",
        kind="dlq",
        severity="critical",
        at=at,
        subject=f"{depth} trade plan(s) in the dead-letter queue",
        message=(
            f"{_hm(at)} {depth} message(s) in the signal DLQ: plans the executor could not "
            "place after 5 attempts"
        ),
    )


def tick_overdue(now: datetime, last_ok: datetime | None, session: Session) -> bool:
    """True when ``now`` is in the session (from open + 3 minutes to the close) and the
    tick has not succeeded for ``DEAD_MAN_MINUTES`` (or not at all today)."""
    limit = timedelta(minutes=DEAD_MAN_MINUTES)
    if not (session.open + limit <= now <= session.close):
        return False
    if last_ok is None or last_ok < session.open:
        return True
    return now - last_ok > limit


def dead_man_alert(now: datetime, last_ok: datetime | None, session: Session) -> Alert | None:
    """The tick did not run for 3 minutes in session; once per stall (keyed by the last
    successful tick, so a tick that recovers and stalls again alerts again)."""
    if not tick_overdue(now, last_ok, session):
        return None
    since = "today" if last_ok is None or last_ok < session.open else f"since {_hm(last_ok)}"
    stamp = "none" if last_ok is None else last_ok.isoformat()
    return Alert(
        key=f"dead_man:{session.day.isoformat()}:{stamp}",
        kind="dead_man",
        severity="critical",
        at=now,
        subject=f"Live tick not running ({since})",
        message=(
            f"{_hm(now)} no successful live tick {since}: the engine is not stepping "
            "(check the live-tick function's errors and schedule)"
        ),
    )


def error_alert(component: str, at: datetime, error: BaseException) -> Alert:
    """A handler failure, logged (not sent: the CloudWatch error alarms already do)."""
    return Alert(
        key=f"error:{component}:{at.isoformat()}",
        kind="error",
        severity="warning",
        at=at,
        subject=f"{component} failed",
        message=f"{type(error).__name__}: {error}"[:500],
    )


def summary_alert(day: date, at: datetime, lines: Sequence[str], pnl: Decimal) -> Alert:
    return Alert(
        key=f"summary:{day.isoformat()}",
        kind="summary",
        severity="info",
        at=at,
        subject=f"Day {day.isoformat()}: P/L {_money(pnl)}",
        message="\n".join(lines),
    )
