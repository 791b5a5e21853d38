"""The premarket VIX figure: CBOE's CSV, the realised-volatility fallback, and what the
bias model sees of each."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from llm_advisor.core.errors import DataError
from llm_advisor.premarket.pipeline import build_premarket_context
from llm_advisor.premarket.volatility import (
    CsvVixSource,
    Volatility,
    gather_volatility,
    parse_vix_csv,
)

from .standin_ports import cboe_csv, closed_port_url, csv_server

DAY = date(2026, 3, 16)  # Monday; the previous session is Friday 2026-03-13
PREV = date(2026, 3, 13)


def test_parses_cboe_fred_and_project_formats():
    cboe = (
        b"DATE,OPEN,HIGH,LOW,CLOSE\n03/12/2026,24.1,25.0,23.0,24.5\n03/13/2026,24.5,26,24,25.25\n"
    )
    fred = b"observation_date,VIXCLS\n2026-03-12,24.5\n2026-03-13,.\n2026-03-16,23.0\n"
    mine = b"date,open,high,low,close,volume\n2026-03-13,1,2,1,25.25,0\n"
    assert parse_vix_csv(cboe).to_dict() == {date(2026, 3, 12): 24.5, date(2026, 3, 13): 25.25}
    assert parse_vix_csv(fred).to_dict() == {date(2026, 3, 12): 24.5, date(2026, 3, 16): 23.0}
    assert parse_vix_csv(mine).to_dict() == {date(2026, 3, 13): 25.25}


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"<html>maintenance</html>", "expected a date and a close column"),
        (b"DATE,CLOSE\n13/45/2026,20\n", "line 2"),
        (b"DATE,CLOSE\n03/13/2026,-1\n", "close='-1'"),
        (b"DATE,CLOSE\n", "no rows"),
    ],
)
def test_a_malformed_csv_is_one_line_naming_the_problem(body: bytes, says: str):
    with pytest.raises(DataError, match="cboe-test") as err:
        parse_vix_csv(body, "cboe-test")
    assert says in str(err.value) and "\n" not in str(err.value)


def test_cboe_history_over_http_gives_the_previous_close(real_daily):
    with csv_server(cboe_csv(real_daily["VIX"])) as url:
        vol = gather_volatility(DAY, CsvVixSource(url, timeout=2.0), real_daily["SPY"])
    assert vol.source == "cboe" and vol.is_index and vol.note == ""
    assert vol.as_of == PREV
    assert vol.close == float(real_daily["VIX"].loc["2026-03-13", "close"])
    assert all(d < DAY for d, _ in vol.closes) and len(vol.closes) == 30


def _realized(spy: pd.DataFrame) -> float:
    c = spy.loc[: pd.Timestamp(PREV), "close"].to_numpy(np.float64)[-21:]
    return float(np.std(np.diff(np.log(c)), ddof=1) * math.sqrt(252) * 100)


def test_unreachable_source_falls_back_to_spy_realized_volatility(real_daily):
    vol = gather_volatility(DAY, CsvVixSource(closed_port_url(), timeout=1.0), real_daily["SPY"])
    assert vol.source == "spy-realized" and not vol.is_index
    assert vol.as_of == PREV
    assert vol.close == pytest.approx(_realized(real_daily["SPY"]), rel=1e-12)
    assert vol.note.startswith("fallback: cboe: ") and "127.0.0.1" in vol.note


def test_a_stale_history_is_not_taken_for_yesterdays_close(real_daily):
    stale = real_daily["VIX"].loc[:"2026-03-11"]
    with csv_server(cboe_csv(stale)) as url:
        vol = gather_volatility(DAY, CsvVixSource(url), real_daily["SPY"])
    assert vol.source == "spy-realized"
    assert "history ends 2026-03-11, previous session is 2026-03-13" in vol.note


def test_nothing_available_is_said_not_invented():
    vol = gather_volatility(DAY, None, None)
    assert (vol.source, vol.close) == (None, None)
    assert "no VIX source configured" in vol.note


def test_volatility_survives_the_step_functions_payload(real_daily):
    vol = gather_volatility(DAY, None, real_daily["SPY"])
    assert Volatility.from_json(vol.to_json()) == vol
    with pytest.raises(DataError, match=r"event\.volatility"):
        Volatility.from_json({"closes": [["not a date", 1]]})


def test_context_records_the_figure_and_only_the_index_feeds_the_model(
    real_bars, real_daily, model
):
    """The fallback is shown to the analyst with its label, but the bias model sees the VIX
    features as missing: it was trained on the index, not on realised volatility."""
    daily = {k: v for k, v in real_daily.items() if k != "VIX"}
    syms = ["SPY", "NVDA"]
    with csv_server(cboe_csv(real_daily["VIX"])) as url:
        index = gather_volatility(DAY, CsvVixSource(url), real_daily["SPY"])
    proxy = gather_volatility(DAY, None, real_daily["SPY"])
    with_index = build_premarket_context(DAY, syms, real_bars, daily, [], model, volatility=index)
    with_proxy = build_premarket_context(DAY, syms, real_bars, daily, [], model, volatility=proxy)
    without = build_premarket_context(DAY, syms, real_bars, daily, [], model)
    old_path = build_premarket_context(DAY, syms, real_bars, real_daily, [], model)
    m = with_index.market_context
    assert (m.vix_source, m.vix_as_of, m.vix_close) == ("cboe", PREV, index.close)
    assert m.vix_change_5d_pct is not None
    p = with_proxy.market_context
    assert (p.vix_source, p.vix_close) == ("spy-realized", proxy.close)
    assert p.vix_note.startswith("fallback: no VIX source configured")
    for s in syms:  # the proxy changes no bias; the index does what the daily file did
        assert with_proxy.symbols[s].bias == without.symbols[s].bias
        assert with_index.symbols[s].bias == old_path.symbols[s].bias
    assert with_index.symbols["NVDA"].bias != without.symbols["NVDA"].bias
    assert old_path.market_context.vix_source == "daily-file"
