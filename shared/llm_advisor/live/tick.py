"""The live session services around the pure engine: the one-minute tick and the analysis.

``run_tick`` is what the live-tick Lambda (and the local day, and the paper loop) runs every
minute. It owns the order of side effects that makes a crash at any point harmless:

1. load the engine state (or begin today's session from the premarket context);
2. step every complete 1-minute bar not processed yet, in order (bad bars quarantined, the
   last minute waited for and maybe held, late bars reported: ``live.bars``), asking the
   validator about each candidate between ``step`` and ``resume`` (``live.validation``);
   only complete minutes reach the saved state;
3. publish accepted plans to the queue (deterministic ``client_order_id``s);
4. record transitions, signals, validation verdicts and the per-minute log (idempotent
   upserts; the close's tick also applies the log's retention);
5. LAST, save the state with a version condition.

A tick that dies before 5 leaves the stored state where it was, so the next tick repeats the
same minutes and produces the same plans with the same ids; the executor places each once.
A ``ConflictError`` at 5 means another invocation already saved these minutes: stop.

``run_market_analysis`` builds the analyst's view from the state the tick saved and stores
the advice where the next tick picks it up (and the analysis in the database).

This module is the public entry point and holds the tick's own steps; the pieces live next
to it: ``state_codec`` (keys and the state's bytes), ``tick_types`` (``TickDeps``,
``TickResult``, the ports written), ``session_context`` (the premarket slice read),
``session_begin`` (the day's first tick) and ``market_analysis``. Their public names are
re-exported here, so ``from llm_advisor.live.tick import ...`` keeps working.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from llm_advisor.core.calendar import Session, minute_floor
from llm_advisor.core.clock import require_utc
from llm_advisor.core.errors import ConflictError
from llm_advisor.core.models import Advice, MarketView, Transition
from llm_advisor.core.ports import StateStorePort
from llm_advisor.engine.states import StateCode
from llm_advisor.execution.monitor import kill_switch_active, kill_switch_key
from llm_advisor.live.bars import collect_minutes
from llm_advisor.live.engine import Engine, StepResult
from llm_advisor.live.market_analysis import (
    AnalysisDeps,
    AnalysisOutcome,
    AnalysisRecorder,
    AnalystWithResult,
    run_market_analysis,
)
from llm_advisor.live.session_begin import ONE_MINUTE, begin_engine, tick_session
from llm_advisor.live.session_context import (
    ContextLoader,
    PremarketSessionContext,
    SessionContext,
    context_archive_key,
)
from llm_advisor.live.state_codec import (
    WATCH_KEY,
    advice_key,
    decode_state,
    encode_state,
    engine_key,
)
from llm_advisor.live.tick_types import PlanPublisher, TickDeps, TickRecorder, TickResult
from llm_advisor.live.validation import ValidationRecord, step_minute

__all__ = [
    "ONE_MINUTE",
    "WATCH_KEY",
    "AnalysisDeps",
    "AnalysisOutcome",
    "AnalysisRecorder",
    "AnalystWithResult",
    "ContextLoader",
    "PlanPublisher",
    "PremarketSessionContext",
    "SessionContext",
    "TickDeps",
    "TickRecorder",
    "TickResult",
    "advice_key",
    "context_archive_key",
    "decode_state",
    "encode_state",
    "engine_counts",
    "engine_key",
    "run_market_analysis",
    "run_tick",
    "tick_session",
]

log = logging.getLogger(__name__)


def _apply_advice(engine: Engine, state: StateStorePort, day: date) -> None:
    stored = state.load(advice_key(day))
    if stored is None:
        return
    advice = Advice.model_validate_json(stored[0])
    if all(a.as_of != advice.as_of for a in engine.advices):
        engine.add_advice(advice)


def _transitions(res: StepResult) -> list[Transition]:
    return [t.to_model() for t in res.transitions]


def engine_counts(engine: Engine) -> dict[str, int]:
    """Symbols, symbols armed (either setup) and symbols in a position."""
    st = engine.arrays.state
    armed = (st >= StateCode.MR_ARMED) & (st <= StateCode.TC_PULLBACK)
    return {
        "symbols": int(st.size),
        "armed": int(np.count_nonzero(armed)),
        "in_position": int(np.count_nonzero(st == StateCode.IN_POSITION)),
    }


def run_tick(now: datetime, deps: TickDeps) -> TickResult:
    """One tick at ``now`` (the scheduled time, never the wall clock)."""
    now = require_utc(now, "now")
    session = tick_session(now, deps.config)
    if session is None:
        return TickResult("closed", now)
    key = engine_key(session.day)
    stored = deps.state.load(key)
    version: int | None
    if stored is None:
        begun = begin_engine(deps, session)
        if begun is None:
            log.error("no premarket context for %s: the tick cannot start", session.day)
            return TickResult("no_context", now, session.day)
        engine, version = begun
        watch: Mapping[str, Any] = {}
    else:
        data = decode_state(stored[0])
        engine, version = Engine.from_state(data), stored[1]
        watch = data.get(WATCH_KEY) or {}
    if engine.session is None:  # already closed by an earlier tick
        done = TickResult("done", now, session.day, version=version, session_ended=True)
        done.engine = engine_counts(engine)
        return done

    _apply_advice(engine, deps.state, session.day)
    start = session.open if engine.last_minute is None else engine.last_minute + ONE_MINUTE
    end = min(minute_floor(now), session.close)  # bars starting before `end` are complete
    result = TickResult("stepped", now, session.day)
    total = StepResult()
    got = collect_minutes(
        deps.market_data,
        engine.symbols,
        session,
        start,
        end,
        traded_before=_traded_at(engine, session),
        wait=deps.bar_wait,
        closing=now >= session.close,
        watch=watch,
    )
    view_for = _validation_view(engine, deps, session.day)
    verdicts: list[ValidationRecord] = []
    for minute, bars in got.minutes:
        res, checked = step_minute(
            engine, minute, bars, deps.validator, view_for, log_minutes=deps.minute_log
        )
        total.extend(res)
        verdicts.extend(checked)
        result.minutes.append(minute)
    if now >= session.close:
        total.extend(engine.end_session())
        result.session_ended = True
    news = got.rejects + got.late
    result.engine = engine_counts(engine)
    if not (result.minutes or result.session_ended or news) and stored is not None:
        return TickResult(
            "up_to_date", now, session.day, version=version, held=got.held, bar_polls=got.polls,
            engine=result.engine,
        )  # fmt: skip

    # Side effects, in the order that survives a crash between any two of them.
    # A plan the engine cancelled in these same minutes (its kill switch on the breach bar,
    # before the entry's bar came) has no order in the decision book: never send it.
    cancelled = set(total.cancelled)
    plans = [p for p in total.plans if p.client_order_id not in cancelled]
    if plans:
        deps.plans.publish(plans)
    transitions = _transitions(total)
    if transitions:
        deps.records.save_transitions(transitions)
    if total.signals:
        deps.records.save_signals(total.signals)
    if verdicts:
        deps.records.save_validations(verdicts)
    if total.minutes:  # one batch (one transaction) for every minute of this tick
        result.minute_rows = deps.records.save_minute_log(total.minutes)
    if result.session_ended and deps.minute_log and deps.minute_log_retention_days > 0:
        # Once a day, off the trading minutes: the close's tick bounds the log (a rerun
        # deletes nothing more; a backlog drains over days, see storage/minute_log.py).
        before = now - timedelta(days=deps.minute_log_retention_days)
        result.minute_rows_pruned = deps.records.prune_minute_log(before)
    if news:
        for r in news:
            log.warning("bar quarantined: %s %s %s (%s)", r.symbol, r.time, r.reason, r.detail)
        deps.records.save_bar_quarantine(news, now)
    if engine.kill:
        _raise_kill_switch(deps.state, session.day, now)
    try:
        saved = {**engine.to_state(), WATCH_KEY: got.watch}
        result.version = deps.state.save(key, encode_state(saved), version)
    except ConflictError as exc:
        log.warning("tick %s: state already saved by another invocation (%s)", now, exc)
        result.status = "conflict"
        return result
    result.plans = plans
    result.signals = list(total.signals)
    result.transitions = len(transitions)
    result.trades = list(total.trades)
    result.fills = list(total.fills)
    result.cancelled = list(total.cancelled)
    result.quarantined, result.late = got.rejects, got.late
    result.held, result.bar_polls = got.held, got.polls
    result.validations = verdicts
    return result


def _validation_view(engine: Engine, deps: TickDeps, day: date) -> Callable[[datetime], MarketView]:
    """The validator's view at a candidate: the engine's features plus the premarket bias,
    news and VIX, as replay gives them. The context is read on the first candidate only."""
    loaded: list[SessionContext | None] = []

    def view(as_of: datetime) -> MarketView:
        if not loaded:
            loaded.append(deps.context(day))
        ctx = loaded[0]
        return engine.market_view(
            as_of,
            daily_bias=ctx.daily_bias() if ctx else None,
            news_summary=ctx.news_summary() if ctx else "",
            vix=ctx.vix() if ctx else None,
        )

    return view


def _traded_at(engine: Engine, session: Session) -> np.ndarray[Any, np.dtype[np.bool_]] | None:
    """Which symbols had a bar in the engine's last stepped minute (None before the first)."""
    if engine.last_minute is None:
        return None
    return np.asarray(engine.last_bar_min == session.minute_index(engine.last_minute))


def _raise_kill_switch(state: StateStorePort, day: date, now: datetime) -> None:
    """The decision book's daily-loss kill switch, made visible to the broker side: the
    executor then refuses new orders and the position monitor cancels and flattens, as the
    replay's kill switch does in the simulated book."""
    if kill_switch_active(state, day):
        return
    with contextlib.suppress(ConflictError):  # the monitor may have raised it first
        state.save(
            kill_switch_key(day), json.dumps({"at": now.isoformat(), "by": "engine"}).encode(), None
        )
    log.error("tick %s: the engine's daily-loss kill switch is active; broker flatten follows", now)
