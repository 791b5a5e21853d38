"""The report's numbers: the recomputed z and thresholds are the engine's, the breakdowns
add up to the summary, and the page degrades to tables without Plotly."""

from __future__ import annotations

import builtins
import html
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from llm_advisor.core.calendar import NY
from llm_advisor.live.engine import session_for_config
from llm_advisor.replay.report import write_report
from llm_advisor.replay.report_data import (
    _in_force,
    _pick_symbol_days,
    recompute_z,
    run_data,
    session_advice,
    threshold_steps,
)
from llm_advisor.replay.report_html import NO_PLOTLY, NO_TRADES

from .conftest import Week


def test_recomputed_z_and_thresholds_are_the_engines_at_every_signal(week: Week) -> None:
    r = week.result
    picked, _ = _pick_symbol_days(r, 1000)
    sessions, _closes, z = recompute_z(picked, week.bars, r.config)
    moved = 0
    assert len(r.signals) > 10
    for s in r.signals:
        row = picked.index((s.symbol, s.signal_time.astimezone(NY).date()))
        minute = sessions[row].minute_index(s.signal_time)
        assert z[row, minute] == s.z  # the engine's bits, not an approximation
        steps = threshold_steps(session_advice(sessions[row], r.advices), s.symbol, r.config)
        k = [st for st in steps if st[0] <= minute][-1][1:]
        engine = [s.mr_arm_z, s.mr_trigger_z, s.tc_arm_z, s.tc_trigger_z]
        assert k == pytest.approx(engine, abs=1e-4)
        moved += engine != [
            r.config.mr_arm_z,
            r.config.mr_trigger_z,
            r.config.tc_arm_z,
            r.config.tc_trigger_z,
        ]
    assert moved > 0  # the analyst's multipliers are in the check, not only neutral ones


def test_advice_changes_found_without_stepping_every_minute_match_every_minute(
    week: Week,
) -> None:
    r = week.result
    for day in r.sessions:
        sess = session_for_config(day, r.config)
        plan = session_advice(sess, r.advices)
        assert len(plan.advices) > 1
        times = [a.as_of for a in plan.advices]
        every = [_in_force(sess, plan.advices, times, i) for i in range(sess.minutes)]
        changes = [(i, *k) for i, k in enumerate(every) if i == 0 or k != every[i - 1]]
        assert plan.steps == changes


def test_breakdowns_add_up_to_the_summary(week: Week) -> None:
    d = run_data(week.result, week.bars)
    s = week.result.summary
    total = Decimal(s["pnl"])
    for key in ("by_setup", "by_side", "by_symbol", "by_hour", "exits", "daily"):
        assert sum(d[key]["pnl"]) == pytest.approx(float(total), abs=0.01), key
        assert sum(d[key]["trades"]) == s["trades"], key
    assert d["equity"]["equity"][-1] == pytest.approx(float(Decimal(s["end_equity"])))
    assert min(d["equity"]["drawdown"]) == pytest.approx(-float(Decimal(s["max_drawdown"])))
    assert d["daily"]["day"] == [x.isoformat() for x in week.result.sessions]
    hours = d["by_hour"]["label"]
    assert hours == sorted(hours) and all(re.fullmatch(r"\d\d:00", h) for h in hours)
    assert {h[:2] for h in hours} <= {f"{h:02d}" for h in range(9, 16)}  # New York hours


def test_symbol_days_embed_compact_closes_that_decode_to_the_bars(week: Week) -> None:
    d = run_data(week.result, week.bars)
    rows = d["symbol_days"]["rows"]
    with_trades = {
        (t.symbol, t.entry_time.astimezone(NY).date().isoformat()) for t in week.result.trades
    }
    assert with_trades <= {(r["symbol"], r["day"]) for r in rows}
    row = rows[0]
    closes = np.cumsum([v for v in row["c"] if v is not None]) / row["scale"]
    ny = week.bars[row["symbol"]].tz_convert(NY)
    session = ny.loc[row["day"]].between_time("09:30", "15:59")["close"].to_numpy()
    assert closes == pytest.approx(session, abs=0.005)
    assert len(json.dumps(row)) < 6000  # compact: one symbol-day is a few kilobytes


def test_zero_trades_report_says_so(flat_week: Week, tmp_path: Path) -> None:
    assert flat_week.result.trades == []
    text = write_report(tmp_path, flat_week.result, flat_week.bars).read_text()
    assert 'id="no-trades"' in text and html.escape(NO_TRADES) in text
    assert 'id="by-setup-chart"' not in text  # no empty breakdown charts


def test_without_plotly_the_report_has_tables_and_a_note(
    week: Week, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = builtins.__import__

    def no_plotly(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "plotly" or name.startswith("plotly."):
            raise ImportError(f"No module named {name!r}")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_plotly)
    text = write_report(tmp_path, week.result, week.bars).read_text()
    assert html.escape(NO_PLOTLY) in text and 'id="no-charts"' in text
    assert "plotly.js v" not in text and len(text) < 1_000_000  # no library inlined
    assert 'id="by-symbol-table"' in text and 'id="summary"' in text
