"""The live session services around the pure engine: the one-minute tick and the analysis.

``run_tick`` is what the live-tick Lambda (and the local day, and the paper loop) runs every
minute. It owns the order of side effects that makes a crash at any point harmless:

1. load the engine state (or begin today's session from the premarket context);
2. step every complete 1-minute bar not processed yet, in order;
3. publish accepted plans to the queue (deterministic ``client_order_id``s);
4. record transitions and signals (idempotent upserts);
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
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import numpy as np
import pandas as pd

from llm_advisor.core.calendar import NY, Session, is_session, minute_floor, previous_session
from llm_advisor.core.clock import require_utc
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import ConflictError
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
from llm_advisor.core.ports import AnalystPort, MarketDataPort, StateStorePort, TradeValidatorPort
from llm_advisor.execution.monitor import kill_switch_active, kill_switch_key
from llm_advisor.live.bars import MinuteBars
from llm_advisor.live.engine import Engine, StepResult, session_for_config
from llm_advisor.live.schedule import is_analysis_time

log = logging.getLogger(__name__)
ONE_MINUTE = timedelta(minutes=1)
NS_MIN = 60_000_000_000


# ---------------------------------------------------------------- keys and codec
def engine_key(day: date) -> str:
    return f"engine#{day.isoformat()}"


def advice_key(day: date) -> str:
    return f"advice#{day.isoformat()}"


def encode_state(state: Mapping[str, Any]) -> bytes:
    """Compact, compressed JSON: a 500-symbol state stays far below DynamoDB's 400 KB."""
    return zlib.compress(json.dumps(state, separators=(",", ":")).encode(), 6)


def decode_state(blob: bytes) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(zlib.decompress(blob))
    return data


# ---------------------------------------------------------------- what the services need
class PlanPublisher(Protocol):
    def publish(self, plans: Sequence[TradePlan]) -> int: ...


class TickRecorder(Protocol):
    """The slice of the repository the tick writes (idempotent upserts)."""

    def save_transitions(self, transitions: Iterable[Transition]) -> int: ...

    def save_signals(self, signals: Iterable[Any]) -> int: ...


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
        }


# ---------------------------------------------------------------- bars
def _frames_to_minutes(
    symbols: Sequence[str], frames: Mapping[str, pd.DataFrame], lo: datetime, hi: datetime
) -> list[tuple[datetime, MinuteBars]]:
    """Bars starting in [lo, hi), grouped by minute, aligned to ``symbols``."""
    lo_ns, hi_ns = pd.Timestamp(lo).value, pd.Timestamp(hi).value
    n_min = int((hi_ns - lo_ns) // NS_MIN)
    if n_min <= 0:
        return []
    grid = np.full((5, n_min, len(symbols)), np.nan)
    for j, sym in enumerate(symbols):
        df = frames.get(sym)
        if df is None or df.empty:
            continue
        ts = pd.DatetimeIndex(df.index).asi8.astype(np.int64)
        keep = (ts >= lo_ns) & (ts < hi_ns) & ((ts - lo_ns) % NS_MIN == 0)
        mins = (ts[keep] - lo_ns) // NS_MIN
        for row, col in enumerate(("open", "high", "low", "close", "volume")):
            grid[row, mins, j] = df[col].to_numpy(np.float64)[keep]
    out = []
    for i in np.flatnonzero(~np.isnan(grid[3]).all(axis=1)):
        minute = lo + timedelta(minutes=int(i))
        out.append((minute, MinuteBars(grid[0, i], grid[1, i], grid[2, i], grid[3, i], grid[4, i])))
    return out


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
    engine.begin_session(session, ctx.snapshots(), _seeds(deps, session, ctx))
    return engine, None


def _apply_advice(engine: Engine, state: StateStorePort, day: date) -> None:
    stored = state.load(advice_key(day))
    if stored is None:
        return
    advice = Advice.model_validate_json(stored[0])
    if all(a.as_of != advice.as_of for a in engine.advices):
        engine.add_advice(advice)


def _transitions(res: StepResult) -> list[Transition]:
    return [t.to_model() for t in res.transitions]


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
    else:
        engine, version = Engine.from_state(decode_state(stored[0])), stored[1]
    if engine.session is None:  # already closed by an earlier tick
        return TickResult("done", now, session.day, version=version, session_ended=True)

    _apply_advice(engine, deps.state, session.day)
    start = session.open if engine.last_minute is None else engine.last_minute + ONE_MINUTE
    end = min(minute_floor(now), session.close)  # bars starting before `end` are complete
    result = TickResult("stepped", now, session.day)
    total = StepResult()
    if end > start:
        frames = deps.market_data.get_bars(list(engine.symbols), start, end, "1Min")
        for minute, bars in _frames_to_minutes(engine.symbols, frames, start, end):
            total.extend(engine.step(minute, bars, deps.validator))
            result.minutes.append(minute)
    if now >= session.close:
        total.extend(engine.end_session())
        result.session_ended = True
    if not result.minutes and not result.session_ended and stored is not None:
        return TickResult("up_to_date", now, session.day, version=version)

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
    if engine.kill:
        _raise_kill_switch(deps.state, session.day, now)
    try:
        result.version = deps.state.save(key, encode_state(engine.to_state()), version)
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
    return result


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
