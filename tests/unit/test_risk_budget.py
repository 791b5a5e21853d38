"""Issue 11: risk settings that cannot work are refused at start, and the opt-in pre-trade
risk budget (``risk_budget_check``) rejects entries whose stops could breach the day's limit."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from llm_advisor.__main__ import main
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import ConfigError
from llm_advisor.features.snapshot import build_snapshots
from llm_advisor.live.bars import MinuteBars
from llm_advisor.live.engine import Engine, SignalRecord, session_for_config
from llm_advisor.replay import inputs
from llm_advisor.replay.runner import Series, run_replay, session_grid
from tests.unit.harness import Harness, seed_closes

# ---------------------------------------------------------------- refusal at start


def test_daily_limit_below_one_trades_risk_is_refused_naming_both_settings() -> None:
    with pytest.raises(ConfigError) as err:
        StrategyConfig().with_overrides({"daily_loss_limit_pct": "0.1"})
    msg = str(err.value)
    assert "daily_loss_limit_pct=0.1" in msg and "max_risk_per_trade=1.0" in msg
    assert "\n" not in msg and "{" not in msg  # one line, not the whole input dict
    StrategyConfig(daily_loss_limit_pct=1.0, max_risk_per_trade=1.0)  # equal is coherent


def test_position_cap_below_the_risk_per_trade_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"max_position_pct=0\.5 .*max_risk_per_trade=1\.0"):
        StrategyConfig(max_position_pct=0.5)


def test_flatten_before_the_end_of_the_trading_window_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"close_time=11:00 .*trading_window_end=12:00"):
        StrategyConfig().with_overrides({"end_of_day_close_time": "11:00"})


def test_cli_prints_one_line_and_fails_for_an_impossible_limit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["replay", "--synthetic", "--sessions", "1", "--no-db"]
    rc = main([*argv, "--set", "daily_loss_limit_pct=0.1"])
    err = capsys.readouterr().err
    assert rc != 0
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "daily_loss_limit_pct=0.1" in err and "max_risk_per_trade=1.0" in err


# ---------------------------------------------------------------- the check, bar by bar


def _signal_all(h: Harness, syms: tuple[str, ...]) -> list[SignalRecord]:
    """Arm every symbol MR short (z 1.3), then trigger all of them in one bar (z 0.5)."""
    h.step(dict.fromkeys(syms, 1.3))
    return h.step(dict.fromkeys(syms, 0.5)).signals


def _risk(s: SignalRecord) -> float:
    assert s.stop_price is not None
    return s.qty * abs(s.stop_price - s.ref_price)


def _budget_harness(limit: float, on: bool = True, **prices: float) -> Harness:
    cfg = StrategyConfig(daily_loss_limit_pct=limit, risk_budget_check=on)
    syms = tuple(sorted(prices))
    # ATR 5 -> R 7: at ~$100 the 1 % risk budget sizes ~142 shares (~$994 at the stop);
    # at ~$1000 the 25 % position cap binds at 25 shares (~$175 at the stop)
    seeds = {s: seed_closes(mid=p) for s, p in prices.items()}
    return Harness(cfg=cfg, symbols=syms, atr5=5.0, seeds=seeds)


def test_entry_over_the_budget_is_rejected_daily_risk_while_a_smaller_one_passes() -> None:
    h = _budget_harness(1.5, AAA=100.0, BBB=100.0, CCC=1000.0)  # $1,500 of daily risk
    sig = {s.symbol: s for s in _signal_all(h, ("AAA", "BBB", "CCC"))}
    a, b, c = sig["AAA"], sig["BBB"], sig["CCC"]
    assert (a.status, b.status, c.status) == ("accepted", "rejected", "accepted")
    assert b.reject_reason == "daily_risk"
    assert _risk(a) + _risk(b) > 1500 >= _risk(a) + _risk(c)
    assert b.qty > 0 and b.stop_price is not None  # the row carries the plan it refused
    assert h.state("BBB") == "cooldown" and h.state("CCC") == "in_position"
    (t,) = [t for t in h.results[-1].transitions if t.symbol == "BBB"]
    assert t.reason == "rejected:daily_risk"


def test_open_risk_counts_every_open_position() -> None:
    h = _budget_harness(2.0, AAA=100.0, BBB=100.0, CCC=100.0)  # $2,000: two fit, not three
    sig = {s.symbol: s for s in _signal_all(h, ("AAA", "BBB", "CCC"))}
    assert [sig[s].status for s in ("AAA", "BBB", "CCC")] == ["accepted", "accepted", "rejected"]
    assert sig["CCC"].reject_reason == "daily_risk"
    a, b, c = (_risk(sig[s]) for s in ("AAA", "BBB", "CCC"))
    assert a + c <= 2000 and b + c <= 2000 < a + b + c  # only both together exhaust it


def test_todays_realized_loss_uses_up_the_budget() -> None:
    h = _budget_harness(1.5, AAA=100.0, BBB=100.0)
    h.step({"AAA": 1.3, "BBB": 0.0})
    (plan,) = h.step({"AAA": 0.5, "BBB": 0.0}).plans
    o = plan.ref_price
    h.step(prices={"AAA": (o, o, o, o)})  # entry fills
    (loss,) = h.step(prices={"AAA": (o + 7.5, o + 7.5, o + 7.5, o + 7.5)}).trades  # gap stop
    assert loss.exit_reason.value == "stop" and float(loss.pnl) < -1000
    h.step({"BBB": 1.3})
    (sig,) = h.step({"BBB": 0.5}).signals
    assert _risk(sig) < 1500 < _risk(sig) - float(loss.pnl)
    assert (sig.status, sig.reject_reason) == ("rejected", "daily_risk")


def test_with_the_check_off_the_same_entries_are_accepted() -> None:
    h = _budget_harness(1.5, on=False, AAA=100.0, BBB=100.0, CCC=1000.0)
    assert {s.status for s in _signal_all(h, ("AAA", "BBB", "CCC"))} == {"accepted"}


# ---------------------------------------------------------------- whole runs


def _run(cfg: StrategyConfig) -> tuple[list[Any], list[Any]]:
    inp = inputs.synthetic(["AAA", "BBB", "CCC", "DDD", "EEE"], date(2026, 3, 2), 3, history=20)
    r = run_replay(cfg, inp.bars, inp.start, inp.end, show_progress=False)
    return r.trades, r.signals


def test_check_off_trades_exactly_as_the_default_config() -> None:
    base_trades, base_signals = _run(StrategyConfig())
    off_trades, off_signals = _run(StrategyConfig(risk_budget_check=False))
    assert off_trades == base_trades and off_signals == base_signals
    assert all(s.reject_reason != "daily_risk" for s in base_signals)
    _, on_signals = _run(StrategyConfig(risk_budget_check=True))  # the same market, check on
    assert Counter(s.reject_reason for s in on_signals)["daily_risk"] > 0


def test_state_round_trips_mid_session_with_the_check_on() -> None:
    cfg = StrategyConfig(daily_loss_limit_pct=1.0, risk_budget_check=True)
    inp = inputs.synthetic(["AAA", "BBB", "CCC", "DDD", "EEE"], date(2026, 3, 2), 1, history=20)
    syms = sorted(inp.bars)
    day = inp.start
    sess = session_for_config(day, cfg)
    snaps = {s: build_snapshots(s, inp.bars[s], [day], cfg)[day] for s in syms}
    grid, seeds, _ = session_grid({s: Series.of(inp.bars[s]) for s in syms}, syms, sess, 120)

    def day_signals(cut: int | None) -> list[SignalRecord]:
        eng = Engine(cfg, syms)
        eng.begin_session(sess, snaps, seeds)
        out: list[SignalRecord] = []
        for i in range(sess.minutes):
            mb = MinuteBars(*(np.ascontiguousarray(grid[k, i]) for k in range(5)))
            out.extend(eng.step(sess.open + timedelta(minutes=i), mb).signals)
            if i == cut:
                assert eng.positions  # cut while risk is open: the budget depends on it
                eng = Engine.from_state(json.loads(json.dumps(eng.to_state())))
        return out

    whole = day_signals(None)
    first_reject = next(s for s in whole if s.reject_reason == "daily_risk")
    cut = int((first_reject.signal_time - sess.open).total_seconds() // 60) - 1
    assert day_signals(cut) == whole
