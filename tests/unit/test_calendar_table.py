"""The saved XNYS table answers exactly what exchange_calendars answers, and only when it may.

``core/calendar.py`` answers from ``xnys_sessions.json`` for covered dates when the installed
library made it: these tests check every date of its range against the library's schedule,
that the committed file is what the installed library generates, and that a version
mismatch or an uncovered date goes to the library."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, timedelta

import exchange_calendars as xcals
import pandas as pd
import pytest

from llm_advisor.core import calendar, xnys_table


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    calendar._table.cache_clear()
    yield
    calendar._table.cache_clear()


@pytest.fixture(scope="module")
def library() -> pd.DataFrame:
    return xcals.get_calendar("XNYS", start=xnys_table.FIRST).schedule


def test_the_committed_table_is_the_installed_librarys(fresh_cache: None) -> None:
    committed = json.loads(
        (xnys_table.Path(xnys_table.__file__).with_name(xnys_table.FILE)).read_text()
    )
    generated = xnys_table.generate().to_json()
    if committed["version"] != generated["version"]:
        # another library version: the file must not be used at all
        assert xnys_table.load() is None
        return
    # the range's end is the library's "a year from today": only the overlap must agree
    last = min(committed["last"], generated["last"])
    for key in ("closed_weekdays",):
        assert [d for d in committed[key] if d <= last] == [d for d in generated[key] if d <= last]
    for key in ("opens", "closes"):
        assert {d: t for d, t in committed[key].items() if d <= last} == {
            d: t for d, t in generated[key].items() if d <= last
        }, "run `make calendar`"
    assert committed["first"] == generated["first"]
    assert xnys_table.load() is not None


def test_every_date_of_the_table_agrees_with_the_library(library: pd.DataFrame) -> None:
    table = xnys_table.generate()
    opens = {ts.date(): o.to_pydatetime() for ts, o in library["open"].items()}
    closes = {ts.date(): c.to_pydatetime() for ts, c in library["close"].items()}
    day, seen = table.first - timedelta(days=3), 0
    while day <= table.last:
        if table.covers(day):
            assert table.is_session(day) == (day in opens), day
            if day in opens:
                seen += 1
                o = calendar._at(day, table.opens.get(day, xnys_table.OPEN))
                c = calendar._at(day, table.closes.get(day, xnys_table.CLOSE))
                assert (o, c) == (opens[day].astimezone(UTC), closes[day].astimezone(UTC)), day
        day += timedelta(days=1)
    assert seen == len(opens)
    assert table.sessions(table.first, table.last) == sorted(opens)


def test_calendar_functions_answer_the_same_from_table_and_library(
    fresh_cache: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    days = [date(2024, 11, 28), date(2024, 11, 29), date(2025, 1, 9), date(2024, 3, 11)]
    days += [date(2001, 9, 11), date(2001, 9, 17), date(2024, 12, 24), date(2024, 7, 6)]
    with_table = _answers(days)
    assert calendar._table() is not None
    monkeypatch.setattr(xnys_table, "installed_version", lambda: "0.0-not-the-table")
    calendar._table.cache_clear()
    assert calendar._table() is None
    assert _answers(days) == with_table
    assert with_table[0][1] is False  # Thanksgiving
    assert with_table[1][2].early_close  # the day after: 13:00
    assert with_table[2][1] is False  # 2025-01-09, a closure for a national day of mourning


def _answers(days: list[date]) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for d in days:
        sess = calendar.make_session(d) if calendar.is_session(d) else None
        prev = calendar.previous_session(d)
        out.append(
            (
                d,
                calendar.is_session(d),
                sess,
                prev,
                calendar.sessions_between(d, d + timedelta(days=9)),
            )
        )
    return out


def test_dates_the_table_does_not_cover_go_to_the_library(fresh_cache: None) -> None:
    table = calendar._table()
    assert table is not None
    before = table.first - timedelta(days=1)
    with pytest.raises(ValueError) as exc:  # the library's own out-of-bounds error
        calendar.sessions_between(before, table.first + timedelta(days=5))
    assert getattr(exc.value, "calendar", None) is not None
    with pytest.raises(ValueError) as prev:  # nothing before the first covered session
        calendar.previous_session(table.first)
    assert getattr(prev.value, "calendar", None) is not None
    with pytest.raises(ValueError, match="date=2024-07-06 is not an XNYS trading session"):
        calendar.make_session(date(2024, 7, 6))


def test_the_package_imports_no_calendar_library_for_a_covered_session() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from datetime import date; from llm_advisor.core.calendar import make_session;"
        "s = make_session(date(2024, 11, 29));"
        "print(s.close.isoformat(), 'exchange_calendars' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["2024-11-29T18:00:00+00:00", "False"]
