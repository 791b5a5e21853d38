"""The STDEV kernel: pure, one concern per module, ``Engine`` as the facade drivers use.

Nothing in this package reads a clock, a file, the environment or the network (an
import-linter contract in ``pyproject.toml`` keeps I/O packages and adapters out): replay,
the local day and the live-tick Lambda drive the same ``Engine`` with the same inputs.
The one exception is loading code: ``native`` loads the compiled kernel (``_kernel.c``)
beside it when ``make install`` or the AppLayer's ``sam build`` built it.

Where each section of the spec (``strategy.md``) lives:

======================================================  ===================================
Spec section                                            Module
======================================================  ===================================
Inputs                                                  ``grid`` (``MinuteBars``, the one
                                                        minute-grid builder), ``views``
                                                        (what the analyst sees)
Features (per symbol, per complete bar t)               ``atr`` (5-minute ATR); the rolling
                                                        z in ``facade.Engine.step`` over
                                                        ``features.rolling``
Thresholds and multipliers                              ``thresholds``
State machine (per symbol)                              ``machine``, ``states`` (codes,
                                                        reasons)
Order of work inside one bar                            ``facade`` (``Engine.step``),
                                                        ``minute`` (closing a minute)
From signal to order                                    ``orders``, ``sizing``, ``ids``
                                                        (the one ``client_order_id``)
Simulated fills (replay/backtest broker)                ``book`` (brackets), ``fills``
Risk guards (account level)                             ``orders`` (per signal),
                                                        ``facade`` (daily loss kill switch),
                                                        ``book`` (risk at stops)
Output of a replay (the comparison contract)            ``records``
Resolved details (v1.1)                                 throughout; see
                                                        docs/strategy-interpretations.md
(not in the spec) saving state between minutes          ``codec``, ``arrays`` (field list)
(not in the spec) speed                                 ``native`` + ``_kernel.c``: the
                                                        rolling z, ATR buckets and the
                                                        machine's table lookup in C,
                                                        bit-identical to the NumPy path
======================================================  ===================================
"""

from __future__ import annotations

from llm_advisor.engine.book import SimPosition
from llm_advisor.engine.codec import STATE_VERSION, session_for_config
from llm_advisor.engine.facade import Engine
from llm_advisor.engine.grid import MinuteBars
from llm_advisor.engine.ids import client_order_id, iso_z
from llm_advisor.engine.records import (
    Candidate,
    MinuteFeatures,
    SignalRecord,
    StepResult,
    TransitionRow,
)
from llm_advisor.engine.states import STATE_NAMES, Reason, StateCode

__all__ = [
    "STATE_NAMES",
    "STATE_VERSION",
    "Candidate",
    "Engine",
    "MinuteBars",
    "MinuteFeatures",
    "Reason",
    "SignalRecord",
    "SimPosition",
    "StateCode",
    "StepResult",
    "TransitionRow",
    "client_order_id",
    "iso_z",
    "session_for_config",
]
