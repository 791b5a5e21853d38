"""Thresholds in force for a bar: the config's base z levels times the analyst's multipliers.

The spec's "Thresholds and multipliers": the latest analysis made before the bar completes
applies (per symbol where it says so), clamped to [multiplier_min, multiplier_max]; an
analysis older than twice its interval is stale and the multipliers fall back to neutral.
Rows of ``k`` are named: ``k[MR_ARM]`` is each symbol's effective ``mr_arm_z``, and so on.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import Advice, ThresholdMultipliers

MR_ARM, MR_TRIGGER, TC_ARM, TC_TRIGGER = 0, 1, 2, 3  # rows of ``Thresholds.k``


class Thresholds:
    """The session's analyses and the thresholds they put in force, recomputed only when
    the analysis in force (or its staleness) changes."""

    def __init__(self, config: StrategyConfig, symbols: tuple[str, ...]) -> None:
        self.config = config
        self.symbols = symbols
        n = len(symbols)
        self.advices: list[Advice] = []
        self._key: tuple[int, bool] | None = None
        self.k: NDArray[np.float64] = np.zeros((4, n))
        # what the state machine compares with: mr_arm, -mr_trigger, tc_trigger,
        # -tc_trigger, tc_arm (negated once here, not at every bar)
        self.cmp: NDArray[np.float64] = np.zeros((5, n))
        self.k_list: list[list[float]] = self.k.T.tolist()  # per symbol, for records
        self.mults: list[ThresholdMultipliers] = [ThresholdMultipliers()] * n

    def reset(self) -> None:
        self.advices = []
        self._key = None

    def add(self, advice: Advice) -> None:
        self.advices.append(advice)
        self.advices.sort(key=lambda a: a.as_of)
        self._key = None

    def effective(self, completes: datetime) -> None:
        """Per-symbol effective thresholds for a bar completing at ``completes``."""
        chosen = -1
        for j in range(len(self.advices) - 1, -1, -1):
            if self.advices[j].as_of < completes:
                chosen = j
                break
        stale = True
        if chosen >= 0:
            adv = self.advices[chosen]
            stale = completes - adv.as_of > timedelta(minutes=2 * adv.interval_minutes)
        key = (chosen, stale)
        if key == self._key:
            return
        self._key = key
        cfg = self.config
        lo, hi = cfg.multiplier_min, cfg.multiplier_max
        neutral = ThresholdMultipliers()
        mults: list[ThresholdMultipliers]
        if chosen < 0 or stale:
            mults = [neutral] * len(self.symbols)
        else:
            adv = self.advices[chosen]
            base = adv.multipliers.clamped(lo, hi)
            mults = [
                adv.per_symbol[s].clamped(lo, hi) if s in adv.per_symbol else base
                for s in self.symbols
            ]
        self.mults = mults
        arr = np.array([m.as_tuple() for m in mults], dtype=np.float64).T
        base_k = np.array(
            [cfg.mr_arm_z, cfg.mr_trigger_z, cfg.tc_arm_z, cfg.tc_trigger_z], dtype=np.float64
        )
        self.k = base_k[:, None] * arr
        k = self.k
        self.cmp = np.stack((k[MR_ARM], -k[MR_TRIGGER], k[TC_TRIGGER], -k[TC_TRIGGER], k[TC_ARM]))
        self.k_list = self.k.T.tolist()
