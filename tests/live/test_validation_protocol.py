"""Trade validation outside the pure engine: ``step(validate=True)`` stops at each candidate,
the driver's verdict goes back through ``resume``, in order, until the minute is complete."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from datetime import timedelta
from typing import Any

import numpy as np
import pytest

from llm_advisor import engine as engine_pkg
from llm_advisor.analysis.validator import RulesValidator
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import MarketView, Signal
from llm_advisor.engine.orders import size_and_guard
from llm_advisor.live.bars import MinuteBars
from llm_advisor.live.engine import Engine, StepResult
from llm_advisor.live.validation import step_minute
from tests.unit.harness import Harness


def _bars(h: Harness, z: dict[str, float]) -> MinuteBars:
    n = len(h.engine.symbols)
    o, hi, lo, c, v = (np.full(n, np.nan) for _ in range(5))
    for sym, target in z.items():
        i = h.engine.symbols.index(sym)
        o[i] = hi[i] = lo[i] = c[i] = h.close_for_z(sym, target)
        v[i] = 100.0
    return MinuteBars(o, hi, lo, c, v)


def _armed_pair(cfg: StrategyConfig | None = None) -> Harness:
    """AAA and BBB both mr_armed short: the next bar at z=0.5 signals both."""
    h = Harness(cfg=cfg or StrategyConfig(), symbols=("AAA", "BBB"))
    h.step({"AAA": 1.3, "BBB": 1.3})
    return h


def _step(h: Harness, z: dict[str, float]) -> StepResult:
    res = h.engine.step(h.minute, _bars(h, z), validate=True)
    h.minute += timedelta(minutes=1)
    return res


def test_a_rejected_candidate_goes_to_cooldown_with_reason_llm_rejected() -> None:
    h = _armed_pair()
    res = _step(h, {"AAA": 0.5, "BBB": 1.0})
    assert res.awaiting is not None and res.awaiting.signal.symbol == "AAA"
    assert res.awaiting.as_of == h.minute  # the signal bar has completed
    res = h.engine.resume(False)
    assert res.awaiting is None
    (sig,) = res.signals
    assert (sig.status, sig.reject_reason) == ("rejected", "llm_rejected")
    assert res.plans == [] and h.engine.positions == {}
    assert h.state("AAA") == "cooldown"
    (tr,) = [t for t in res.transitions if t.symbol == "AAA"]
    assert tr.reason == "rejected:llm_rejected"


@pytest.mark.parametrize(("policy", "status"), [("allow", "accepted"), ("reject", "rejected")])
def test_an_undecided_verdict_follows_the_failure_policy(policy: str, status: str) -> None:
    h = _armed_pair(StrategyConfig(validation_failure_policy=policy))  # type: ignore[arg-type]
    _step(h, {"AAA": 0.5, "BBB": 1.0})
    res = h.engine.resume(None)
    (sig,) = res.signals
    assert sig.status == status
    assert h.state("AAA") == ("in_position" if status == "accepted" else "cooldown")


def test_rejecting_the_first_candidate_frees_the_last_slot_for_the_second() -> None:
    h = _armed_pair(StrategyConfig(max_open_positions=1))
    res = _step(h, {"AAA": 0.5, "BBB": 0.5})
    assert res.awaiting is not None and res.awaiting.signal.symbol == "AAA"
    res = h.engine.resume(False)
    # BBB was decided only now, after AAA's outcome: the slot is free, so it is a candidate
    assert res.awaiting is not None and res.awaiting.signal.symbol == "BBB"
    res = h.engine.resume(True)
    assert res.awaiting is None
    assert {s.symbol: (s.status, s.reject_reason) for s in res.signals} == {
        "AAA": ("rejected", "llm_rejected"),
        "BBB": ("accepted", ""),
    }
    assert [p.symbol for p in res.plans] == ["BBB"]


def test_accepting_the_first_candidate_rejects_the_second_by_the_guard_without_asking() -> None:
    h = _armed_pair(StrategyConfig(max_open_positions=1))
    _step(h, {"AAA": 0.5, "BBB": 0.5})
    res = h.engine.resume(True)
    assert res.awaiting is None  # BBB failed max_positions: no verdict needed
    assert {s.symbol: s.reject_reason for s in res.signals} == {"AAA": "", "BBB": "max_positions"}


def test_all_approving_verdicts_equal_the_unvalidated_step() -> None:
    plain, asked = _armed_pair(), _armed_pair()
    a = plain.step({"AAA": 0.5, "BBB": 0.5})
    b = _step(asked, {"AAA": 0.5, "BBB": 0.5})
    while b.awaiting is not None:
        b = asked.engine.resume(True)
    assert b.signals == a.signals and b.plans == a.plans and b.transitions == a.transitions
    assert asked.engine.to_state() == plain.engine.to_state()


def test_an_open_minute_cannot_be_saved_stepped_or_ended() -> None:
    h = _armed_pair()
    res = _step(h, {"AAA": 0.5, "BBB": 1.0})
    assert res.awaiting is not None and h.engine.awaiting == res.awaiting
    for call in (h.engine.to_state, h.engine.end_session, lambda: _step(h, {"AAA": 0.0})):
        with pytest.raises(RuntimeError, match="awaits a verdict"):
            call()
    h.engine.resume(True)
    with pytest.raises(RuntimeError, match="resume without a candidate"):
        h.engine.resume(True)
    assert h.engine.to_state()["positions"]  # between minutes again


def test_the_engine_never_calls_a_validator() -> None:
    for mod in pkgutil.iter_modules(engine_pkg.__path__):
        src = inspect.getsource(importlib.import_module(f"llm_advisor.engine.{mod.name}"))
        assert "TradeValidatorPort" not in src and ".validate(" not in src, mod.name
    for fn in (Engine.step, Engine.resume, size_and_guard):
        assert "validator" not in inspect.signature(fn).parameters


class _Scripted:
    """A validator answering from a script, recording what it was shown."""

    def __init__(self, answers: list[bool | None]) -> None:
        self.answers = list(answers)
        self.seen: list[tuple[Signal, MarketView]] = []

    def validate(self, signal: Signal, view: MarketView) -> bool | None:
        self.seen.append((signal, view))
        return self.answers.pop(0)


def test_the_driver_loop_asks_in_order_and_records_each_verdict() -> None:
    h = _armed_pair()
    v = _Scripted([None, False])
    bias: dict[str, Any] = {"AAA": ("bearish", 70.0)}
    res, rows = step_minute(
        h.engine,
        h.minute,
        _bars(h, {"AAA": 0.5, "BBB": 0.5}),
        v,
        lambda as_of: h.engine.market_view(as_of, daily_bias=bias),
    )
    assert [s.symbol for s, _ in v.seen] == ["AAA", "BBB"]
    assert v.seen[0][1].as_of == h.minute + timedelta(minutes=1)
    assert v.seen[1][1].open_positions == 1  # AAA was accepted (policy allow) before BBB
    assert [(r.symbol, r.verdict) for r in rows] == [("AAA", "undecided"), ("BBB", "reject")]
    assert [r.client_order_id for r in rows] == [s.client_order_id for s in res.signals]
    assert {s.symbol: s.status for s in res.signals} == {"AAA": "accepted", "BBB": "rejected"}


def test_validation_disabled_or_no_validator_is_the_plain_step() -> None:
    off = _armed_pair(StrategyConfig(validation_enabled=False))
    v = _Scripted([])
    res, rows = step_minute(off.engine, off.minute, _bars(off, {"AAA": 0.5}), v, lambda t: None)  # type: ignore[arg-type,return-value]
    assert rows == [] and v.seen == [] and res.signals[0].status == "accepted"


def test_rules_verdict_rows_say_rules_and_cost_nothing() -> None:
    h = _armed_pair()
    _, rows = step_minute(
        h.engine, h.minute, _bars(h, {"AAA": 0.5}), RulesValidator(), h.engine.market_view
    )
    (row,) = rows
    assert (row.provider, row.model, row.cost_usd, row.verdict) == ("rules", "rules", 0, "approve")
    assert row.reasoning and row.decided_at == h.minute + timedelta(minutes=1)
