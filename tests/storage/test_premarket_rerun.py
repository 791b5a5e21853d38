"""A premarket rerun replaces its date's rows, even for a symbol the rerun left out."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from llm_advisor.core.errors import DataError
from llm_advisor.core.models import Snapshot
from llm_advisor.premarket.context import BiasView, PremarketContext, SymbolContext
from llm_advisor.premarket.writers import save_context
from llm_advisor.storage import Repository

DAY = date(2024, 3, 4)


def _ctx(day: date, symbols: list[str], bias: str = "bullish") -> PremarketContext:
    def sc(sym: str) -> SymbolContext:
        snap = Snapshot(
            symbol=sym, session_date=day.isoformat(), ema_slope_daily=0.1, ema_slope_hourly=0.0,
            hh_ll_tag="HH_HL", atr_daily=2.0, atr_percentile=50.0, htf_bias="bullish",
            band_mu=100.0, band_sigma=1.0, atr_5m=0.3, atr_5m_warmup=(0.3,),
            last_close_5m=100.0, daily_bars=200,
        )  # fmt: skip
        return SymbolContext(
            symbol=sym,
            bias=BiasView(bias=bias, confidence=60.0, model_version="m1"),
            news_summary="",
            snapshot=snap,
        )

    return PremarketContext(
        date=day,
        run_time=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
        symbols={s: sc(s) for s in symbols},
    )


def test_rerun_with_one_symbol_fewer_leaves_no_stale_row(repo: Repository) -> None:
    other_day = date(2024, 3, 5)
    save_context(repo, _ctx(other_day, ["AAPL"]))
    assert save_context(repo, _ctx(DAY, ["AAPL", "MSFT", "NVDA"])) == (3, 3)
    assert save_context(repo, _ctx(DAY, ["AAPL", "NVDA"], bias="bearish")) == (2, 2)
    assert [(r.symbol, r.bias) for r in repo.daily_bias(DAY)] == [
        ("AAPL", "bearish"),
        ("NVDA", "bearish"),
    ]
    assert sorted(repo.get_premarket_snapshots(DAY)) == ["AAPL", "NVDA"]
    # other dates are untouched
    assert [r.symbol for r in repo.daily_bias(other_day)] == ["AAPL"]
    assert sorted(repo.get_premarket_snapshots(other_day)) == ["AAPL"]


def test_delete_premarket_day_counts_rows(repo: Repository) -> None:
    save_context(repo, _ctx(DAY, ["AAPL", "MSFT"]))
    assert repo.delete_premarket_day(DAY) == 4
    assert repo.delete_premarket_day(DAY) == 0
    assert repo.count("daily_bias") == 0 and repo.count("premarket_snapshots") == 0


def test_rerun_that_fails_midway_keeps_the_previous_rows(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The delete and the inserts are one unit: a rerun that dies after deleting (a dropped
    connection, a bad row) must not leave the live engine a day without bias or bands."""
    save_context(repo, _ctx(DAY, ["AAPL", "MSFT"]))

    def boom(rows: object) -> int:
        raise DataError("premarket_snapshots: simulated failure")

    monkeypatch.setattr(repo, "save_premarket_snapshots", boom)
    with pytest.raises(DataError):
        save_context(repo, _ctx(DAY, ["AAPL", "MSFT"], bias="bearish"))
    monkeypatch.undo()
    assert [(r.symbol, r.bias) for r in repo.daily_bias(DAY)] == [
        ("AAPL", "bullish"),
        ("MSFT", "bullish"),
    ]
    assert sorted(repo.get_premarket_snapshots(DAY)) == ["AAPL", "MSFT"]
