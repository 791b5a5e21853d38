"""The chat service: a question in, an answer with its citations and data out.

Numbers come from queries, text from retrieval, and every answer cites the records it used.
The flow is fixed: read the question (``parse``), pick the run (the API's default-run rule
unless ``run`` names one: a run id written in the question is never followed, so a question
cannot reach another run's rows), run one tool, then answer. With a model configured the
``LLMAnswerer`` words the answer and the number check guards it; without one, or when the
model fails or quotes a figure the tools did not return, the deterministic answer stands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from llm_advisor.chat import answer as say
from llm_advisor.chat import tools
from llm_advisor.chat.journal import why
from llm_advisor.chat.models import ChatAnswer, ToolResult
from llm_advisor.chat.numbers import allowed_numbers, unsupported
from llm_advisor.chat.parse import Period, Question, parse
from llm_advisor.core.calendar import NY, is_session, previous_session, sessions_between
from llm_advisor.core.clock import Clock
from llm_advisor.core.config import DEFAULT_WATCHLIST
from llm_advisor.core.errors import UserError
from llm_advisor.core.ports import PortfolioQueries, RunRow

if TYPE_CHECKING:
    from llm_advisor.chat.llm import LLMAnswerer

MAX_QUESTION = 500
MAX_HISTORY = 6
DEFAULT_DAYS = 30
MAX_BIAS_SESSIONS = 10
RUN_ID_CHARS = 200


@dataclass(frozen=True)
class Turn:
    role: str  # "user" | "assistant"
    content: str


def _default_run(queries: PortfolioQueries, account_run: str) -> str:
    """The API's rule (``api.params.default_run``), reused so the chat shows the same run."""
    from llm_advisor.api.context import ApiContext
    from llm_advisor.api.params import default_run
    from llm_advisor.core.clock import SystemClock

    return default_run(
        ApiContext(queries=lambda: queries, clock=SystemClock(), account_run=account_run),
        queries,
    )


class ChatService:
    def __init__(
        self,
        queries: PortfolioQueries,
        clock: Clock,
        account_run: str = "live",
        llm: LLMAnswerer | None = None,
    ) -> None:
        self.queries = queries
        self.clock = clock
        self.account_run = account_run
        self.llm = llm

    # ------------------------------------------------------------------ entry
    def ask(
        self, question: str, history: Sequence[Turn] = (), run: str | None = None
    ) -> ChatAnswer:
        text = " ".join(str(question).split())
        if not text:
            raise UserError("question='': ask something, e.g. 'Show me all trades last week'")
        if len(text) > MAX_QUESTION:
            raise UserError(f"question: {len(text)} characters; at most {MAX_QUESTION}")
        run_id, info = self._run(run)
        scoped = self.queries.scoped(run_id)
        today = self.clock.now().astimezone(NY).date()
        known = frozenset(DEFAULT_WATCHLIST) | frozenset(info.symbols if info else ())
        previous = None
        for turn in reversed(list(history)[-MAX_HISTORY:]):
            if turn.role == "user" and turn.content.strip():
                previous = parse(turn.content[:MAX_QUESTION], today, known)
                break
        q = parse(text, today, known, previous)
        if q.intent is None and self.llm is not None:
            q = self.llm.plan(q, today, known) or q
        if q.intent is None:
            return ChatAnswer(say.HELP, [], {}, run_id, "help", None)
        if q.problem:
            return ChatAnswer(q.problem, [], {}, run_id, "deterministic", q.intent)
        result, text_answer = self._answer(q, scoped, run_id, info, today)
        data: dict[str, Any] = {"run_id": run_id, **result.to_json()}
        if q.period is not None:  # the reading of the question's dates, as the answer says
            data["period"] = {
                "start": q.period.start.isoformat(),
                "end": q.period.end.isoformat(),
                "label": q.period.label,
            }
        out = ChatAnswer(text_answer, result.citations, data, run_id, "deterministic", q.intent)
        if self.llm is not None:
            out = self.llm.compose(q, result, out, history)
        out.unsupported_numbers = unsupported(out.answer, allowed_numbers(data, q.text))
        if out.unsupported_numbers:  # the deterministic text is built from the rows: a bug
            out.answer = text_answer
            out.answerer = "fallback"
        return out

    # ------------------------------------------------------------------ runs
    def _run(self, run: str | None) -> tuple[str, RunRow | None]:
        if run is None:
            run_id = _default_run(self.queries, self.account_run)
            return run_id, self.queries.find_run(run_id)
        found = self.queries.find_run(run)
        if found is None and run != self.account_run:
            raise UserError(f"run={run[:RUN_ID_CHARS]!r}: no such run; GET /api/runs lists them")
        return run, found

    # ------------------------------------------------------------------ tools
    def _span(self, q: Question, info: RunRow | None, today: date) -> Period:
        if q.period is not None:
            return q.period
        if info is not None and info.start_date and info.end_date:
            s, e = info.start_date, info.end_date
            return Period(s, e, f"over all of run {info.run_id}'s sessions ({s} to {e})")
        start = today - timedelta(days=DEFAULT_DAYS - 1)
        return Period(start, today, f"over the last {DEFAULT_DAYS} days ({start} to {today})")

    def _session_day(self, q: Question, today: date) -> date:
        if q.period is not None:
            return q.period.start
        return today if is_session(today) else previous_session(today)

    def _answer(
        self, q: Question, scoped: PortfolioQueries, run_id: str, info: RunRow | None, today: date
    ) -> tuple[ToolResult, str]:
        intent = q.intent
        if intent == "bias":
            days = self._bias_days(q, today)
            results = [tools.bias(scoped, d, q.symbols) for d in days]
            merged = results[0]
            for r in results[1:]:
                merged.rows += r.rows
                merged.citations += r.citations
            texts = [say.bias(q, r) for r in results]
            merged.facts = {"count": len(merged.rows), "date": days[0].isoformat()}
            return merged, "\n".join(texts)
        if intent == "positions":
            r = tools.positions(scoped)
            return r, say.positions(q, r)
        if intent == "analysis":
            at, when, session = self._analysis_time(q, scoped, today)
            r = tools.analysis(scoped, at, session)
            return r, say.analysis(q, r, when)
        if intent == "features":
            if not q.symbols:
                empty = ToolResult("features")
                return empty, "Name a symbol, e.g. 'What were the features of SPY on March 2?'"
            day = self._session_day(q, today)
            r = tools.features(scoped, q.symbols[0], day)
            return r, say.features(q, r)
        p = self._span(q, info, today)
        if intent == "signals":
            r = tools.signals(scoped, p.start, p.end, q.symbols, q.filters)
            return r, say.signals(q, r, p.label)
        if intent == "why":
            r = why(scoped, run_id, q, p.start, p.end)
            return r, say.why(q, r, p.label)
        if intent == "pnl" and not q.symbols:
            r = tools.pnl(scoped, run_id, p.start, p.end)
            return r, say.pnl(q, r, p.label)
        r = tools.trades(scoped, p.start, p.end, q.symbols, q.filters)
        if intent == "pnl":
            return r, say.symbol_pnl(q, r, p.label)
        return r, say.trades(q, r, p.label)

    def _bias_days(self, q: Question, today: date) -> list[date]:
        if q.period is None:
            return [self._session_day(q, today)]
        days = sessions_between(q.period.start, q.period.end)[-MAX_BIAS_SESSIONS:]
        return days or [q.period.start]

    def _analysis_time(
        self, q: Question, scoped: PortfolioQueries, today: date
    ) -> tuple[datetime, str, date | None]:
        """When to read the analyst: "the open" is the first half hour of the session asked
        about (else of the latest analysed session); a date is its close; else now."""
        now = self.clock.now()
        if q.at_open:
            if q.period is not None:
                day = q.period.start
            else:
                latest = scoped.latest_analysis(now)
                day = latest.session_date if latest is not None else self._session_day(q, today)
            # the first analysis of the session: the one in force before 10:00 ET
            at = datetime.combine(day, time(9, 59, 59), tzinfo=NY)
            return min(at, now), f"near the open of {day}", day
        if q.period is not None:
            at = datetime.combine(q.period.end, time(23, 59), tzinfo=NY)
            return min(at, now), q.period.label, q.period.end if q.period.single else None
        return now, "yet", None


def answer_json(a: ChatAnswer) -> dict[str, Any]:
    return a.to_json()
