"""Reading a question: what it asks (intent), about which symbols, over which dates.

Pure: the caller passes "today" in New York (from the injected clock) and the symbols it
knows, so a question parses the same way in a test, the API and the CLI. Dates follow the
trader's reading: a date without a year is the most recent such date that is not in the
future; "last 5 trading days" (or "sessions") counts XNYS sessions, "last 5 days" counts
calendar days; "in the last week" is the 7 days ending today while "last week" alone is the
previous Monday-Sunday week. Every answer states the dates it used, so a reading the user did
not mean is visible rather than silently wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

from llm_advisor.core.calendar import is_session, sessions_between

Intent = Literal["why", "bias", "positions", "analysis", "signals", "features", "pnl", "trades"]
INTENTS: tuple[Intent, ...] = (
    "why",
    "bias",
    "positions",
    "analysis",
    "signals",
    "features",
    "pnl",
    "trades",
)

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "twenty": 20, "thirty": 30,
}  # fmt: skip

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_NUM = r"(\d{1,3}|" + "|".join(WORD_NUMBERS) + ")"
_ORD = r"(\d{1,2})(?:st|nd|rd|th)?"
_DATE_ALTS = (
    rf"\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?"
    rf"|(?:{_MONTH})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTH})(?:,?\s+\d{{4}})?"
    rf"|today|yesterday|(?:last\s+)?(?:{'|'.join(WEEKDAYS)})"
)
_SINGLE = re.compile(rf"\b({_DATE_ALTS})\b", re.I)
_BETWEEN = re.compile(
    rf"\b(?:between|from)\s+({_DATE_ALTS})\s+(?:and|to|until|-)\s+({_DATE_ALTS})\b", re.I
)
_SINCE = re.compile(rf"\bsince\s+({_DATE_ALTS})\b", re.I)
_LAST_N = re.compile(
    rf"\b(?:last|past|previous|recent)\s+{_NUM}\s+(trading\s+days?|trading\s+sessions?|sessions?|"
    r"days?|weeks?|months?)\b",
    re.I,
)
_MONTH_ONLY = re.compile(rf"\b(?:in|during|for)\s+({_MONTH})\.?(?:\s+(\d{{4}}))?\b(?!\s+\d)", re.I)
_TICKER = re.compile(r"\$([A-Za-z][A-Za-z0-9.\-]{0,9})\b|\b([A-Za-z][A-Za-z0-9.\-]{0,9})\b")

# Weak P/L words count only when nothing else matched ("losing trades" is a trades question).
_WEAK_PNL = (r"\bloss(?:es)?\b", r"\breturns?\b", r"\bmade\b", r"\bresults?\b")
# Common words that are also tickers: a symbol typed in lower case must not be one of these.
_WORDS = frozenset(
    {
        "A",
        "I",
        "ON",
        "IT",
        "ALL",
        "ARE",
        "FOR",
        "AN",
        "AM",
        "BE",
        "DO",
        "GO",
        "SO",
        "NOW",
        "OPEN",
        "ONE",
        "TWO",
        "ANY",
        "CAN",
        "SEE",
        "HAS",
        "WELL",
    }
)

_KEYWORDS: dict[Intent, tuple[str, ...]] = {
    "why": (r"\bwhy\b", r"\breason", r"\bwhat made\b", r"\brationale\b", r"\bjustif"),
    "bias": (r"\bbias", r"\bbullish\b", r"\bbearish\b", r"\bchoppy\b", r"\bpremarket call"),
    "positions": (r"\bpositions?\b", r"\bholding", r"\bopen trades?\b", r"\bexposure\b"),
    "analysis": (r"\banalys[ie]s\b", r"\banalyst\b", r"\bassessment\b", r"\bmarket view\b",
                 r"\bthink of\b", r"\bmultipliers?\b"),
    "signals": (r"\bsignals?\b", r"\brejected\b", r"\bsetups? (?:fired|triggered)\b"),
    "features": (r"\bfeatures?\b", r"\bz[- ]?scores?\b", r"\bvwap\b", r"\batr\b"),
    "pnl": (r"\bp\s*/\s*l\b", r"\bp\s*&\s*l\b", r"\bpnl\b", r"\bprofit(?!able)", r"\bearn",
            r"\bperformance\b", r"\bdrawdown\b", r"\bwin rate\b", r"\bhow much\b",
            r"\bhow (?:did|have) we do\b", r"\bhow did (?:the|our) (?:account|portfolio)\b"),
    "trades": (r"\btrades?\b", r"\btraded\b", r"\bexecuted\b", r"\bfills?\b", r"\bround trips?\b",
               r"\bwinners?\b", r"\blosers?\b", r"\bshort(?:ed|s)?\b", r"\blong(?:s)?\b",
               r"\bbought\b", r"\bsold\b", r"\bstopped out\b"),
}  # fmt: skip


@dataclass(frozen=True)
class Period:
    """An inclusive range of New York dates, and how the answer should name it."""

    start: date
    end: date
    label: str

    @property
    def single(self) -> bool:
        return self.start == self.end


@dataclass(frozen=True)
class Filters:
    setup: str | None = None  # MR | TC
    side: str | None = None  # long | short
    outcome: Literal["win", "loss"] | None = None
    exit_reason: str | None = None  # stop | target | eod | kill_switch


@dataclass(frozen=True)
class Question:
    text: str
    intent: Intent | None
    symbols: tuple[str, ...] = ()
    period: Period | None = None
    filters: Filters = Filters()
    at_open: bool = False
    # A reason the question cannot be answered as asked (a date that does not exist, a
    # weekend or holiday), stated instead of a guess.
    problem: str | None = None


def _num(word: str) -> int:
    return WORD_NUMBERS.get(word.lower()) or int(word)


def _recent(today: date, month: int, day: int) -> date:
    """The most recent ``month``/``day`` that is not after ``today``."""
    for year in range(today.year, today.year - 9, -1):
        try:
            d = date(year, month, day)
        except ValueError:
            continue
        if d <= today:
            return d
    raise ValueError(f"{month}/{day}")


def _year(text: str | None) -> int | None:
    if not text:
        return None
    y = int(text)
    return y + 2000 if y < 100 else y


def parse_date(text: str, today: date) -> date:
    """One date phrase (already matched by ``_SINGLE``) -> a date; ``ValueError`` names it."""
    t = " ".join(text.lower().replace(",", " ").replace(".", " ").split())
    if t == "today":
        return today
    if t == "yesterday":
        return today - timedelta(days=1)
    wd = t.removeprefix("last ")
    if wd in WEEKDAYS:
        back = (today.weekday() - WEEKDAYS.index(wd)) % 7
        if t.startswith("last ") and back == 0:
            back = 7
        return today - timedelta(days=back)
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", t):
        return date(int(m[1]), int(m[2]), int(m[3]))
    if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?", t):
        month, day, y = int(m[1]), int(m[2]), _year(m[3])
    elif m := re.fullmatch(rf"({_MONTH}) (\d{{1,2}})(?:st|nd|rd|th)?(?: (\d{{4}}))?", t):
        month, day, y = MONTHS[m[1]], int(m[2]), _year(m[3])
    elif m := re.fullmatch(rf"(\d{{1,2}})(?:st|nd|rd|th)? (?:of )?({_MONTH})(?: (\d{{4}}))?", t):
        month, day, y = MONTHS[m[2]], int(m[1]), _year(m[3])
    else:
        raise ValueError(text)
    return date(y, month, day) if y is not None else _recent(today, month, day)


def _last_n(n: int, unit: str, today: date) -> Period:
    unit = unit.lower()
    if "trading" in unit or "session" in unit:
        days = sessions_between(today - timedelta(days=2 * n + 14), today)[-n:]
        start = days[0] if days else today
        return Period(start, today, f"over the last {n} trading sessions ({start} to {today})")
    if unit.startswith("week"):
        start = today - timedelta(days=7 * n - 1)
    elif unit.startswith("month"):
        start = today - timedelta(days=30 * n - 1)
    else:
        start = today - timedelta(days=n - 1)
    return Period(start, today, f"over the last {n} {unit} ({start} to {today})")


def _month(month: int, year: int | None, today: date) -> Period:
    y = year if year is not None else (today.year if month <= today.month else today.year - 1)
    start = date(y, month, 1)
    nxt = date(y + (month == 12), month % 12 + 1, 1)
    end = min(nxt - timedelta(days=1), today)
    return Period(start, end, f"in {start:%B %Y} ({start} to {end})")


def parse_period(text: str, today: date) -> tuple[Period | None, str | None]:
    """The question's dates, or (None, None) when it names none; (None, why) when a date
    it names does not exist."""
    low = text.lower()
    try:
        if m := _BETWEEN.search(text):
            a, b = sorted((parse_date(m[1], today), parse_date(m[2], today)))
            return Period(a, b, f"from {a} to {b}"), None
        if m := _SINCE.search(text):
            a = parse_date(m[1], today)
            return Period(a, today, f"since {a} ({a} to {today})"), None
        if m := _LAST_N.search(text):
            return _last_n(_num(m[1]), m[2], today), None
        if re.search(r"\bthe (?:last|past) week\b|\bpast week\b", low):
            start = today - timedelta(days=6)
            return Period(start, today, f"over the last 7 days ({start} to {today})"), None
        if re.search(r"\b(?:last|previous) week\b", low):
            end = today - timedelta(days=today.weekday() + 1)
            start = end - timedelta(days=6)
            return Period(start, end, f"last week ({start} to {end})"), None
        if "this week" in low:
            start = today - timedelta(days=today.weekday())
            return Period(start, today, f"this week ({start} to {today})"), None
        if "this month" in low or "month to date" in low:
            start = today.replace(day=1)
            return Period(start, today, f"this month ({start} to {today})"), None
        if re.search(r"\b(?:last|previous) month\b", low):
            prev = today.replace(day=1) - timedelta(days=1)
            return _month(prev.month, prev.year, today), None
        if re.search(r"\bthis year\b|\bytd\b|\byear to date\b", low):
            start = today.replace(month=1, day=1)
            return Period(start, today, f"this year ({start} to {today})"), None
        if m := _SINGLE.search(text):
            d = parse_date(m[1], today)
            return Period(d, d, f"on {d:%A} {d.isoformat()}"), None
        if m := _MONTH_ONLY.search(text):
            return _month(MONTHS[m[1].lower()], _year(m[2]), today), None
    except ValueError as exc:
        return None, f"{exc.args[0] if exc.args else 'that date'!s} is not a calendar date"
    return None, None


def find_symbols(text: str, known: frozenset[str]) -> tuple[str, ...]:
    """Tickers the question names: a known symbol in any case, or any ``$TICKER``."""
    out: list[str] = []
    for m in _TICKER.finditer(text):
        word = (m[1] or m[2]).upper()
        typed_lower = not (m[1] or m[2]).isupper()
        if typed_lower and word in _WORDS and not m[1]:
            continue
        if (m[1] or word in known) and word not in out:
            out.append(word)
    return tuple(out)


def find_intent(text: str) -> Intent | None:
    low = text.lower()
    for intent in INTENTS:
        if any(re.search(p, low) for p in _KEYWORDS[intent]):
            return intent
    if any(re.search(p, low) for p in _WEAK_PNL):
        return "pnl"
    return None


def find_filters(text: str) -> Filters:
    low = text.lower()
    setup = None
    if re.search(r"\bmean[- ]reversion\b|\bmr\b", low):
        setup = "MR"
    elif re.search(r"\btrend[- ]continuation\b|\btc\b|\btrend\b", low):
        setup = "TC"
    side = None
    if re.search(r"\bshort(?:ed|s)?\b|\bsold short\b", low):
        side = "short"
    elif re.search(r"\blong(?:s)?\b|\bbought\b|\bwent long\b", low):
        side = "long"
    outcome: Literal["win", "loss"] | None = None
    won = re.search(r"\bwin(?:ning|ners?|s)?\b|\bprofitable\b|\bgreen\b", low)
    if won and "win rate" not in low:
        outcome = "win"
    elif re.search(r"\blos(?:ing|ers?|t)\b|\bunprofitable\b|\bred\b|\bloss trades\b", low):
        outcome = "loss"
    reason = None
    if re.search(r"\bstopped\b|\bstop(?:s|ped)? out\b|\bhit (?:the|their|its) stop", low):
        reason = "stop"
    elif re.search(r"\bhit (?:the|their|its) target\b|\btargets?\b", low):
        reason = "target"
    elif re.search(r"\bend of day\b|\beod\b|\bflatten", low):
        reason = "eod"
    return Filters(setup=setup, side=side, outcome=outcome, exit_reason=reason)


def parse(
    text: str,
    today: date,
    known_symbols: frozenset[str],
    previous: Question | None = None,
) -> Question:
    """The question read against ``today`` (New York). ``previous`` (the last question of
    the conversation) fills in a follow-up such as "and for TSLA?" that names no intent."""
    intent = find_intent(text)
    period, problem = parse_period(text, today)
    symbols = find_symbols(text, known_symbols)
    q = Question(
        text=text,
        intent=intent,
        symbols=symbols,
        period=period,
        filters=find_filters(text),
        at_open=bool(re.search(r"\b(?:the|at|near) (?:the )?open(?:ing)?\b", text.lower())),
        problem=problem,
    )
    if q.intent is None and previous is not None and previous.intent is not None:
        q = replace(
            q,
            intent=previous.intent,
            symbols=q.symbols or previous.symbols,
            period=q.period or previous.period,
        )
    if q.problem is None and q.period is not None and q.period.single:
        d = q.period.start
        if d > today:
            q = replace(q, problem=f"{d.isoformat()} is in the future")
        elif not is_session(d):
            q = replace(
                q,
                problem=(
                    f"There was no trading session on {d:%A} {d.isoformat()} "
                    "(the exchange was closed: weekend or market holiday)."
                ),
            )
    return q
