"""The scheduled market analysis: the analyst's view of the saved engine, stored as advice.

It runs beside the tick, never inside it (its own Lambda, its own schedule), and talks to
the tick only through the state store: it reads the engine state the tick saved and writes
the advice the next tick picks up. That narrow contract is why it has its own module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from llm_advisor.core.clock import require_utc
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import ConflictError
from llm_advisor.core.models import Advice, AnalysisResult, MarketView
from llm_advisor.core.ports import AnalystPort, StateStorePort
from llm_advisor.live.engine import Engine
from llm_advisor.live.schedule import is_analysis_time
from llm_advisor.live.session_begin import tick_session
from llm_advisor.live.session_context import ContextLoader
from llm_advisor.live.state_codec import advice_key, decode_state, engine_key


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
