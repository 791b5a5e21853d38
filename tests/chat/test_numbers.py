"""The number check: every figure of an answer must be in the tool results."""

from __future__ import annotations

from decimal import Decimal

from llm_advisor.chat.numbers import allowed_numbers, money, unsupported

DATA = {"rows": [{"date": "2025-10-27", "pnl": "1950.87", "entry_time": "09:38"}],
        "facts": {"count": 6, "win_rate": 0.8333333, "total": "-714.33"}}  # fmt: skip


def test_figures_from_the_data_pass_in_any_usual_format() -> None:
    allowed = allowed_numbers(DATA)
    text = (
        "On 2025-10-27 at 09:38 we made $1,950.87 (about $1,951) over 6 trades, "
        "a win rate of 83.3%, and lost $714.33 elsewhere (-714.33)."
    )
    assert unsupported(text, allowed) == []


def test_an_invented_or_misrounded_figure_is_caught() -> None:
    allowed = allowed_numbers(DATA)
    assert unsupported("We made $1,950.78 over 7 trades.", allowed) == ["$1,950.78", "7"]
    assert unsupported("P/L was $1,950.9", allowed) == []  # fewer decimals, rounds right
    assert unsupported("P/L was $1,950.8", allowed) == ["$1,950.8"]


def test_money_format() -> None:
    assert money(Decimal("-1234.5")) == "-$1,234.50"
    assert money(Decimal("12.345"), signed=True) == "+$12.35"


def test_quoted_text_is_cut_between_words_never_inside_a_number() -> None:
    from llm_advisor.chat.answer import _clip

    text = "NVDA short at 547.10 after the open"
    assert _clip(text, 18) == "NVDA short at ..."
    assert unsupported(_clip(text, 18), allowed_numbers(text)) == []
