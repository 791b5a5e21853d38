"""Where the engine used to live: the names drivers import, re-exported from ``engine/``.

The kernel is the ``llm_advisor.engine`` package (one module per concern; its docstring
maps the spec's sections to modules). New code imports from there.
"""

from __future__ import annotations

from llm_advisor.engine import (
    STATE_NAMES,
    STATE_VERSION,
    Candidate,
    Engine,
    MinuteFeatures,
    SignalRecord,
    SimPosition,
    StateCode,
    StepResult,
    TransitionRow,
    client_order_id,
    iso_z,
    session_for_config,
)
from llm_advisor.features.indicators import true_range

__all__ = [
    "STATE_NAMES",
    "STATE_VERSION",
    "Candidate",
    "Engine",
    "MinuteFeatures",
    "SignalRecord",
    "SimPosition",
    "StateCode",
    "StepResult",
    "TransitionRow",
    "client_order_id",
    "iso_z",
    "session_for_config",
    "true_range",
]
