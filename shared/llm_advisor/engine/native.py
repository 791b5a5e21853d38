"""The optional native kernel: one C pass over the symbols per minute (``_kernel.c``).

Why: a NumPy step is about 80 calls of about a microsecond each on 500-wide arrays, and the
call overhead, not the arithmetic, is what costs. The kernel does the rolling window, the
z-score and the state machine's table lookup for every symbol in one loop, in the same IEEE
operations in the same order, so its results are bit-identical to the NumPy path's
(``tests/engine/test_native_kernel.py`` steps both side by side and compares every output,
state and record). One engine either way: the same ``Engine``, table, sizing and book; the
kernel only replaces the arithmetic of ``RollingStats.push``, the z-score and
``Machine.decide`` for minutes where every window is full.

Why C through ctypes rather than Numba: the shared object is 14 KB, needs no libc and loads
in about a millisecond, so the live tick's Lambda layer and cold start stay as they are;
Numba's llvmlite alone is 129 MB unzipped, past Lambda's 250 MB limit with the
dependencies layer. ``make install`` and the AppLayer's ``sam build`` compile it
(``shared/Makefile``); without a C compiler the engine runs the NumPy path, slower, with
the same results. The object is named ``_kernel.lib.so``, not ``_kernel.so``, so that
Python's import machinery (``pkgutil``, ``import``) never takes it for an extension module.
"""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from llm_advisor.engine import atr, machine
from llm_advisor.engine.grid import MinuteBars
from llm_advisor.engine.machine import Moves
from llm_advisor.engine.states import Reason

if TYPE_CHECKING:
    from llm_advisor.engine.facade import Engine

LIBRARY = Path(__file__).with_name("_kernel.lib.so")

_P = ctypes.c_void_p
PUSH, DECIDE = 1, 2  # the kernel's phases (``Kernel.minute``)
BOTH = PUSH | DECIDE
_BOUND_FIELDS = (
    "ring", "head", "mean", "m2", "since_resync", "last_close", "last_bar_min", "bar_idx",
    "state", "side", "since", "close_pending", "trades_today", "htf", "atr_pct",
    "bucket_id", "b_high", "b_low", "b_close", "prev_close5", "atr5", "sigma", "z",
    "new_state", "new_side", "new_since", "reason", "moved", "sig_mr", "sig_tc", "warm_rows",
    "warm_tr", "t_state", "t_reason", "t_since", "t_side", "t_signal",
)  # fmt: skip


class _Bound(ctypes.Structure):
    _fields_ = [(name, _P) for name in _BOUND_FIELDS]


class _Params(ctypes.Structure):
    _fields_ = [
        *(
            (name, ctypes.c_double)
            for name in (
                "sigma_epsilon", "cooldown_bars", "max_trades", "arm_timeout_bars",
                "mr_abort_z", "atr_cap",
            )
        ),
        ("atr_period", ctypes.c_int64),
    ]  # fmt: skip


def _expected_layout() -> list[int]:
    m = machine
    return [
        m.CLOSED, m.COOLED, m.MAXED, m.TIMED_OUT, m.ABORT, m.OVERSHOOT, m.MR_TRIGGER,
        m.PULLBACK, m.BROKEN, m.TC_TRIGGER, m.TC_ARM, m.MR_ARM, m.ATR_OK, m.Z_UP, m.NO_BAR,
        m.OUTSIDE, m.STATE_SHIFT, int(Reason.CLOSED),
    ]  # fmt: skip


def _load() -> tuple[ctypes.CDLL | None, str]:
    """The compiled kernel (or None and why not). A kernel built from another version of
    the fact layout is refused (its table keys would mean other facts)."""
    if not LIBRARY.is_file():
        return None, f"{LIBRARY.name} not built (make install compiles it)"
    try:
        lib = ctypes.CDLL(str(LIBRARY))
    except OSError as exc:  # built for another platform (a layer built on macOS)
        return None, f"{LIBRARY.name} does not load here: {exc}"
    want = _expected_layout()
    got = np.zeros(len(want), dtype=np.int64)
    n = lib.kernel_layout(got.ctypes.data_as(_P), ctypes.c_int64(len(want)))
    if n != len(want) or got.tolist() != want:
        raise RuntimeError(
            f"{LIBRARY} was built for another fact layout ({got.tolist()} != {want}): "
            "rebuild it with `make install`"
        )
    fn = lib.kernel_minute
    fn.restype = ctypes.c_int64
    i64 = ctypes.c_int64
    fn.argtypes = [_P, _P, i64, i64, _P, _P, _P, i64, i64, i64, i64]
    fn = lib.kernel_atr
    fn.restype = ctypes.c_int64
    fn.argtypes = [_P, _P, i64, i64, _P, _P, _P, _P]
    return lib, ""


_LIB, WHY_NOT = _load()
AVAILABLE = _LIB is not None


def _f64(a: NDArray[np.float64]) -> NDArray[np.float64]:
    if a.dtype != np.float64 or not a.flags.c_contiguous:
        return np.ascontiguousarray(a, dtype=np.float64)
    return a


def _addr(a: NDArray[np.generic]) -> int:
    if not a.flags.c_contiguous:
        raise ValueError("the native kernel needs C-contiguous arrays")
    return int(a.ctypes.data)


class Kernel:
    """The kernel bound to one engine's arrays. ``rebind`` after anything replaces an
    array object (``begin_session``, loading a state); values may change freely."""

    def __init__(self, eng: Engine) -> None:
        assert _LIB is not None
        self._fn = _LIB.kernel_minute
        self._atr = _LIB.kernel_atr
        n = len(eng.symbols)
        self.n = n
        self.sigma: NDArray[np.float64] = np.zeros(n)
        self.z: NDArray[np.float64] = np.zeros(n)
        self.new_state: NDArray[np.int8] = np.zeros(n, dtype=np.int8)
        self.new_side: NDArray[np.int64] = np.zeros(n, dtype=np.int64)
        self.new_since: NDArray[np.int64] = np.zeros(n, dtype=np.int64)
        self.reason: NDArray[np.int8] = np.zeros(n, dtype=np.int8)
        self.moved: NDArray[np.bool_] = np.zeros(n, dtype=bool)
        self.sig_mr: NDArray[np.bool_] = np.zeros(n, dtype=bool)
        self.sig_tc: NDArray[np.bool_] = np.zeros(n, dtype=bool)
        self.warm_rows: NDArray[np.int64] = np.zeros(2 * n, dtype=np.int64)
        self.warm_tr: NDArray[np.float64] = np.zeros(2 * n)
        cfg = eng.config
        self.params = _Params(
            float(cfg.sigma_epsilon), float(cfg.cooldown_bars),
            float(cfg.max_trades_per_symbol), float(cfg.arm_timeout_bars),
            float(cfg.mr_abort_z), float(cfg.atr_percentile_cap), int(cfg.atr_period),
        )  # fmt: skip
        self.bound = _Bound()
        self._params_p = ctypes.addressof(self.params)
        self._bound_p = ctypes.addressof(self.bound)
        self._keep: list[NDArray[np.generic]] = []
        self.rebind(eng)

    def rebind(self, eng: Engine) -> None:
        roll, a, t = eng.rolling, eng.arrays, machine.TABLE
        arrays: dict[str, NDArray[np.generic]] = {
            "ring": roll.ring, "head": roll.head, "mean": roll.mean, "m2": roll.m2,
            "since_resync": roll.since_resync, "last_close": a.last_close,
            "last_bar_min": a.last_bar_min, "bar_idx": a.bar_idx, "state": a.state,
            "side": a.side, "since": a.since, "close_pending": a.close_pending,
            "trades_today": a.trades_today, "htf": a.htf, "atr_pct": a.atr_pct,
            "bucket_id": a.bucket_id, "b_high": a.b_high, "b_low": a.b_low,
            "b_close": a.b_close, "prev_close5": a.prev_close5, "atr5": a.atr5,
            "sigma": self.sigma, "z": self.z, "new_state": self.new_state,
            "new_side": self.new_side, "new_since": self.new_since, "reason": self.reason,
            "moved": self.moved, "sig_mr": self.sig_mr, "sig_tc": self.sig_tc,
            "warm_rows": self.warm_rows, "warm_tr": self.warm_tr,
            "t_state": t.state, "t_reason": t.reason, "t_since": t.since, "t_side": t.side,
            "t_signal": t.signal,
        }  # fmt: skip
        expect = {
            "ring": np.float64,
            "head": np.int64,
            "mean": np.float64,
            "m2": np.float64,
            "since_resync": np.int64,
            "close_pending": np.bool_,
            "t_since": np.bool_,
        }
        for name, arr in arrays.items():
            want = expect.get(name)
            if want is not None and arr.dtype != want:
                raise TypeError(f"native kernel: {name} is {arr.dtype}, expected {want}")
            setattr(self.bound, name, _addr(arr))
        self._keep = list(arrays.values())  # the addresses stay valid while bound
        self._bound_objs = self._objects(eng)
        self.window = roll.window

    @staticmethod
    def _objects(eng: Engine) -> tuple[object, ...]:
        roll, a = eng.rolling, eng.arrays
        return (roll, roll.ring, roll.mean, roll.m2, roll.head, roll.since_resync, a)

    def bound_to(self, eng: Engine) -> bool:
        """Whether the bound arrays are still the engine's (the rolling object is replaced
        when a state is loaded)."""
        return all(x is y for x, y in zip(self._objects(eng), self._bound_objs, strict=True))

    def atr(
        self,
        bars: MinuteBars,
        has: NDArray[np.bool_],
        mi: int,
    ) -> int:
        """Fold minute ``mi``'s bars into the 5-minute ATR (``atr.add_bars``); returns how
        many completed buckets of rows without an ATR are in ``warm_rows``/``warm_tr``."""
        high, low, close = _f64(bars.high), _f64(bars.low), _f64(bars.close)
        return int(
            self._atr(
                self._bound_p, self._params_p, self.n, mi, high.ctypes.data,
                low.ctypes.data, close.ctypes.data, has.ctypes.data,
            )
        )  # fmt: skip

    def minute(
        self,
        close: NDArray[np.float64],
        has: NDArray[np.bool_],
        cmp: NDArray[np.float64],
        mi: int,
        in_window: bool,
        kill: bool,
        phase: int = BOTH,
    ) -> int:
        """Push (``PUSH``), z and decide (``DECIDE``) one minute; returns the number of
        signals. Results are in this object's arrays (``z``, ``sigma``, ``new_state`` ...)
        until the next call."""
        close = _f64(close)
        return int(
            self._fn(
                self._bound_p, self._params_p, self.n, self.window, close.ctypes.data,
                has.ctypes.data, cmp.ctypes.data, mi, in_window, kill, phase,
            )
        )  # fmt: skip


def kernel_for(eng: Engine) -> Kernel:
    """The engine's kernel, bound to its current arrays (made on first use); a step asks
    once and hands it to ``fold_atr`` and ``decide``."""
    kern = eng._kernel
    if kern is None:
        kern = eng._kernel = Kernel(eng)
    elif not kern.bound_to(eng):
        kern.rebind(eng)
    return kern


def fold_atr(kern: Kernel, eng: Engine, bars: MinuteBars, has: NDArray[np.bool_], mi: int) -> None:
    """``atr.add_bars`` through the kernel; warm-up lists stay in Python (``atr``)."""
    nwarm = kern.atr(bars, has, mi)
    if nwarm:
        period = eng.config.atr_period
        atr.warm_up_native(
            eng.arrays, eng.atr5_warm, kern.warm_rows[:nwarm], kern.warm_tr[:nwarm], period
        )


def decide(
    kern: Kernel,
    eng: Engine,
    close: NDArray[np.float64],
    has: NDArray[np.bool_],
    mi: int,
    in_window: bool,
    due: bool,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], Moves]:
    """The rolling push, z and the state machine for one minute (``RollingStats.native_push``
    said the kernel may push; ``due``: rows become due a resync, so the push, the NumPy
    resync and the decision run apart). Returns mean, sigma, z and the moves, whose
    ``moved`` already includes the signals."""
    cmp, a = eng.thresholds.cmp, eng.arrays
    if due:
        kern.minute(close, has, cmp, mi, in_window, eng.kill, PUSH)
        eng.rolling.after_native_push()
        nsig = kern.minute(close, has, cmp, mi, in_window, eng.kill, DECIDE)
    else:
        nsig = kern.minute(close, has, cmp, mi, in_window, eng.kill)
    mv = Moves(
        a.bar_idx, a.state, a.side, kern.new_state, kern.new_side, kern.new_since,
        kern.reason, kern.moved, kern.sig_mr, kern.sig_tc, nsig > 0,
    )  # fmt: skip
    return eng.rolling.mean, kern.sigma, kern.z, mv
