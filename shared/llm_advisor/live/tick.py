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
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

import numpy as np

from llm_advisor.core.calendar import NY, Session, is_session, minute_floor, previous_session
from llm_advisor.core.clock import require_utc
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import ConflictError, RetryableError, UserError
from llm_advisor.core.models import (
    Advice,
    AnalysisResult,
    Fill,
    MarketView,
    Snapshot,
    Trade,
    TradePlan,
    Transition,
)
from llm_advisor.core.ports import (
    Account,
    AnalystPort,
    MarketDataPort,
    StateStorePort,
    TradeValidatorPort,
)
from llm_advisor.data.bar_checks import Reject, check_bars
from llm_advisor.engine.sizing import SessionAccount, session_account
from llm_advisor.engine.states import StateCode
from llm_advisor.execution.monitor import kill_switch_active, kill_switch_key
from llm_advisor.live.bars import BarWait, collect_minutes
from llm_advisor.live.engine import Engine, MinuteFeatures, StepResult, session_for_config
from llm_advisor.live.schedule import is_analysis_time
from llm_advisor.live.validation import ValidationRecord, step_minute

log = logging.getLogger(__name__)
ONE_MINUTE = timedelta(minutes=1)
WATCH_KEY = "late_watch"  # the late-bar watch list, saved next to the engine's own state
_NONFINITE = "$nonfinite"


# ---------------------------------------------------------------- keys and codec
def engine_key(day: date) -> str:
    return f"engine#{day.isoformat()}"


def advice_key(day: date) -> str:
    return f"advice#{day.isoformat()}"


def _tag_nonfinite(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return {_NONFINITE: repr(obj)}  # 'nan', 'inf', '-inf'
    if isinstance(obj, Mapping):
        return {k: _tag_nonfinite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_tag_nonfinite(v) for v in obj]
    return obj


def _untag_nonfinite(d: dict[str, Any]) -> Any:
    if len(d) == 1 and _NONFINITE in d:
        return float(d[_NONFINITE])
    return d


def encode_state(state: Mapping[str, Any]) -> bytes:
    """Compact, compressed, strict JSON: a 500-symbol state stays far below DynamoDB's 400 KB,
    and any reader can parse it. A non-finite float (the engine may hold NaN for an undefined
    value) is written as ``{"$nonfinite": "nan"}``, never as the non-JSON ``NaN``/``Infinity``;
    the usual all-finite state takes the fast path without the walk."""
    try:
        text = json.dumps(state, separators=(",", ":"), allow_nan=False)
    except ValueError:
        text = json.dumps(_tag_nonfinite(state), separators=(",", ":"), allow_nan=False)
    return zlib.compress(text.encode(), 6)


def decode_state(blob: bytes) -> dict[str, Any]:
    """Also reads states saved before the strict encoding (bare ``NaN`` literals)."""
    data: dict[str, Any] = json.loads(zlib.decompress(blob), object_hook=_untag_nonfinite)
    return data


# ---------------------------------------------------------------- what the services need
class PlanPublisher(Protocol):
    def publish(self, plans: Sequence[TradePlan]) -> int: ...


class TickRecorder(Protocol):
    """The slice of the repository the tick writes (idempotent upserts)."""

    def save_transitions(self, transitions: Iterable[Transition]) -> int: ...

    def save_signals(self, signals: Iterable[Any]) -> int: ...

    def save_bar_quarantine(self, rejects: Iterable[Reject], recorded_at: datetime) -> int: ...

    def save_minute_log(self, minutes: Sequence[MinuteFeatures]) -> int: ...

    def prune_minute_log(self, before: datetime) -> int: ...

    def save_validations(self, records: Sequence[ValidationRecord]) -> int: ...


class AnalysisRecorder(Protocol):
    def save_market_analysis(
        self,
        timestamp: datetime,
        session_date: date | str,
        provider: str,
        model: str | None,
        result: AnalysisResult,
        advice: Advice,
    ) -> None: ...


class SessionContext(Protocol):
    """What the tick and the analysis read from the premarket context (see
    ``llm_advisor.premarket.context.PremarketContext``)."""

    def snapshots(self) -> dict[str, Snapshot]: ...

    def seed_closes(self) -> dict[str, list[float]]: ...

    def daily_bias(self) -> dict[str, tuple[str, float]]: ...

    def news_summary(self) -> str: ...

    def vix(self) -> float | None: ...


ContextLoader = Callable[[date], SessionContext | None]


@dataclass
class TickDeps:
    config: StrategyConfig
    symbols: Sequence[str]
    state: StateStorePort
    market_data: MarketDataPort
    plans: PlanPublisher
    records: TickRecorder
    context: ContextLoader
    validator: TradeValidatorPort | None = None
    bar_wait: BarWait | None = None  # None: step what the feed has at the tick, never hold
    # The broker account, read once when the session begins (``_begin``): live sizing starts
    # from its equity. None (replay-like tests): the engine's own simulated equity.
    account: Callable[[], Account] | None = None
    max_sizing_equity: Decimal | None = None  # ADVISOR_MAX_SIZING_EQUITY
    # The per-minute log (``records.save_minute_log``): on by default; the session's last
    # tick deletes the run's rows older than this many days (0: keep every row).
    minute_log: bool = True
    minute_log_retention_days: int = 30  # ADVISOR_MINUTE_LOG_RETENTION_DAYS


@dataclass
class TickResult:
    """What one tick did (also the handler's response and the local day's log)."""

    status: str  # closed | before_open | no_context | up_to_date | stepped | conflict | done
    now: datetime
    session_day: date | None = None
    minutes: list[datetime] = field(default_factory=list)
    plans: list[TradePlan] = field(default_factory=list)
    signals: list[Any] = field(default_factory=list)  # the engine's signal records
    transitions: int = 0
    trades: list[Trade] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    version: int | None = None
    session_ended: bool = False
    quarantined: list[Reject] = field(default_factory=list)  # bad bars, never stepped
    late: list[Reject] = field(default_factory=list)  # bars that came after their minute
    held: datetime | None = None  # the last minute, left for the next tick to step
    bar_polls: int = 0
    minute_rows: int = 0  # per-minute log rows written (live_loop_minutes)
    minute_rows_pruned: int = 0  # rows past the retention, deleted by the session's last tick
    validations: list[ValidationRecord] = field(default_factory=list)  # verdicts this tick
    # symbols / armed / in_position in the engine after this tick (the status heartbeat),
    # from the engine the tick already holds: no second read of the saved state
    engine: dict[str, int] | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "now": self.now.isoformat(),
            "session_day": self.session_day.isoformat() if self.session_day else None,
            "minutes": len(self.minutes),
            "first_minute": self.minutes[0].isoformat() if self.minutes else None,
            "last_minute": self.minutes[-1].isoformat() if self.minutes else None,
            "plans": [p.client_order_id for p in self.plans],
            "signals": len(self.signals),
            "transitions": self.transitions,
            "trades": len(self.trades),
            "version": self.version,
            "session_ended": self.session_ended,
            "bars_quarantined": len(self.quarantined),
            "bars_late": len(self.late),
            "held_minute": self.held.isoformat() if self.held else None,
            "bar_polls": self.bar_polls,
            "minute_rows": self.minute_rows,
            "minute_rows_pruned": self.minute_rows_pruned,
            "validations": len(self.validations),
            "validations_rejected": sum(1 for v in self.validations if v.verdict == "reject"),
        }


# ---------------------------------------------------------------- bars
def _seed_start(session: Session, window: int) -> datetime:
    """Far enough back that the sessions before the open hold ``window`` closes."""
    day = session.day
    for _ in range(window // 390 + 2):
        day = previous_session(day)
    return datetime.combine(day, datetime.min.time(), tzinfo=NY).astimezone(UTC)


def _seeds(
    deps: TickDeps, session: Session, ctx: SessionContext
) -> dict[str, np.ndarray[Any, np.dtype[np.float64]]]:
    """The last W closes before the open (premarket bars included), as replay seeds them;
    the premarket context's seed closes where the feed returned nothing."""
    w = deps.config.rolling_window
    frames = deps.market_data.get_bars(
        list(deps.symbols), _seed_start(session, w), session.open, "1Min"
    )
    fallback = ctx.seed_closes()
    out = {}
    for sym in deps.symbols:
        df = frames.get(sym)
        if df is not None and not df.empty:
            df, bad = check_bars(df, sym)  # a zero or inf close would poison the window
            for r in bad:
                log.warning("seed bar dropped: %s %s %s (%s)", r.symbol, r.time, r.reason, r.detail)
            closes = df["close"].to_numpy(np.float64)
            out[sym] = closes[-w:] if closes.size > w else closes
        else:
            out[sym] = np.asarray(fallback.get(sym, [])[-w:], dtype=np.float64)
    return out


# ---------------------------------------------------------------- the tick
def tick_session(now: datetime, config: StrategyConfig) -> Session | None:
    """The session a tick at ``now`` works on: its bars complete in (open, close]."""
    day = now.astimezone(NY).date()
    if not is_session(day):
        return None
    s = session_for_config(day, config)
    return s if s.open < now <= s.close + ONE_MINUTE else None


def _begin(deps: TickDeps, session: Session) -> tuple[Engine, int | None] | None:
    """A new engine for today (carrying equity over from the previous session's state)."""
    ctx = deps.context(session.day)
    if ctx is None:
        return None
    engine: Engine | None = None
    prev = deps.state.load(engine_key(previous_session(session.day)))
    if prev is not None:
        try:
            engine = Engine.from_state(decode_state(prev[0]))
            if engine.session is not None:
                engine.end_session()
            if tuple(engine.symbols) != tuple(sorted(deps.symbols)) or engine.config != deps.config:
                engine = None  # watchlist or config changed: start from the configured equity
        except (ValueError, KeyError, zlib.error) as exc:
            log.warning("previous session state unusable, starting fresh: %s", exc)
            engine = None
    if engine is None:
        engine = Engine(deps.config, list(deps.symbols))
    account = _session_account(deps, session)
    engine.begin_session(session, ctx.snapshots(), _seeds(deps, session, ctx), account)
    return engine, None


def _session_account(deps: TickDeps, session: Session) -> SessionAccount | None:
    """The broker's figures for the day, read once: they go into the engine state saved at
    the end of this tick, so every later tick (and a rerun of this one after a crash) sizes
    from the same numbers.

    An unreachable broker fails the tick (``RetryableError``: the Lambda errors, the paper
    loop skips the minute, and the next minute begins the session again) rather than sizing
    orders for an account that may not exist; nothing is saved before this point."""
    if deps.account is None:
        return None
    try:
        acct = deps.account()
    except UserError:
        raise  # missing keys, a live account without confirmation: not a retry matter
    except Exception as exc:
        raise RetryableError(
            f"session {session.day}: broker account unavailable at the begin ({exc}); "
            "the tick will retry next minute"
        ) from exc
    figures = session_account(
        acct.equity, acct.last_equity, acct.buying_power, deps.max_sizing_equity
    )
    log.info(
        "session %s sizes from the broker: equity %s (last close), buying power %s, cap %s",
        session.day,
        figures.equity,
        figures.buying_power,
        figures.max_equity,
    )
    return figures


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
        begun = _begin(deps, session)
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


# ---------------------------------------------------------------- market analysis
class AnalystWithResult(AnalystPort, Protocol):
    def analyze_with_result(self, view: MarketView) -> tuple[Advice, AnalysisResult, Any]: ...


@dataclass
class AnalysisDeps:
    config: StrategyConfig
    state: StateStorePort
    analyst: AnalystWithResult
    records: AnalysisRecorder
    context: ContextLoader
    provider: str = "rules"
    model: str | None = None


@dataclass
class AnalysisOutcome:
    status: str  # closed | not_scheduled | no_state | analysed
    now: datetime
    advice: Advice | None = None
    result: AnalysisResult | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "now": self.now.isoformat(),
            "multipliers": self.advice.multipliers.model_dump() if self.advice else None,
            "source": self.advice.source if self.advice else None,
            "assessment": self.result.market_assessment if self.result else None,
        }


def run_market_analysis(now: datetime, deps: AnalysisDeps) -> AnalysisOutcome:
    """Analyse the market as of ``now`` from the state the tick saved; store the advice."""
    now = require_utc(now, "now")
    session = tick_session(now, deps.config)
    if session is None or now >= session.close:
        return AnalysisOutcome("closed", now)
    if not is_analysis_time(now, session, deps.config):
        return AnalysisOutcome("not_scheduled", now)
    stored = deps.state.load(engine_key(session.day))
    if stored is None:
        return AnalysisOutcome("no_state", now)
    engine = Engine.from_state(decode_state(stored[0]))
    ctx = deps.context(session.day)
    view = engine.market_view(
        now,
        daily_bias=ctx.daily_bias() if ctx else None,
        news_summary=ctx.news_summary() if ctx else "",
        vix=ctx.vix() if ctx else None,
    )
    advice, result, _call = deps.analyst.analyze_with_result(view)
    blob = advice.model_dump_json().encode()
    key = advice_key(session.day)
    for _ in range(3):  # last writer wins, but never blindly over a concurrent write
        current = deps.state.load(key)
        try:
            deps.state.save(key, blob, None if current is None else current[1])
            break
        except ConflictError:
            continue
    deps.records.save_market_analysis(now, session.day, deps.provider, deps.model, result, advice)
    return AnalysisOutcome("analysed", now, advice, result)


# ---------------------------------------------------------------- context adapter
class PremarketSessionContext:
    """``SessionContext`` over the premarket helper's ``PremarketContext`` document."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc

    def snapshots(self) -> dict[str, Snapshot]:
        return {s: c.snapshot for s, c in self.doc.symbols.items()}

    def seed_closes(self) -> dict[str, list[float]]:
        return {s: list(c.seed_closes) for s, c in self.doc.symbols.items()}

    def daily_bias(self) -> dict[str, tuple[str, float]]:
        out = {}
        for s, c in self.doc.symbols.items():
            if c.bias.bias is not None and c.bias.confidence is not None:
                out[s] = (c.bias.bias, float(c.bias.confidence))
        return out

    def news_summary(self) -> str:
        return str(self.doc.market_context.news_summary)

    def vix(self) -> float | None:
        v = self.doc.market_context.vix_close
        return None if v is None else float(v)


def context_archive_key(day: date) -> str:
    """Where premarket archives the day's context (``{year}/{month}/{date}/...``)."""
    return f"{day:%Y}/{day:%m}/{day.isoformat()}/premarket_context.json"
