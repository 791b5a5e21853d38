"""The chat service over a real (seeded) database: figures, citations, run scoping."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from llm_advisor.chat.numbers import money
from llm_advisor.chat.service import ChatService
from llm_advisor.core.calendar import NY
from llm_advisor.core.errors import UserError
from tests.api.seed import Expected
from tests.chat.conftest import OTHER_PNL, OTHER_RUN, trade_ids


def _day(t: dict[str, object]) -> date:
    return t["entry_time"].astimezone(NY).date()  # type: ignore[attr-defined]


def test_the_three_example_questions(service: ChatService, seeded: tuple[str, Expected]) -> None:
    _url, exp = seeded
    bias = service.ask("What were the daily biases for SPY on March 8th?")
    assert "SPY bullish" in bias.answer
    assert [(c.kind, c.id) for c in bias.citations] == [("daily_bias", "2024-03-08:SPY")]

    pnl = service.ask("What is the P/L of the paper trading account over the last 5 days?")
    assert money(exp.total_pnl, signed=True) in pnl.answer
    assert f"from {len(exp.trades)} trades on 5 sessions" in pnl.answer
    assert {c.id for c in pnl.citations} == {f"live:2024-03-0{d}" for d in range(4, 9)}

    week = service.ask("Show me all trades executed in the last week")
    assert len(trade_ids(week)) == len(exp.trades) == week.data["facts"]["count"]
    assert week.data["period"]["start"] == "2024-03-02"
    for a in (bias, pnl, week):
        assert a.unsupported_numbers == [] and a.answerer == "deterministic"


def test_trades_by_symbol_and_outcome_match_the_seed(
    service: ChatService, seeded: tuple[str, Expected]
) -> None:
    _url, exp = seeded
    a = service.ask("Show me the losing NVDA trades this week")
    want = [t for t in exp.trades if t["symbol"] == "NVDA" and t["pnl"] < 0]
    assert len(trade_ids(a)) == len(want) > 0
    total = sum((t["pnl"] for t in want), Decimal(0))
    assert money(total, signed=True) in a.answer  # type: ignore[arg-type]


def test_why_rebuilds_the_decision_journal(
    service: ChatService, seeded: tuple[str, Expected]
) -> None:
    _url, exp = seeded
    t = next(t for t in exp.trades if t["side"] == "short")
    a = service.ask(f"Why did we short {t['symbol']} on {_day(t):%B %d}?")
    kinds = [c.kind for c in a.citations]
    assert kinds[:2] == ["trade", "signal"]
    assert "z -2.25 against arm" in a.answer


def test_no_session_and_unsupported_questions_say_so(service: ChatService) -> None:
    assert "no trading session on Saturday 2024-03-02" in service.ask("P/L on Saturday").answer
    help_ = service.ask("Which stock should I buy tomorrow?")
    assert help_.answerer == "help" and help_.answer.startswith("I can answer")
    assert help_.citations == []


def test_another_runs_rows_only_when_asked_with_run(service: ChatService) -> None:
    q = f"Show me the trades of run {OTHER_RUN} this week, including {OTHER_RUN}"
    default = service.ask(q)
    assert default.run_id == "live"
    assert "other-nvda-1" not in str(default.data)
    assert money(OTHER_PNL) not in default.answer.replace("+", "")
    scoped = service.ask("Show me the trades this week", run=OTHER_RUN)
    assert scoped.run_id == OTHER_RUN and len(trade_ids(scoped)) == 1
    assert money(OTHER_PNL, signed=True) in scoped.answer


def test_unknown_run_and_bad_questions_are_one_line_errors(service: ChatService) -> None:
    with pytest.raises(UserError, match="run='nope': no such run"):
        service.ask("P/L", run="nope")
    with pytest.raises(UserError, match="at most 500"):
        service.ask("x" * 501)


def test_dates_are_read_in_new_york(service: ChatService) -> None:
    # 01:00 UTC on Saturday is still Friday evening in New York: "today" is Friday
    service.clock.set(service.clock.now() + timedelta(hours=4))  # type: ignore[attr-defined]
    a = service.ask("trades today")
    assert a.data["period"]["start"] == "2024-03-08"
