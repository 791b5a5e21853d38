"""Thresholds x multipliers: clamping, timing of a new analysis, staleness."""

from __future__ import annotations

import math
from datetime import timedelta

from llm_advisor.core.models import ThresholdMultipliers, Thresholds
from tests.unit.harness import Harness


def test_effective_threshold_is_base_times_multiplier_and_abort_takes_none() -> None:
    t = Thresholds(mr_arm_z=1.2, mr_trigger_z=0.6, tc_arm_z=1.8, tc_trigger_z=0.6, mr_abort_z=3.0)
    e = t.apply_multiplier(
        ThresholdMultipliers(mr_arm=1.5, mr_trigger=0.5, tc_arm=1.0, tc_trigger=2 / 3)
    )
    assert math.isclose(e.mr_arm_z, 1.8) and math.isclose(e.mr_trigger_z, 0.3)
    assert e.mr_abort_z == 3.0


def test_multipliers_are_clamped_and_non_finite_counts_as_one() -> None:
    m = ThresholdMultipliers(mr_arm=9.0, mr_trigger=0.1, tc_arm=float("nan"), tc_trigger="inf")  # type: ignore[arg-type]
    c = m.clamped(0.5, 1.5)
    assert c.as_tuple() == (1.5, 0.5, 1.0, 1.0)


def test_analysis_applies_to_bars_completing_after_its_time() -> None:
    h = Harness()
    # advice made at the open: the bar stamped at the open completes one minute later
    h.advise(h.session.open, ThresholdMultipliers(mr_arm=1.5))
    h.run([1.3])  # 1.3 < 1.2 x 1.5: no arming under the new threshold
    assert h.state() == "idle"
    h.advise(h.minute + timedelta(minutes=1), ThresholdMultipliers(mr_arm=1.0))
    h.run([1.3])  # that analysis is later than this bar's completion: still 1.5
    assert h.state() == "idle"
    h.run([1.3])  # now completes after it
    assert h.state() == "mr_armed"


def test_stale_analysis_older_than_two_intervals_reverts_to_neutral() -> None:
    h = Harness()
    h.advise(h.session.open - timedelta(minutes=30), ThresholdMultipliers(mr_arm=1.5), interval=15)
    # bar at open completes at open+1: age 31 min > 30 -> stale -> base 1.2 applies
    h.run([1.3])
    assert h.state() == "mr_armed"


def test_every_signal_records_the_thresholds_and_multipliers_used() -> None:
    h = Harness()
    h.advise(
        h.session.open - timedelta(minutes=1), ThresholdMultipliers(mr_arm=0.9, mr_trigger=1.2)
    )
    h.run([1.3, 0.7])
    (s,) = h.signals
    assert math.isclose(s.mr_arm_z, 1.08) and math.isclose(s.mr_trigger_z, 0.72)
    assert (s.mult_mr_arm, s.mult_mr_trigger, s.mult_tc_arm, s.mult_tc_trigger) == (
        0.9,
        1.2,
        1.0,
        1.0,
    )


def test_per_symbol_multipliers_override_the_market_wide_ones() -> None:
    from llm_advisor.core.models import Advice

    h = Harness(symbols=("AAA", "BBB"))
    h.engine.add_advice(
        Advice(
            as_of=h.session.open - timedelta(minutes=1),
            multipliers=ThresholdMultipliers(mr_arm=1.5),
            per_symbol={"BBB": ThresholdMultipliers(mr_arm=1.0)},
        )
    )
    h.step({"AAA": 1.3, "BBB": 1.3})
    assert h.state("AAA") == "idle" and h.state("BBB") == "mr_armed"
