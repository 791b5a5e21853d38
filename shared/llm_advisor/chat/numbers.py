"""Every number in an answer must come from a tool result: the check, and money formatting.

A wrong figure about money is worse than no answer, and a language model will happily write
a plausible one. So before an answer leaves, each number in its text is extracted, normalised
($, %, thousands commas and signs dropped; "a loss of $714.33" and "-714.33" are the same
figure) and looked up among the numbers of the tool results, which are tokenised the same
way. Rounding is tolerated in one direction only: the answer may show fewer decimals than
the data (1950.87 -> "$1,951"), never a figure the data does not round to.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

_NUMBER = re.compile(r"(?<![\w.])[-+−]?\$?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(%)?")


def tokens(text: str) -> list[tuple[str, Decimal, bool]]:
    """(as written, absolute value, written as a percent) for each number in ``text``."""
    out = []
    for m in _NUMBER.finditer(text):
        digits = m[1].replace(",", "") + (m[2] or "")
        try:
            value = Decimal(digits)
        except InvalidOperation:
            continue
        out.append((m[0], value, m[3] is not None))
    return out


def allowed_numbers(*sources: Any) -> set[Decimal]:
    """Every number written anywhere in ``sources`` (JSON-able values or text)."""
    found: set[Decimal] = set()
    for src in sources:
        text = src if isinstance(src, str) else json.dumps(src, default=str, sort_keys=True)
        # JSON escapes nothing numeric; ISO dates and times split into their parts here
        # exactly as they do in the answer text.
        for _raw, value, _pct in tokens(text.replace("-", " ").replace(":", " ")):
            found.add(value)
    return found


def _places(value: Decimal) -> int:
    exp = value.as_tuple().exponent
    return -exp if isinstance(exp, int) and exp < 0 else 0


def _matches(value: Decimal, percent: bool, allowed: Iterable[Decimal]) -> bool:
    q = Decimal(1).scaleb(-_places(value))
    for y in allowed:
        candidates = (y, y * 100) if percent else (y,)
        for c in candidates:
            if c.quantize(q, rounding=ROUND_HALF_UP) == value:
                return True
    return False


def unsupported(answer: str, allowed: set[Decimal]) -> list[str]:
    """The numbers of ``answer`` that no tool result supports (empty: the answer may leave)."""
    text = answer.replace("-", " ").replace(":", " ")
    return [raw.strip() for raw, v, pct in tokens(text) if not _matches(v, pct, allowed)]


def money(x: Decimal, signed: bool = False) -> str:
    """$1,234.56 (with + for gains when ``signed``), the page's format."""
    q = x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if q < 0 else ("+" if signed and q > 0 else "")
    return f"{sign}${abs(q):,.2f}"


def dec(text: Any) -> Decimal:
    return Decimal(str(text))
