"""The STDEV engine: one pure step per minute for all symbols at once.

``Engine.step`` performs the spec's order of work inside one bar for every symbol that has
a bar in that minute: (1) the simulated bracket broker (EOD flatten, entry fills at the
open, exits against the bar's range), (2) features (5-minute ATR buckets, rolling z),
(3) the state machine, (4) signals -> sizing -> risk guards -> orders, then the account's
daily-loss kill switch. It reads no clock, no file, no environment: replay, the local
day and the live-tick Lambda all drive this same object, and its whole state serializes
to JSON and back exactly (the Lambda keeps it in DynamoDB between minutes).

Arrays over symbols (struct of arrays) make 500 symbols cost about as much Python as one;
the rare events (transitions, signals, fills) are materialized as records.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from llm_advisor.core.calendar import Session, make_session
from llm_advisor.core.clock import require_utc
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import (
    Advice,
    ExitReason,
    Fill,
    MarketView,
    Position,
    Setup,
    Side,
    Signal,
    Snapshot,
    State,
    SymbolView,
    ThresholdMultipliers,
    Trade,
    TradePlan,
    Transition,
    validate_symbol,
)
from llm_advisor.core.money import to_decimal
from llm_advisor.core.ports import TradeValidatorPort
from llm_advisor.execution.fills import entry_fill_price, exit_fill
from llm_advisor.execution.sizing import BatchSizing, qty_with_buying_power, size_batch
from llm_advisor.features.indicators import true_range, wilder_step
from llm_advisor.features.rolling import RollingStats
from llm_advisor.live.bars import MinuteBars

IDLE, MR_ARMED, TC_ARMED, TC_PULLBACK, IN_POSITION, COOLDOWN, DONE = range(7)
STATE_NAMES: tuple[State, ...] = (
    State.IDLE,
    State.MR_ARMED,
    State.TC_ARMED,
    State.TC_PULLBACK,
    State.IN_POSITION,
    State.COOLDOWN,
    State.DONE,
)
_STATE_STR: tuple[str, ...] = tuple(st.value for st in STATE_NAMES)
_BIAS_SIGN = {"bullish": 1, "bearish": -1, "neutral": 0}
_ONE_MIN = timedelta(minutes=1)
STATE_VERSION = 1


def iso_z(ts: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ``: the output format of every time the spec writes."""
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def client_order_id(day: date, symbol: str, setup: str, side: str, signal_time: datetime) -> str:
    """Deterministic id of the order a signal produces: a retried or duplicated submission
    of the same signal can never open a second position."""
    return f"stdev-{day:%Y%m%d}-{symbol}-{setup}-{side}-{iso_z(signal_time)}"


class TransitionRow(NamedTuple):
    """A state transition, cheap to create on the hot path (``to_model`` for storage)."""

    timestamp: datetime
    symbol: str
    old_state: str
    new_state: str
    z: float | None
    mr_arm_z: float
    mr_trigger_z: float
    tc_arm_z: float
    tc_trigger_z: float
    reason: str

    def to_model(self) -> Transition:
        return Transition(
            timestamp=self.timestamp,
            symbol=self.symbol,
            old_state=State(self.old_state),
            new_state=State(self.new_state),
            z=self.z,
            mr_arm_z=self.mr_arm_z,
            mr_trigger_z=self.mr_trigger_z,
            tc_arm_z=self.tc_arm_z,
            tc_trigger_z=self.tc_trigger_z,
            reason=self.reason,
        )

    def model_dump(self, mode: str = "python") -> dict[str, Any]:
        return self.to_model().model_dump(mode=mode)


class SignalRecord(NamedTuple):
    """A signal as the engine emits it: the fields of ``core.models.Signal`` in a tuple
    (thousands per replayed day at 500 symbols; ``to_model`` validates for storage)."""

    signal_time: datetime
    symbol: str
    setup: Setup
    side: Side
    status: str
    reject_reason: str
    z: float
    ref_price: float
    atr_5m: float | None
    risk_per_share: float | None
    stop_price: float | None
    target_price: float | None
    qty: int
    equity: Decimal
    mr_arm_z: float
    mr_trigger_z: float
    tc_arm_z: float
    tc_trigger_z: float
    mult_mr_arm: float
    mult_mr_trigger: float
    mult_tc_arm: float
    mult_tc_trigger: float
    client_order_id: str

    def to_model(self) -> Signal:
        return Signal.model_validate(self._asdict())

    def model_dump(self, mode: str = "python") -> dict[str, Any]:
        return self.to_model().model_dump(mode=mode)


@dataclass
class StepResult:
    transitions: list[TransitionRow] = field(default_factory=list)
    signals: list[SignalRecord] = field(default_factory=list)
    plans: list[TradePlan] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    trades: list[Trade] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)

    def extend(self, other: StepResult) -> None:
        self.transitions.extend(other.transitions)
        self.signals.extend(other.signals)
        self.plans.extend(other.plans)
        self.fills.extend(other.fills)
        self.trades.extend(other.trades)
        self.cancelled.extend(other.cancelled)


@dataclass
class SimPosition:
    """A bracket in the simulated book: pending until its entry fills at the next open."""

    symbol: str
    side: int
    setup: str
    qty: int
    ref: float
    stop: float
    target: float
    signal_time: datetime
    client_order_id: str
    pending: bool = True
    entry_price: float = math.nan
    entry_time: datetime | None = None
    kill_exit: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "side": self.side,
            "setup": self.setup,
            "qty": self.qty,
            "ref": self.ref,
            "stop": self.stop,
            "target": self.target,
            "signal_time": iso_z(self.signal_time),
            "client_order_id": self.client_order_id,
            "pending": self.pending,
            "entry_price": None if math.isnan(self.entry_price) else self.entry_price,
            "entry_time": iso_z(self.entry_time) if self.entry_time else None,
            "kill_exit": self.kill_exit,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SimPosition:
        return cls(
            symbol=d["symbol"],
            side=int(d["side"]),
            setup=d["setup"],
            qty=int(d["qty"]),
            ref=float(d["ref"]),
            stop=float(d["stop"]),
            target=float(d["target"]),
            signal_time=_parse_ts(d["signal_time"]),
            client_order_id=d["client_order_id"],
            pending=bool(d["pending"]),
            entry_price=math.nan if d["entry_price"] is None else float(d["entry_price"]),
            entry_time=_parse_ts(d["entry_time"]) if d["entry_time"] else None,
            kill_exit=bool(d["kill_exit"]),
        )


def _parse_ts(s: str) -> datetime:
    return require_utc(datetime.fromisoformat(s.replace("Z", "+00:00")))


def _nan_to_none(a: NDArray[np.float64]) -> list[float | None]:
    return [None if math.isnan(x) else float(x) for x in a.tolist()]


def _none_to_nan(v: Sequence[float | None]) -> NDArray[np.float64]:
    return np.array([math.nan if x is None else float(x) for x in v], dtype=np.float64)


class Engine:
    """Per-bar STDEV engine over a fixed, alphabetically sorted set of symbols."""

    def __init__(self, config: StrategyConfig, symbols: Sequence[str]) -> None:
        syms = sorted({validate_symbol(s) for s in symbols})
        if len(syms) != len(symbols):
            raise ValueError(f"symbols contain duplicates: {list(symbols)}")
        if not syms:
            raise ValueError("symbols is empty")
        self.config = config
        self.symbols: tuple[str, ...] = tuple(syms)
        self._index = {s: i for i, s in enumerate(self.symbols)}
        n = len(syms)
        self.rolling = RollingStats(n, config.rolling_window)
        # per-symbol, per-session arrays
        self.state = np.zeros(n, dtype=np.int64)
        self.side = np.zeros(n, dtype=np.int64)
        self.since = np.zeros(n, dtype=np.int64)
        self.bar_idx = np.zeros(n, dtype=np.int64)
        self.trades_today = np.zeros(n, dtype=np.int64)
        self.close_pending: NDArray[np.bool_] = np.zeros(n, dtype=bool)
        self.htf = np.zeros(n, dtype=np.int64)
        self.atr_pct: NDArray[np.float64] = np.full(n, 50.0)
        self.atr5 = np.full(n, math.nan)
        self.atr5_warm: list[list[float]] = [[] for _ in range(n)]
        self.prev_close5 = np.full(n, math.nan)
        self.bucket_id = np.full(n, -1, dtype=np.int64)
        self.b_high = np.full(n, math.nan)
        self.b_low = np.full(n, math.nan)
        self.b_close = np.full(n, math.nan)
        self.last_close = np.full(n, math.nan)
        self.last_bar_min = np.full(n, -1, dtype=np.int64)
        # account
        self.starting_equity: Decimal = to_decimal(config.starting_equity)
        self.realized: Decimal = Decimal(0)
        self.realized_today: Decimal = Decimal(0)
        self.day_start_equity: Decimal = self.starting_equity
        self.kill = False
        self.positions: dict[int, SimPosition] = {}
        self.advices: list[Advice] = []
        self.session: Session | None = None
        self.last_minute: datetime | None = None
        self._mult_key: tuple[int, bool] | None = None
        self._k: NDArray[np.float64] = np.zeros((4, n))
        self._k_list: list[list[float]] = self._k.T.tolist()
        self._mults: list[ThresholdMultipliers] = [ThresholdMultipliers()] * n
        self._coid_prefix = ""
        self._session_iso = ""
        self._minute_iso = ""

    # ------------------------------------------------------------------ session
    @property
    def equity(self) -> Decimal:
        """Sizing equity: starting equity plus realized P/L."""
        return self.starting_equity + self.realized

    def begin_session(
        self,
        session: Session,
        snapshots: Mapping[str, Snapshot],
        seeds: Mapping[str, Sequence[float] | NDArray[np.float64]],
    ) -> None:
        """Reset the day's state, load each symbol's snapshot and seed its window."""
        if self.positions:
            raise RuntimeError("begin_session with open positions: call end_session first")
        self.session = session
        self._coid_prefix = f"stdev-{session.day:%Y%m%d}-"
        self._session_iso = session.day.isoformat()
        self.last_minute = None
        n = len(self.symbols)
        self.state[:] = IDLE
        self.side[:] = 0
        self.since[:] = 0
        self.bar_idx[:] = 0
        self.trades_today[:] = 0
        self.close_pending[:] = False
        self.bucket_id[:] = -1
        self.b_high[:] = math.nan
        self.b_low[:] = math.nan
        self.b_close[:] = math.nan
        self.last_close[:] = math.nan
        self.last_bar_min[:] = -1
        self.advices = []
        self._mult_key = None
        self.kill = False
        self.realized_today = Decimal(0)
        self.day_start_equity = self.equity
        for i, sym in enumerate(self.symbols):
            snap = snapshots.get(sym)
            if snap is None:
                self.htf[i], self.atr_pct[i], self.atr5[i] = 0, 50.0, math.nan
                self.atr5_warm[i] = []
                self.prev_close5[i] = math.nan
            else:
                self.htf[i] = _BIAS_SIGN[snap.htf_bias]
                self.atr_pct[i] = snap.atr_percentile
                self.atr5[i] = math.nan if snap.atr_5m is None else snap.atr_5m
                self.atr5_warm[i] = [] if snap.atr_5m is not None else list(snap.atr_5m_warmup)
                self.prev_close5[i] = math.nan if snap.last_close_5m is None else snap.last_close_5m
        self.rolling.reset_all([seeds.get(sym) for sym in self.symbols])
        assert n == len(self.atr5_warm)

    def add_advice(self, advice: Advice) -> None:
        """Record an analysis; it applies to bars that complete after ``advice.as_of``."""
        self.advices.append(advice)
        self.advices.sort(key=lambda a: a.as_of)
        self._mult_key = None

    # ------------------------------------------------------------------ thresholds
    def _effective(self, completes: datetime) -> None:
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
        if key == self._mult_key:
            return
        self._mult_key = key
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
        self._mults = mults
        arr = np.array([m.as_tuple() for m in mults], dtype=np.float64).T
        base_k = np.array(
            [cfg.mr_arm_z, cfg.mr_trigger_z, cfg.tc_arm_z, cfg.tc_trigger_z], dtype=np.float64
        )
        self._k = base_k[:, None] * arr
        self._k_list = self._k.T.tolist()

    # ------------------------------------------------------------------ the step
    def step(
        self,
        minute: datetime,
        bars: MinuteBars,
        validator: TradeValidatorPort | None = None,
    ) -> StepResult:
        """Process one minute's complete bars (NaN rows = no bar for that symbol)."""
        sess = self.session
        if sess is None:
            raise RuntimeError("step before begin_session")
        if self.last_minute is not None and minute <= self.last_minute:
            raise ValueError(
                f"minute={iso_z(minute)} is not after the last processed minute "
                f"{iso_z(self.last_minute)}: bars must be stepped once, in order"
            )
        if not (sess.open <= minute < sess.close):
            raise ValueError(f"minute={iso_z(minute)} is outside the session {sess.day}")
        cfg = self.config
        res = StepResult()
        mi = int((minute - sess.open).total_seconds()) // 60
        in_window = sess.window_start <= minute < sess.window_end
        eod = minute >= sess.flatten
        has = ~np.isnan(bars.close)
        idx = np.flatnonzero(has)
        self.last_minute = minute
        self._minute_iso = ""  # formatted on the first signal of the minute (rare)
        if idx.size == 0:
            self._kill_switch_check(minute, res)
            return res

        # 1. broker -------------------------------------------------------------
        if self.positions:
            self._broker(minute, bars, has, eod, res)

        # 2. features -----------------------------------------------------------
        # every symbol has a bar (the usual minute): views instead of gather/scatter
        ix: NDArray[np.intp] | slice = slice(None) if idx.size == len(self.symbols) else idx
        close = bars.close[ix]
        self._atr_buckets(idx, bars, mi)
        self.rolling.update(idx, close)
        self.last_close[ix] = close
        self.last_bar_min[ix] = mi
        mean = self.rolling.mean[ix]
        sigma = self.rolling.sigma(idx)
        cnt = self.rolling.count[ix]
        zd = (cnt >= cfg.min_periods) & (sigma > cfg.sigma_epsilon * np.abs(mean))
        with np.errstate(invalid="ignore", divide="ignore"):
            z = np.where(zd, (close - mean) / np.where(zd, sigma, 1.0), np.nan)

        # 3. state machine ------------------------------------------------------
        self._effective(minute + _ONE_MIN)
        self.bar_idx[ix] += 1
        b = self.bar_idx[ix]
        st = self.state[ix]
        sd = self.side[ix]
        since = self.since[ix]
        kk = self._k[:, ix]
        k1, k3m, k2, k3t = kk[0], kk[1], kk[2], kk[3]
        absz = np.abs(z)
        n_to = cfg.arm_timeout_bars
        new_st = st.copy()
        new_sd = sd.copy()
        new_since = since.copy()
        reason = np.zeros(idx.size, dtype=np.int64)

        m = (st == IN_POSITION) & self.close_pending[ix]
        new_st[m] = COOLDOWN
        new_since[m] = b[m]
        reason[m] = R_CLOSED
        self.close_pending[idx[m]] = False
        moved = m

        m = (st == COOLDOWN) & (b - since >= cfg.cooldown_bars)
        if m.any():
            done = self.trades_today[ix] >= cfg.max_trades_per_symbol
            new_st[m] = np.where(done[m], DONE, IDLE)
            reason[m] = R_COOLDOWN_END
            moved = moved | m

        armed = (st == MR_ARMED) | (st == TC_ARMED) | (st == TC_PULLBACK)
        if not in_window:
            m = armed & ~moved
            new_st[m] = IDLE
            reason[m] = R_WINDOW
            moved = moved | m
            allowed: NDArray[np.bool_] = np.zeros(idx.size, dtype=bool)
        elif self.kill:
            allowed = np.zeros(idx.size, dtype=bool)
        else:
            allowed = (self.atr_pct[ix] <= cfg.atr_percentile_cap) & (
                self.trades_today[ix] < cfg.max_trades_per_symbol
            )

        sgn = np.where(z > 0, 1, np.where(z < 0, -1, 0))
        htf = self.htf[ix]
        m = (
            ~moved
            & allowed
            & zd
            & ((st == IDLE) | (st == MR_ARMED))
            & (absz >= k2)
            & (htf != 0)
            & (sgn == htf)
        )
        if m.any():
            new_st[m] = TC_ARMED
            new_sd[m] = sgn[m]
            new_since[m] = b[m]
            reason[m] = R_ARM_TC
            moved = moved | m

        age = b - since
        sig_mr = np.zeros(idx.size, dtype=bool)
        sig_tc = np.zeros(idx.size, dtype=bool)
        mr = ~moved & (st == MR_ARMED)
        if mr.any():
            to = mr & (age > n_to)
            live = mr & ~to & zd
            ab = live & (absz >= cfg.mr_abort_z)
            live &= ~ab
            ov = live & (((sd < 0) & (z <= -k1)) | ((sd > 0) & (z >= k1)))
            live &= ~ov
            sig_mr = live & (((sd < 0) & (z <= k3m)) | ((sd > 0) & (z >= -k3m)))
            gone = to | ab | ov
            new_st[gone] = IDLE
            reason[to] = R_TIMEOUT
            reason[ab] = R_ABORT
            reason[ov] = R_OVERSHOOT
            moved = moved | gone
        tca = ~moved & (st == TC_ARMED)
        if tca.any():
            to = tca & (age > n_to)
            pb = tca & ~to & zd & (sd * z <= k3t)
            new_st[to] = IDLE
            reason[to] = R_TIMEOUT
            new_st[pb] = TC_PULLBACK
            new_since[pb] = b[pb]
            reason[pb] = R_PULLBACK
            moved = moved | to | pb
        tcp = ~moved & (st == TC_PULLBACK)
        if tcp.any():
            to = tcp & (age > n_to)
            live = tcp & ~to & zd
            brk = live & (sd * z < -k3t)
            sig_tc = live & ~brk & (sd * z > k3t)
            new_st[to | brk] = IDLE
            reason[to] = R_TIMEOUT
            reason[brk] = R_BROKEN
            moved = moved | to | brk
        m = ~moved & allowed & zd & (st == IDLE) & (absz >= k1) & (absz < cfg.mr_abort_z)
        if m.any():
            new_st[m] = MR_ARMED
            new_sd[m] = -sgn[m]
            new_since[m] = b[m]
            reason[m] = R_ARM_MR
            moved = moved | m

        # 4. signals -> orders (alphabetical: idx is sorted, symbols are sorted) ----
        why_rejected: dict[int, str] = {}
        sig = sig_mr | sig_tc
        if sig.any():
            js = np.flatnonzero(sig)
            srows = idx[js]
            equity = self.equity
            batch = size_batch(self.last_close[srows], self.atr5[srows], sd[js], float(equity), cfg)
            for n_, j in enumerate(js.tolist()):
                s = int(idx[j])
                setup = Setup.MR if sig_mr[j] else Setup.TC
                accepted, why = self._order(
                    s, setup, int(sd[j]), float(z[j]), minute, validator, res, batch, n_, equity
                )
                new_st[j] = IN_POSITION if accepted else COOLDOWN
                new_since[j] = b[j]
                reason[j] = R_SIGNAL
                if not accepted:
                    why_rejected[j] = f"rejected:{why}"
            moved = moved | sig

        # transitions (the live_loop_logs stream), built from array slices in one pass
        if moved.any():
            sel = np.flatnonzero(moved)
            syms = idx[sel].tolist()
            olds = st[sel].tolist()
            news = new_st[sel].tolist()
            zs = z[sel].tolist()
            whys = reason[sel].tolist()
            kl = self._k_list
            names = self.symbols
            for j, s_, o_, n_, z_, w_ in zip(sel.tolist(), syms, olds, news, zs, whys, strict=True):
                k = kl[s_]
                res.transitions.append(
                    TransitionRow(
                        minute,
                        names[s_],
                        _STATE_STR[o_],
                        _STATE_STR[n_],
                        None if math.isnan(z_) else z_,
                        k[0],
                        k[1],
                        k[2],
                        k[3],
                        why_rejected.get(j) or REASONS[w_],
                    )
                )
        self.state[ix] = new_st
        self.side[ix] = new_sd
        self.since[ix] = new_since

        # 5. account: daily loss kill switch ------------------------------------
        self._kill_switch_check(minute, res)
        return res

    # ------------------------------------------------------------------ features
    def _atr_buckets(self, idx: NDArray[np.intp], bars: MinuteBars, mi: int) -> None:
        """5-minute buckets from the open; a bucket completes after its last minute's bar,
        or (if that bar is missing) when a later bucket's first bar arrives."""
        bucket = mi // 5
        ix: NDArray[np.intp] | slice = slice(None) if idx.size == self.bucket_id.size else idx
        cur = self.bucket_id[ix]
        stale = (cur >= 0) & (cur != bucket)
        if stale.any():
            self._complete(idx[stale])
        h = bars.high[ix]
        lo = bars.low[ix]
        fresh = self.bucket_id[ix] != bucket
        self.b_high[ix] = np.where(fresh, h, np.fmax(self.b_high[ix], h))
        self.b_low[ix] = np.where(fresh, lo, np.fmin(self.b_low[ix], lo))
        self.b_close[ix] = bars.close[ix]
        self.bucket_id[ix] = bucket
        if mi % 5 == 4:
            self._complete(idx)

    def _complete(self, rows: NDArray[np.intp]) -> None:
        n = self.config.atr_period
        h = self.b_high[rows]
        lo = self.b_low[rows]
        pc = self.prev_close5[rows]
        tr = np.where(
            np.isnan(pc),
            h - lo,
            np.maximum(h - lo, np.maximum(np.abs(h - pc), np.abs(lo - pc))),
        )
        atr = self.atr5[rows]
        ok = ~np.isnan(atr)
        self.atr5[rows[ok]] = ((n - 1) * atr[ok] + tr[ok]) / n
        for j in np.flatnonzero(~ok).tolist():
            r = int(rows[j])
            warm = self.atr5_warm[r]
            warm.append(float(tr[j]))
            if len(warm) >= n:
                self.atr5[r] = float(np.mean(np.asarray(warm[:n])))
                for extra in warm[n:]:
                    self.atr5[r] = wilder_step(float(self.atr5[r]), extra, n)
                self.atr5_warm[r] = []
        self.prev_close5[rows] = self.b_close[rows]
        self.bucket_id[rows] = -1

    # ------------------------------------------------------------------ broker
    def _broker(
        self,
        minute: datetime,
        bars: MinuteBars,
        has: NDArray[np.bool_],
        eod: bool,
        res: StepResult,
    ) -> None:
        for s in sorted(self.positions):
            if not has[s]:
                continue
            pos = self.positions[s]
            o = float(bars.open[s])
            if pos.kill_exit:
                self._exit(s, pos, o, minute, ExitReason.KILL_SWITCH, res)
                continue
            if eod:
                if pos.pending:
                    self._cancel(s, pos, res)
                else:
                    self._exit(s, pos, o, minute, ExitReason.EOD, res)
                continue
            if pos.pending:
                px = entry_fill_price(o, pos.side, self.config.slippage_bps)
                pos.pending = False
                pos.entry_price = px
                pos.entry_time = minute
                res.fills.append(
                    Fill(
                        client_order_id=pos.client_order_id,
                        symbol=pos.symbol,
                        side="buy" if pos.side > 0 else "sell",
                        qty=pos.qty,
                        price=to_decimal(px),
                        timestamp=minute,
                        leg="entry",
                    )
                )
            hit = exit_fill(
                pos.side, pos.stop, pos.target, o, float(bars.high[s]), float(bars.low[s])
            )
            if hit is not None:
                self._exit(s, pos, hit[0], minute, ExitReason(hit[1]), res)

    def _cancel(self, s: int, pos: SimPosition, res: StepResult) -> None:
        del self.positions[s]
        self.close_pending[s] = True
        res.cancelled.append(pos.client_order_id)

    def _exit(
        self,
        s: int,
        pos: SimPosition,
        price: float,
        minute: datetime,
        why: ExitReason,
        res: StepResult,
    ) -> None:
        assert pos.entry_time is not None
        entry = to_decimal(pos.entry_price)
        exit_px = to_decimal(price)
        commission = to_decimal(self.config.commission_per_share) * pos.qty * 2
        pnl = (exit_px - entry) * pos.qty * pos.side - commission
        self.realized += pnl
        self.realized_today += pnl
        del self.positions[s]
        self.close_pending[s] = True
        res.fills.append(
            Fill(
                client_order_id=pos.client_order_id,
                symbol=pos.symbol,
                side="sell" if pos.side > 0 else "buy",
                qty=pos.qty,
                price=exit_px,
                timestamp=minute,
                leg=why.value,
            )
        )
        res.trades.append(
            Trade(
                symbol=pos.symbol,
                setup=Setup(pos.setup),
                side=Side.LONG if pos.side > 0 else Side.SHORT,
                signal_time=pos.signal_time,
                entry_time=pos.entry_time,
                entry_price=entry,
                exit_time=minute,
                exit_price=exit_px,
                qty=pos.qty,
                exit_reason=why,
                pnl=pnl,
                client_order_id=pos.client_order_id,
                commission=commission,
            )
        )

    # ------------------------------------------------------------------ orders
    def _order(
        self,
        s: int,
        setup: Setup,
        side: int,
        z: float,
        minute: datetime,
        validator: TradeValidatorPort | None,
        res: StepResult,
        batch: BatchSizing,
        n: int,
        equity: Decimal,
    ) -> tuple[bool, str]:
        """Size, guard and (maybe) accept one signal; rejection reasons are checked in the
        spec's order: atr_undefined, size_zero, kill_switch, max_positions."""
        cfg = self.config
        sym = self.symbols[s]
        ref = float(self.last_close[s])
        atr = float(self.atr5[s])
        if batch.atr_ok[n]:
            committed = sum(
                p.qty * (p.ref if p.pending else p.entry_price) for p in self.positions.values()
            )
            qty = qty_with_buying_power(
                int(batch.by_risk[n]), int(batch.by_size[n]), ref, float(equity), committed, cfg
            )
            r_ps: float | None = float(batch.risk_per_share[n])
            stop: float | None = float(batch.stop[n])
            target: float | None = float(batch.target[n])
            reject = "" if qty > 0 else "size_zero"
        else:
            qty, r_ps, stop, target, reject = 0, None, None, None, "atr_undefined"
        if not reject and self.kill:
            reject = "kill_switch"
        if not reject and len(self.positions) >= cfg.max_open_positions:
            reject = "max_positions"
        side_e = Side.LONG if side > 0 else Side.SHORT
        if not self._minute_iso:
            self._minute_iso = iso_z(minute)
        coid = f"{self._coid_prefix}{sym}-{setup.value}-{side_e.value}-{self._minute_iso}"
        k = self._k_list[s]
        mult = self._mults[s]
        signal = SignalRecord(
            minute,
            sym,
            setup,
            side_e,
            "accepted",
            "",
            z,
            ref,
            None if math.isnan(atr) else atr,
            r_ps,
            stop,
            target,
            qty,
            equity,
            k[0],
            k[1],
            k[2],
            k[3],
            mult.mr_arm,
            mult.mr_trigger,
            mult.tc_arm,
            mult.tc_trigger,
            coid,
        )
        if not reject and validator is not None and cfg.validation_enabled:
            verdict = validator.validate(signal.to_model(), self.market_view(minute + _ONE_MIN))
            if verdict is None:
                verdict = cfg.validation_failure_policy == "allow"
            if not verdict:
                reject = "llm_rejected"
        if reject:
            res.signals.append(signal._replace(status="rejected", reject_reason=reject))
            return False, reject
        res.signals.append(signal)
        assert stop is not None and target is not None
        self.positions[s] = SimPosition(
            symbol=sym,
            side=side,
            setup=setup.value,
            qty=qty,
            ref=ref,
            stop=stop,
            target=target,
            signal_time=minute,
            client_order_id=coid,
        )
        self.trades_today[s] += 1
        res.plans.append(
            TradePlan(
                client_order_id=coid,
                symbol=sym,
                side=side_e,
                setup=setup,
                qty=qty,
                ref_price=ref,
                stop_price=stop,
                target_price=target,
                signal_time=minute,
                session_date=self._session_iso,
            )
        )
        return True, ""

    def _kill_switch_check(self, minute: datetime, res: StepResult) -> None:
        if self.kill:
            return
        unreal = 0.0
        fee = self.config.commission_per_share
        for s, p in self.positions.items():
            if not p.pending:
                # marked at the latest close, less the entry commission already paid
                unreal += (float(self.last_close[s]) - p.entry_price) * p.qty * p.side
                unreal -= fee * p.qty
        day_pnl = float(self.realized_today) + unreal
        limit = float(self.day_start_equity) * self.config.daily_loss_limit_pct / 100.0
        if -day_pnl >= limit:
            self.kill = True
            for s in sorted(self.positions):
                p = self.positions[s]
                if p.pending:
                    self._cancel(s, p, res)
                else:
                    p.kill_exit = True

    # ------------------------------------------------------------------ end of day
    def end_session(self) -> StepResult:
        """Close the session: positions whose symbol had no bar at or after the flatten
        time exit at that symbol's last close (``eod``); unfilled entries are cancelled."""
        sess = self.session
        res = StepResult()
        if sess is None:
            return res
        for s in sorted(self.positions):
            pos = self.positions[s]
            if pos.pending:
                self._cancel(s, pos, res)
                continue
            t = sess.open + timedelta(minutes=int(self.last_bar_min[s]))
            self._exit(s, pos, float(self.last_close[s]), t, ExitReason.EOD, res)
        self.session = None
        return res

    # ------------------------------------------------------------------ views
    def open_positions(self) -> list[Position]:
        out = []
        for s in sorted(self.positions):
            p = self.positions[s]
            if p.pending or p.entry_time is None:
                continue
            out.append(
                Position(
                    symbol=p.symbol,
                    side=Side.LONG if p.side > 0 else Side.SHORT,
                    qty=p.qty,
                    entry_price=to_decimal(p.entry_price),
                    entry_time=p.entry_time,
                    stop_price=p.stop,
                    target_price=p.target,
                    client_order_id=p.client_order_id,
                    setup=Setup(p.setup),
                    mark_price=None
                    if math.isnan(self.last_close[s])
                    else to_decimal(float(self.last_close[s])),
                )
            )
        return out

    def z_scores(self) -> NDArray[np.float64]:
        """Current z of every symbol's latest close (NaN where undefined)."""
        cfg = self.config
        allidx = np.arange(len(self.symbols))
        sigma = self.rolling.sigma(allidx)
        mean = self.rolling.mean
        ok = (
            (self.rolling.count >= cfg.min_periods)
            & (sigma > cfg.sigma_epsilon * np.abs(mean))
            & ~np.isnan(self.last_close)
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(ok, (self.last_close - mean) / np.where(ok, sigma, 1.0), np.nan)

    def market_view(
        self,
        as_of: datetime,
        daily_bias: Mapping[str, tuple[str, float]] | None = None,
        news_summary: str = "",
        vix: float | None = None,
    ) -> MarketView:
        """What an analyst may know at ``as_of``: features of bars complete by then.

        The interval's price action uses the window's closes (return, high and low of the
        closes over the last analysis interval)."""
        zs = self.z_scores()
        sig = self.rolling.sigma(np.arange(len(self.symbols)))
        views = []
        k = self.config.analysis_interval_minutes
        for i, sym in enumerate(self.symbols):
            last = float(self.last_close[i])
            w = self.rolling.window_values(i)
            ret = hi = lo = None
            if not math.isnan(last) and w.size > 1:
                tail = w[-(k + 1) :]
                ret = float((tail[-1] / tail[0] - 1.0) * 100.0)
                hi, lo = float(tail.max()), float(tail.min())
            bias = (daily_bias or {}).get(sym)
            views.append(
                SymbolView(
                    symbol=sym,
                    last_close=None if math.isnan(last) else last,
                    z=None if math.isnan(zs[i]) else float(zs[i]),
                    mu=float(self.rolling.mean[i]) if self.rolling.count[i] else None,
                    sigma=float(sig[i]) if self.rolling.count[i] else None,
                    atr_5m=None if math.isnan(self.atr5[i]) else float(self.atr5[i]),
                    state=STATE_NAMES[int(self.state[i])],
                    htf_bias={1: "bullish", -1: "bearish", 0: "neutral"}[int(self.htf[i])],
                    atr_percentile=float(self.atr_pct[i]),
                    daily_bias=bias[0] if bias else None,
                    daily_bias_confidence=bias[1] if bias else None,
                    interval_return_pct=ret,
                    interval_high=hi,
                    interval_low=lo,
                    trades_today=int(self.trades_today[i]),
                )
            )
        sess = self.session
        return MarketView(
            as_of=as_of,
            session_date=sess.day.isoformat() if sess else "",
            symbols=views,
            news_summary=news_summary,
            vix=vix,
            open_positions=len(self.positions),
            realized_pnl_today=self.realized_today,
        )

    # ------------------------------------------------------------------ state
    def to_state(self) -> dict[str, Any]:
        """JSON-safe snapshot of everything; ``from_state`` continues bit for bit."""
        sess = self.session
        return {
            "version": STATE_VERSION,
            "config": self.config.model_dump(mode="json"),
            "symbols": list(self.symbols),
            "rolling": self.rolling.to_state(),
            "state": self.state.tolist(),
            "side": self.side.tolist(),
            "since": self.since.tolist(),
            "bar_idx": self.bar_idx.tolist(),
            "trades_today": self.trades_today.tolist(),
            "close_pending": self.close_pending.tolist(),
            "htf": self.htf.tolist(),
            "atr_pct": self.atr_pct.tolist(),
            "atr5": _nan_to_none(self.atr5),
            "atr5_warm": [list(w) for w in self.atr5_warm],
            "prev_close5": _nan_to_none(self.prev_close5),
            "bucket_id": self.bucket_id.tolist(),
            "b_high": _nan_to_none(self.b_high),
            "b_low": _nan_to_none(self.b_low),
            "b_close": _nan_to_none(self.b_close),
            "last_close": _nan_to_none(self.last_close),
            "last_bar_min": self.last_bar_min.tolist(),
            "starting_equity": str(self.starting_equity),
            "realized": str(self.realized),
            "realized_today": str(self.realized_today),
            "day_start_equity": str(self.day_start_equity),
            "kill": self.kill,
            "positions": [
                {"index": s, **self.positions[s].to_dict()} for s in sorted(self.positions)
            ],
            "advices": [a.model_dump(mode="json") for a in self.advices],
            "session_day": sess.day.isoformat() if sess else None,
            "last_minute": iso_z(self.last_minute) if self.last_minute else None,
        }

    @classmethod
    def from_state(cls, data: Mapping[str, Any]) -> Engine:
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"engine state version={data.get('version')!r} is not supported")
        cfg = StrategyConfig.model_validate(data["config"])
        eng = cls(cfg, data["symbols"])
        eng.rolling = RollingStats.from_state(data["rolling"])
        for name in (
            "state",
            "side",
            "since",
            "bar_idx",
            "trades_today",
            "htf",
            "bucket_id",
            "last_bar_min",
        ):
            setattr(eng, name, np.asarray(data[name], dtype=np.int64))
        eng.close_pending = np.asarray(data["close_pending"], dtype=bool)
        eng.atr_pct = np.asarray(data["atr_pct"], dtype=np.float64)
        for name in ("atr5", "prev_close5", "b_high", "b_low", "b_close", "last_close"):
            setattr(eng, name, _none_to_nan(data[name]))
        eng.atr5_warm = [list(map(float, w)) for w in data["atr5_warm"]]
        eng.starting_equity = Decimal(data["starting_equity"])
        eng.realized = Decimal(data["realized"])
        eng.realized_today = Decimal(data["realized_today"])
        eng.day_start_equity = Decimal(data["day_start_equity"])
        eng.kill = bool(data["kill"])
        eng.positions = {int(p["index"]): SimPosition.from_dict(p) for p in data["positions"]}
        eng.advices = [Advice.model_validate(a) for a in data["advices"]]
        if data["session_day"]:
            eng.session = session_for_config(date.fromisoformat(data["session_day"]), cfg)
            eng._coid_prefix = f"stdev-{eng.session.day:%Y%m%d}-"
            eng._session_iso = eng.session.day.isoformat()
        eng.last_minute = _parse_ts(data["last_minute"]) if data["last_minute"] else None
        return eng


R_CLOSED, R_COOLDOWN_END, R_WINDOW, R_ARM_TC, R_TIMEOUT, R_ABORT = 1, 2, 3, 4, 5, 6
R_OVERSHOOT, R_PULLBACK, R_BROKEN, R_ARM_MR, R_SIGNAL, R_REJECTED = 7, 8, 9, 10, 11, 12
REASONS = (
    "",
    "position_closed",
    "cooldown_expired",
    "window_reset",
    "arm_tc",
    "timeout",
    "abort",
    "overshoot",
    "pullback",
    "trend_broken",
    "arm_mr",
    "signal",
    "rejected",
)


def session_for_config(day: date, cfg: StrategyConfig) -> Session:
    """The session on ``day`` with this config's window and flatten times placed on it."""
    return make_session(
        day, cfg.trading_window_start, cfg.trading_window_end, cfg.end_of_day_close_time
    )


__all__ = [
    "STATE_NAMES",
    "Engine",
    "SignalRecord",
    "SimPosition",
    "StepResult",
    "TransitionRow",
    "client_order_id",
    "iso_z",
    "session_for_config",
    "true_range",
]
