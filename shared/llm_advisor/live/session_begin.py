"""The start of a live session: which session a tick works on, and the engine it begins with.

The first tick of a day does work no other tick does: it reads the premarket context, seeds
the rolling windows from the bars before the open, carries equity over from yesterday's
state and reads the broker account once. Kept apart from ``tick.py`` because every piece of
it runs once a day, and because the market analysis shares ``tick_session``.
"""

from __future__ import annotations

import logging
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from llm_advisor.core.calendar import NY, Session, is_session, previous_session
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import RetryableError, UserError
from llm_advisor.data.bar_checks import check_bars
from llm_advisor.engine.sizing import SessionAccount, session_account
from llm_advisor.live.engine import Engine, session_for_config
from llm_advisor.live.session_context import SessionContext
from llm_advisor.live.state_codec import decode_state, engine_key
from llm_advisor.live.tick_types import TickDeps

# The tick's logger: these lines are the first tick's, and read as such in its log stream.
log = logging.getLogger("llm_advisor.live.tick")
ONE_MINUTE = timedelta(minutes=1)


def tick_session(now: datetime, config: StrategyConfig) -> Session | None:
    """The session a tick at ``now`` works on: its bars complete in (open, close]."""
    day = now.astimezone(NY).date()
    if not is_session(day):
        return None
    s = session_for_config(day, config)
    return s if s.open < now <= s.close + ONE_MINUTE else None


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


def begin_engine(deps: TickDeps, session: Session) -> tuple[Engine, int | None] | None:
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
