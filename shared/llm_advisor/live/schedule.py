"""When the market analysis runs: one definition for replay, the Lambda and the local day.

First at ``analysis_first_time`` (09:45 New York), then every ``analysis_interval_minutes``
while the session is open (early closes included). The deployment's schedule fires more
often (every 5 minutes, the smallest allowed interval) and the handler acts only at these
times, so changing the interval can never make live and replay analyse at different minutes.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from llm_advisor.core.calendar import NY, Session, make_session, minute_floor
from llm_advisor.core.config import StrategyConfig


def analysis_times(session: Session | date, config: StrategyConfig) -> list[datetime]:
    """UTC decision times of one session."""
    if not isinstance(session, Session):
        session = make_session(
            session,
            config.trading_window_start,
            config.trading_window_end,
            config.end_of_day_close_time,
        )
    first = datetime.combine(session.day, config.analysis_first_time, tzinfo=NY)
    t = max(first.astimezone(session.open.tzinfo), session.open)
    step = timedelta(minutes=config.analysis_interval_minutes)
    out: list[datetime] = []
    while t < session.close:
        out.append(t)
        t += step
    return out


def is_analysis_time(now: datetime, session: Session, config: StrategyConfig) -> bool:
    """Whether a scheduled invocation at ``now`` is one of the session's analysis times."""
    return minute_floor(now) in analysis_times(session, config)
