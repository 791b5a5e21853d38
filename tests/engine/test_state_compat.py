"""A state saved by the engine before the package split loads and continues identically.

The Lambda keeps the engine's state in DynamoDB between minutes; a deploy lands mid-session,
so the first tick after it loads a state the previous code saved. ``fixtures/state_v1.json``
holds such a state (cut after ``CUT`` minutes of a synthetic session) and everything the old
engine emitted for the rest of that day.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llm_advisor.core.config import StrategyConfig
from llm_advisor.live.engine import Engine
from tests.engine.support import day_inputs, outcome

BLOB: dict[str, Any] = json.loads(
    (Path(__file__).parent / "fixtures" / "state_v1.json").read_text()
)


def test_old_state_continues_bit_for_bit() -> None:
    eng = Engine.from_state(BLOB["state"])
    _, _, _, minutes, _ = day_inputs(StrategyConfig())
    rest = [eng.step(m, mb) for m, mb in minutes[BLOB["cut"] :]]
    rest.append(eng.end_session())
    assert json.loads(json.dumps(outcome(rest))) == BLOB["expected"]


def test_old_state_round_trips_unchanged() -> None:
    eng = Engine.from_state(BLOB["state"])
    assert json.loads(json.dumps(eng.to_state())) == BLOB["state"]


def test_unknown_version_is_one_clear_error() -> None:
    bad = {**BLOB["state"], "version": 99}
    with pytest.raises(ValueError, match="engine state version=99"):
        Engine.from_state(bad)
