"""The engine's per-symbol arrays, declared once: the one field list.

Arrays over symbols (struct of arrays) make 500 symbols cost about as much Python as one.
Each column says its dtype, its initial value and whether ``begin_session`` resets it; the
state codec (``codec.py``) saves and loads every column from the same declaration, so
adding a column is one line here (plus its use). Float columns store NaN as JSON null.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import Field, dataclass, field, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from llm_advisor.engine.states import StateCode

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]


def _col(dtype: type, fill: float | bool, *, per_session: bool = True) -> dict[str, Any]:
    """A column's metadata: ``per_session`` ones are reset to ``fill`` at every
    ``begin_session``; the others come from the session's snapshot."""
    return {"dtype": dtype, "fill": fill, "session": per_session}


@dataclass(eq=False)
class SymbolArrays:
    """Row ``i`` of every column is symbol ``i`` of the engine's sorted symbols."""

    n: int
    # state machine; side: +1 long / -1 short while armed or in a position
    state: I64 = field(init=False, metadata=_col(np.int64, StateCode.IDLE))
    side: I64 = field(init=False, metadata=_col(np.int64, 0))
    since: I64 = field(init=False, metadata=_col(np.int64, 0))  # bar_idx at the last move
    bar_idx: I64 = field(init=False, metadata=_col(np.int64, 0))  # bars seen this session
    trades_today: I64 = field(init=False, metadata=_col(np.int64, 0))
    # a bracket closed or was cancelled: to cooldown on the next bar
    close_pending: NDArray[np.bool_] = field(init=False, metadata=_col(np.bool_, False))
    # premarket snapshot: HTF bias sign, ATR percentile, 5-minute ATR (Wilder), its close
    htf: I64 = field(init=False, metadata=_col(np.int64, 0, per_session=False))
    atr_pct: F64 = field(init=False, metadata=_col(np.float64, 50.0, per_session=False))
    atr5: F64 = field(init=False, metadata=_col(np.float64, math.nan, per_session=False))
    prev_close5: F64 = field(init=False, metadata=_col(np.float64, math.nan, per_session=False))
    # the 5-minute bucket being built
    bucket_id: I64 = field(init=False, metadata=_col(np.int64, -1))
    b_high: F64 = field(init=False, metadata=_col(np.float64, math.nan))
    b_low: F64 = field(init=False, metadata=_col(np.float64, math.nan))
    b_close: F64 = field(init=False, metadata=_col(np.float64, math.nan))
    # the latest bar; last_bar_min: its minute index from the open
    last_close: F64 = field(init=False, metadata=_col(np.float64, math.nan))
    last_bar_min: I64 = field(init=False, metadata=_col(np.int64, -1))

    def __post_init__(self) -> None:
        for f in columns():
            setattr(self, f.name, np.full(self.n, f.metadata["fill"], dtype=f.metadata["dtype"]))

    def begin_session(self) -> None:
        for f in columns():
            if f.metadata["session"]:
                getattr(self, f.name)[:] = f.metadata["fill"]

    def encode(self) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        for f in columns():
            a = getattr(self, f.name)
            if f.metadata["dtype"] is np.float64:
                out[f.name] = [None if math.isnan(x) else float(x) for x in a.tolist()]
            else:
                out[f.name] = a.tolist()
        return out

    def decode(self, data: dict[str, Sequence[Any]]) -> None:
        """Load every column from ``encode``'s output (in place: holders of this object,
        like the bracket book, keep seeing the loaded arrays)."""
        for f in columns():
            dtype = f.metadata["dtype"]
            v = data[f.name]
            if dtype is np.float64:
                a = np.array([math.nan if x is None else float(x) for x in v], dtype=np.float64)
            else:
                a = np.asarray(v, dtype=dtype)
            if a.shape != (self.n,):
                raise ValueError(f"engine state {f.name} has {a.size} rows, expected {self.n}")
            getattr(self, f.name)[:] = a


def columns() -> Iterator[Field[Any]]:
    return (f for f in fields(SymbolArrays) if f.metadata)
