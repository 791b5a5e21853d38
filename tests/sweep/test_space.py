"""Grid, range and TOML parsing: valid spaces become trials, mistakes are one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import UserError
from llm_advisor.sweep.space import (
    grid_trials,
    load_toml,
    parse_grid,
    parse_ranges,
    random_trials,
    trial_id,
)

BASE = StrategyConfig()


def test_grid_is_every_combination_in_order() -> None:
    space = parse_grid(["mr_arm_z=1.0,1.2,1.4", "cooldown_bars=3,5"])
    trials, dropped = grid_trials(space, BASE)
    assert dropped == 0
    assert [t.settings for t in trials][:2] == [
        {"mr_arm_z": "1.0", "cooldown_bars": "3"},
        {"mr_arm_z": "1.0", "cooldown_bars": "5"},
    ]
    assert len(trials) == 6
    assert len({t.trial_id for t in trials}) == 6
    assert trials[0].trial_id == trial_id({"cooldown_bars": "3", "mr_arm_z": "1.0"})


def test_combinations_that_break_a_cross_setting_rule_are_dropped_and_counted() -> None:
    # mr_trigger_z must stay below mr_arm_z: (arm 0.5, trigger 0.6) is impossible
    space = parse_grid(["mr_arm_z=0.5,1.2", "mr_trigger_z=0.4,0.6"])
    trials, dropped = grid_trials(space, BASE)
    assert dropped == 1
    assert {"mr_arm_z": "0.5", "mr_trigger_z": "0.6"} not in [t.settings for t in trials]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["nope=1,2"], "--grid nope: unknown strategy setting"),
        (["mr_arm_z=abc"], "--grid mr_arm_z=abc: Input should be a valid number"),
        (["cooldown_bars=0"], "--grid cooldown_bars=0: Input should be greater than or equal to 1"),
        (["mr_arm_z"], "--grid 'mr_arm_z': expected KEY=V1,V2,..."),
        (["mr_arm_z=1,1"], "--grid mr_arm_z=1,1: a value is repeated"),
        (["mr_arm_z=1", "mr_arm_z=2"], "--grid mr_arm_z: given twice"),
    ],
)
def test_grid_mistakes_name_the_setting_and_value(items: list[str], message: str) -> None:
    with pytest.raises(UserError) as err:
        parse_grid(items)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_range_mistakes() -> None:
    with pytest.raises(UserError, match="--range mr_arm_z=2:1: LOW must be below HIGH"):
        parse_ranges(["mr_arm_z=2:1"])
    with pytest.raises(UserError, match="--range validation_enabled: a range needs a numeric"):
        parse_ranges(["validation_enabled=0:1"])
    with pytest.raises(UserError, match="expected KEY=LOW:HIGH"):
        parse_ranges(["mr_arm_z=1"])


def test_random_search_is_reproducible_by_seed_and_distinct() -> None:
    space = parse_ranges(["mr_arm_z=1.0:2.0", "cooldown_bars=2:9"], parse_grid(["ema_span=10,20"]))
    a, _ = random_trials(space, BASE, 12, seed=3)
    b, _ = random_trials(space, BASE, 12, seed=3)
    c, _ = random_trials(space, BASE, 12, seed=4)
    assert [t.settings for t in a] == [t.settings for t in b]
    assert [t.settings for t in a] != [t.settings for t in c]
    assert len({t.trial_id for t in a}) == 12
    for t in a:
        assert 1.0 <= float(t.settings["mr_arm_z"]) <= 2.0
        assert t.settings["cooldown_bars"].isdigit()
        assert 2 <= int(t.settings["cooldown_bars"]) <= 9
        assert t.settings["ema_span"] in ("10", "20")


def test_a_range_without_random_is_refused() -> None:
    with pytest.raises(UserError, match="--range needs --random N"):
        grid_trials(parse_ranges(["mr_arm_z=1:2"]), BASE)


def test_toml_file(tmp_path: Path) -> None:
    f = tmp_path / "sweep.toml"
    f.write_text(
        '[sweep]\nobjective = "pnl"\nstart = "2024-03-04"\n'
        "[grid]\nmr_arm_z = [1.0, 1.4]\nrisk_budget_check = [true, false]\n"
        "[range]\ncooldown_bars = [2, 6]\n[set]\nslippage_bps = 1\n"
    )
    space, options = load_toml(f)
    assert space.grid == {"mr_arm_z": ["1.0", "1.4"], "risk_budget_check": ["true", "false"]}
    assert space.ranges == {"cooldown_bars": (2.0, 6.0)}
    assert options["objective"] == "pnl"
    assert options["set"] == ["slippage_bps=1"]
    f.write_text("[grid]\nmr_arm_z = 1.0\n")
    with pytest.raises(UserError, match=r"mr_arm_z=1\.0: expected a non-empty list"):
        load_toml(f)
    f.write_text("[grids]\n")
    with pytest.raises(UserError, match="unknown table"):
        load_toml(f)
