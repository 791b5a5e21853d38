"""Reading questions: intents, symbols and the dates a trader means (New York, injected)."""

from __future__ import annotations

from datetime import date

import pytest

from llm_advisor.chat.parse import parse, parse_period

FRI = date(2025, 10, 31)
KNOWN = frozenset({"SPY", "QQQ", "NVDA", "TSLA", "IWM"})


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("on October 27th", date(2025, 10, 27), date(2025, 10, 27)),
        ("on 27 October", date(2025, 10, 27), date(2025, 10, 27)),
        ("on 10/27", date(2025, 10, 27), date(2025, 10, 27)),
        ("on 2024-03-05", date(2024, 3, 5), date(2024, 3, 5)),
        # no year: the most recent such date that is not in the future
        ("on December 5", date(2024, 12, 5), date(2024, 12, 5)),
        ("over the last 5 days", date(2025, 10, 27), FRI),
        ("over the last 5 trading days", date(2025, 10, 27), FRI),
        ("last 3 sessions", date(2025, 10, 29), FRI),
        ("in the last week", date(2025, 10, 25), FRI),
        ("last week", date(2025, 10, 20), date(2025, 10, 26)),
        ("this week", date(2025, 10, 27), FRI),
        ("this month", date(2025, 10, 1), FRI),
        ("since March 2", date(2025, 3, 2), FRI),
        ("between Oct 28 and Oct 30", date(2025, 10, 28), date(2025, 10, 30)),
        ("on Tuesday", date(2025, 10, 28), date(2025, 10, 28)),
        ("yesterday", date(2025, 10, 30), date(2025, 10, 30)),
        ("in September", date(2025, 9, 1), date(2025, 9, 30)),
    ],
)
def test_periods(text: str, start: date, end: date) -> None:
    period, problem = parse_period(text, FRI)
    assert problem is None
    assert period is not None
    assert (period.start, period.end) == (start, end)


def test_trading_days_count_sessions_across_a_holiday() -> None:
    # Monday 2025-09-01 is Labor Day: 3 sessions back from Wed 09-03 reach Thu 08-28
    period, _ = parse_period("last 3 trading days", date(2025, 9, 3))
    assert period is not None and period.start == date(2025, 8, 29)
    calendar, _ = parse_period("last 3 days", date(2025, 9, 3))
    assert calendar is not None and calendar.start == date(2025, 9, 1)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("P/L on Saturday", "no trading session on Saturday 2025-10-25"),
        ("trades on 2025-07-04", "no trading session on Friday 2025-07-04"),
        ("trades on February 30", "not a calendar date"),
    ],
)
def test_dates_without_a_session_are_stated(text: str, says: str) -> None:
    q = parse(text, FRI, KNOWN)
    assert q.problem is not None and says in q.problem


@pytest.mark.parametrize(
    ("text", "intent", "symbols"),
    [
        ("What were the daily biases for NVDA on October 27th?", "bias", ("NVDA",)),
        ("What is the P/L of the paper trading account over the last 5 days?", "pnl", ()),
        ("Show me all trades executed in the last week", "trades", ()),
        ("why did we short nvda on Tuesday?", "why", ("NVDA",)),
        ("What did the analyst think of the open?", "analysis", ()),
        ("What positions are open?", "positions", ()),
        ("show me the losing trades", "trades", ()),
        ("signals for $AAPL", "signals", ("AAPL",)),
        ("z-score of TSLA today", "features", ("TSLA",)),
        ("What's the weather?", None, ()),
        ("Is it all on for today?", None, ()),
    ],
)
def test_intents_and_symbols(text: str, intent: str | None, symbols: tuple[str, ...]) -> None:
    q = parse(text, FRI, KNOWN)
    assert q.intent == intent
    assert q.symbols == symbols


def test_filters() -> None:
    f = parse("winning MR trades on IWM", FRI, KNOWN).filters
    assert (f.outcome, f.setup, f.side) == ("win", "MR", None)
    f = parse("long trades that were stopped out", FRI, KNOWN).filters
    assert (f.side, f.exit_reason) == ("long", "stop")


def test_a_follow_up_takes_the_previous_questions_intent_and_dates() -> None:
    first = parse("trades on October 28", FRI, KNOWN)
    q = parse("and for TSLA?", FRI, KNOWN, previous=first)
    assert q.intent == "trades" and q.symbols == ("TSLA",)
    assert q.period == first.period
