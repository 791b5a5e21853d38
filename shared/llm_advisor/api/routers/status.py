"""``GET /api/status``: is the loop alive? Last tick, engine, broker, analysis, queues, errors.

Everything comes from what the handlers recorded (``loop_heartbeats`` and ``alert_log``,
written by ``notify/watch.py``) plus the record's open positions and latest analysis; the
API never polls the broker or SQS. The colour and its reasons follow ``notify/status.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, Protocol, runtime_checkable

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from llm_advisor.api.context import ApiContext, new_router
from llm_advisor.api.errors import ApiError, documented_responses
from llm_advisor.api.params import RunQuery, run_queries
from llm_advisor.api.schemas import opt_money, utc
from llm_advisor.api.status_schemas import (
    AlertOut,
    AnalysisStatusOut,
    BrokerStatusOut,
    ComponentOut,
    EngineStatusOut,
    QueueStatusOut,
    StatusReasonOut,
    StatusResponse,
    TickStatusOut,
)
from llm_advisor.core.calendar import NY, is_session, make_session
from llm_advisor.notify.alerts import VALIDATOR_TOOL
from llm_advisor.notify.status import Facts, assess
from llm_advisor.notify.store import Heartbeat, LoggedAlert, LoopStatusStore

MAX_ALERTS = 20


@runtime_checkable
class LoopStatusReader(Protocol):
    """The loop's own record (``notify.store.LoopStatusStore``; fakes in tests)."""

    def heartbeats(self) -> Mapping[str, Heartbeat]: ...

    def alerts_on(self, day: dt.date) -> Sequence[LoggedAlert]: ...

    def llm_failures(self, day: dt.date) -> Mapping[str, int]: ...


def reader_for(queries: Any, run_id: str) -> LoopStatusReader:
    """The status record next to ``queries``: the store over the repository's database,
    or the query object itself when it reads status (a fake); else 501."""
    if isinstance(queries, LoopStatusReader):
        return queries
    if hasattr(queries, "db") and hasattr(queries, "codec"):
        return LoopStatusStore(queries.db, queries.codec, run_id)
    raise ApiError(
        HTTPStatus.NOT_IMPLEMENTED, "not_implemented", "this query backend keeps no loop status"
    )


def _int(d: Mapping[str, Any], key: str) -> int | None:
    v = d.get(key)
    return int(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _ts(v: Any) -> dt.datetime | None:
    if not isinstance(v, str) or not v:
        return None
    try:
        return utc(dt.datetime.fromisoformat(v.replace("Z", "+00:00")))
    except ValueError:
        return None


def _tick(beat: Heartbeat | None, now: dt.datetime) -> TickStatusOut:
    d = beat.detail if beat else {}
    last_ok = beat.last_ok_at if beat else None
    return TickStatusOut(
        at=utc(beat.at) if beat else None,
        ok=beat.ok if beat else None,
        last_ok_at=utc(last_ok) if last_ok else None,
        age_seconds=int((now - last_ok).total_seconds()) if last_ok else None,
        status=d.get("status") if beat and beat.ok else None,
        minutes=_int(d, "minutes"),
        last_minute=_ts(d.get("last_minute")),
        duration_ms=_int(d, "duration_ms"),
        bars_quarantined=_int(d, "bars_quarantined"),
        bars_late=_int(d, "bars_late"),
    )


def _engine(beat: Heartbeat | None, day: dt.date) -> EngineStatusOut | None:
    if beat is None or beat.detail.get("session_day") != day.isoformat():
        return None
    e = beat.detail.get("engine")
    if not isinstance(e, dict):
        return None
    return EngineStatusOut(
        symbols=int(e.get("symbols", 0)),
        armed=int(e.get("armed", 0)),
        in_position=int(e.get("in_position", 0)),
    )


def _today(beat: Heartbeat | None, day: dt.date) -> bool:
    return beat is not None and beat.at.astimezone(NY).date() == day


def router(ctx: ApiContext) -> APIGatewayRouter:
    r = new_router()

    @r.get(
        "/status",
        summary="Live status: last tick, engine, broker, analysis, queues, errors today",
        description=(
            "What the loop's handlers recorded (heartbeats and today's alert log), with a "
            "colour: red (tick stale > 3 min in session, monitor not running, kill switch, "
            "broker unreachable, DLQ > 0) or amber (tick 2-3 min old, a fallback, bad bars "
            "over the threshold, handler errors today), else green. One run (`run`)."
        ),
        responses=documented_responses(StatusResponse, "The loop's status"),
        tags=["status"],
    )
    def status(run: RunQuery = None) -> StatusResponse:
        now = utc(ctx.clock.now())
        day = now.astimezone(NY).date()
        queries, run_id = run_queries(ctx, run)
        reader = reader_for(queries, run_id)
        beats = reader.heartbeats()
        logged = list(reader.alerts_on(day))
        validator = int(reader.llm_failures(day).get(VALIDATOR_TOOL, 0))
        session = make_session(day) if is_session(day) else None
        in_session = session is not None and session.open <= now <= session.close

        tick, mon, ana = beats.get("tick"), beats.get("monitor"), beats.get("analysis")
        md = mon.detail if _today(mon, day) and mon is not None else {}
        kill = bool(md.get("kill_switch"))
        errors = sum(1 for a in logged if a.kind == "error")
        fallbacks = sum(1 for a in logged if a.kind == "analyst_fallback")
        level, reasons = assess(
            Facts(
                now=now,
                in_session=in_session,
                session_open=session.open if session else None,
                last_tick_ok=tick.last_ok_at if tick else None,
                last_monitor=mon.at if mon else None,
                monitor_ok=mon.ok if _today(mon, day) and mon is not None else None,
                kill_switch=kill,
                dlq_depth=_int(md, "dlq_depth"),
                analyst_fallbacks=fallbacks,
                validator_fallbacks=validator,
                bad_bar_alerts=sum(1 for a in logged if a.kind == "bad_bars"),
                errors=errors,
            )
        )
        latest = queries.latest_analysis()
        ad = ana.detail if ana is not None else {}
        return StatusResponse(
            run_id=run_id,
            now=now,
            session_date=day,
            in_session=in_session,
            level=level,
            reasons=[
                StatusReasonOut(level=x.level, code=x.code, message=x.message) for x in reasons
            ],
            tick=_tick(tick, now),
            engine=_engine(tick, day),
            open_positions=len(queries.open_positions()),
            kill_switch=kill,
            broker=BrokerStatusOut(
                reachable=mon.ok if mon is not None else None,
                checked_at=utc(mon.at) if mon is not None else None,
                equity=opt_money(_decimal(md.get("equity"))),
                error=str(mon.detail.get("error")) if mon is not None and not mon.ok else None,
            ),
            analysis=AnalysisStatusOut(
                at=utc(latest.timestamp) if latest else None,
                provider=latest.provider if latest else None,
                source=ad.get("source") if ad.get("status") == "analysed" else None,
                fallback=ad.get("fallback") if ad.get("status") == "analysed" else None,
                mult_mr_arm=latest.mult_mr_arm if latest else None,
                mult_mr_trigger=latest.mult_mr_trigger if latest else None,
                mult_tc_arm=latest.mult_tc_arm if latest else None,
                mult_tc_trigger=latest.mult_tc_trigger if latest else None,
                fallbacks_today=fallbacks,
                validator_failures_today=validator,
            ),
            queues=QueueStatusOut(
                queue_depth=_int(md, "queue_depth"),
                dlq_depth=_int(md, "dlq_depth"),
                checked_at=utc(mon.at) if mon is not None and md else None,
            ),
            errors_today=errors,
            alerts_today=[
                AlertOut(
                    at=utc(a.at),
                    kind=a.kind,
                    severity=a.severity,
                    subject=a.subject,
                    sent=a.sent,
                )
                for a in reversed(logged[-MAX_ALERTS:])
            ],
            components=[
                ComponentOut(
                    name=b.component,
                    at=utc(b.at),
                    ok=b.ok,
                    last_ok_at=utc(b.last_ok_at) if b.last_ok_at else None,
                )
                for b in sorted(beats.values(), key=lambda b: b.component)
            ],
        )

    return r


def _decimal(v: Any) -> Any:
    from decimal import Decimal, InvalidOperation

    if v is None:
        return None
    try:
        return Decimal(str(v))
    except InvalidOperation:
        return None
