"""A second, deliberately naive implementation of ``spec/strategy.md`` (v1.1).

It exists only for differential testing of the fast engine: it was written from the spec's
sentences without reading the engine, features, execution or replay code, so a misreading
in either implementation shows up as a difference between the two outputs. Everything is
scalar Python, one symbol at a time inside each minute, recomputing statistics from scratch
(no incremental tricks), in the literal order of the spec. Speed is not a goal.

Choices where the spec is silent or ambiguous are numbered in ``tests/reference/NOTES.md``;
comments below cite them as ``[N#]``.
"""

# One branch per sentence of the spec, even where branches could be merged:
# ruff: noqa: SIM102, SIM114

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

import pandas as pd

from llm_advisor.core.calendar import NY, Session, is_session, make_session, sessions_between
from llm_advisor.core.config import StrategyConfig

TRADE_COLUMNS = (
    "symbol",
    "setup",
    "side",
    "signal_time",
    "entry_time",
    "entry_price",
    "exit_time",
    "exit_price",
    "qty",
    "exit_reason",
    "pnl",
)
SIGNAL_COLUMNS = (
    "signal_time",
    "symbol",
    "setup",
    "side",
    "status",
    "reject_reason",
    "z",
    "ref_price",
    "atr_5m",
    "risk_per_share",
    "stop_price",
    "target_price",
    "qty",
    "equity",
    "mr_arm_z",
    "mr_trigger_z",
    "tc_arm_z",
    "tc_trigger_z",
    "mult_mr_arm",
    "mult_mr_trigger",
    "mult_tc_arm",
    "mult_tc_trigger",
    "client_order_id",
)

Multipliers = Callable[[datetime], dict[str, tuple[float, float, float, float]]]

CENT = Decimal("0.01")
NOISE = Decimal("0.000001")  # a value within 1e-6 of a whole cent is that cent
ONE_MINUTE = timedelta(minutes=1)
FIVE_MINUTES = timedelta(minutes=5)
ONE_HOUR = timedelta(hours=1)
PERCENTILE_LOOKBACK = 252
PERCENTILE_MIN_VALUES = 20
TAG_SESSIONS = 5
TAG_NEEDED = 3

IDLE = "idle"
MR_ARMED = "mr_armed"
TC_ARMED = "tc_armed"
TC_PULLBACK = "tc_pullback"
IN_POSITION = "in_position"
COOLDOWN = "cooldown"
DONE = "done"
ARMED_STATES = (MR_ARMED, TC_ARMED, TC_PULLBACK)


# --------------------------------------------------------------------------- formatting


def iso(ts: datetime) -> str:
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def dec(x: float) -> Decimal:
    """Exact decimal of a float price as it was written (shortest repr)."""
    return Decimal(repr(float(x)))


def fmt_money(x: Decimal) -> str:
    """Plain decimal, no exponent, at least two decimals (``683.2`` -> ``683.20``) [N22]."""
    q = x.normalize()
    exp = q.as_tuple().exponent
    if isinstance(exp, int) and exp > -2:
        q = q.quantize(CENT)
    return format(q, "f")


def fmt_float(x: float | None) -> str:
    return "" if x is None else repr(float(x))


def round_cent(x: float, direction: str) -> Decimal:
    """Cent rounding after snapping float noise; ``direction`` is ``down`` or ``up``."""
    d = dec(x)
    nearest = d.quantize(CENT, rounding=ROUND_HALF_EVEN)
    if abs(d - nearest) <= NOISE:
        return nearest
    return d.quantize(CENT, rounding=ROUND_FLOOR if direction == "down" else ROUND_CEILING)


# --------------------------------------------------------------------------- statistics


def true_ranges(highs: list[float], lows: list[float], closes: list[float]) -> list[float]:
    """TR series; the first TR of a series is high - low."""
    out: list[float] = []
    for i in range(len(highs)):
        if i == 0:
            out.append(highs[i] - lows[i])
        else:
            pc = closes[i - 1]
            out.append(max(highs[i] - lows[i], abs(highs[i] - pc), abs(lows[i] - pc)))
    return out


def wilder_atr(trs: list[float], n: int) -> list[float]:
    """ATR values; the first (mean of the first n TRs) belongs to the n-th bar."""
    out: list[float] = []
    atr: float | None = None
    for i, tr in enumerate(trs):
        if i == n - 1:
            atr = sum(trs[:n]) / n
        elif i >= n:
            assert atr is not None
            atr = ((n - 1) * atr + tr) / n
        if atr is not None:
            out.append(atr)
    return out


def ema_slope(closes: list[float], span: int) -> float:
    """``(ema[-1] - ema[-5]) / (4 * close[-1])``; 0 with fewer than 5 closes."""
    if len(closes) < 5:
        return 0.0
    ema = pd.Series(closes, dtype="float64").ewm(span=span, adjust=False).mean().tolist()
    return float((ema[-1] - ema[-5]) / (4.0 * closes[-1]))


def hh_ll_tag(highs: list[float], lows: list[float]) -> str:
    h = highs[-TAG_SESSIONS:]
    lo = lows[-TAG_SESSIONS:]
    up = 0
    down = 0
    for i in range(1, len(h)):
        if h[i] > h[i - 1] and lo[i] > lo[i - 1]:
            up += 1
        if h[i] < h[i - 1] and lo[i] < lo[i - 1]:
            down += 1
    if up >= TAG_NEEDED:
        return "HH_HL"
    if down >= TAG_NEEDED:
        return "LL_LH"
    return "RANGE"


def atr_percentile(atrs: list[float]) -> float:
    if len(atrs) < PERCENTILE_MIN_VALUES:
        return 50.0
    last = atrs[-PERCENTILE_LOOKBACK:]
    latest = last[-1]
    return 100.0 * sum(1 for v in last if v <= latest) / len(last)


def htf_bias(slope_d: float, slope_h: float, tag: str) -> str:
    if slope_d > 0 and slope_h > 0 and tag != "LL_LH":
        return "bullish"
    if slope_d < 0 and slope_h < 0 and tag != "HH_HL":
        return "bearish"
    return "neutral"


def mean_std(values: list[float]) -> tuple[float, float]:
    """Exact-as-possible population mean and std, recomputed from scratch (two-pass fsum)."""
    n = len(values)
    mu = math.fsum(values) / n
    var = math.fsum((v - mu) * (v - mu) for v in values) / n
    return mu, math.sqrt(var)


# --------------------------------------------------------------------------- history


@dataclass
class History:
    """One symbol's file split into regular-session aggregates (keyed by session date)."""

    all_bars: pd.DataFrame
    regular: pd.DataFrame  # minute bars with columns session (date) and session_open
    daily: pd.DataFrame  # aggregated from regular minute bars, index = session date
    hourly: pd.DataFrame  # columns session, close (ordered)
    five: pd.DataFrame  # columns session, open, high, low, close (ordered)


def _session_info(day: date) -> tuple[datetime, datetime] | None:
    if not is_session(day):
        return None
    s = make_session(day)
    return s.open, s.close


def _buckets(regular: pd.DataFrame, width: timedelta) -> pd.DataFrame:
    offset: pd.Index = (regular.index - pd.DatetimeIndex(regular["session_open"])) // width
    frame = regular.assign(bucket=offset)
    g = frame.groupby(["session", "bucket"], sort=True)
    out = g.agg(
        open=("open", "first"),
        high=("high", "max"),
        low=("low", "min"),
        close=("close", "last"),
        volume=("volume", "sum"),
    )
    return out.reset_index()


def build_history(df: pd.DataFrame) -> History:
    if df.index.has_duplicates:
        dup = df.index[df.index.duplicated()][0]
        raise ValueError(f"duplicate bar timestamp {iso(dup)}: refused, not merged")
    df = df.sort_index()
    ny_days = [ts.date() for ts in pd.DatetimeIndex(df.index).tz_convert(NY)]
    info: dict[date, tuple[datetime, datetime] | None] = {}
    sess: list[date | None] = []
    opens: list[datetime | None] = []
    for ts, d in zip(df.index, ny_days, strict=True):
        if d not in info:
            info[d] = _session_info(d)
        oc = info[d]
        if oc is not None and oc[0] <= ts.to_pydatetime() < oc[1]:
            sess.append(d)
            opens.append(oc[0])
        else:
            sess.append(None)
            opens.append(None)
    mask = [s is not None for s in sess]
    regular = df[mask].copy()
    regular["session"] = [s for s in sess if s is not None]
    regular["session_open"] = pd.DatetimeIndex([o for o in opens if o is not None])
    daily = (
        regular.groupby("session", sort=True).agg(
            open=("open", "first"),
            high=("high", "max"),
            low=("low", "min"),
            close=("close", "last"),
            volume=("volume", "sum"),
        )
        if len(regular)
        else pd.DataFrame(columns=["open", "high", "low", "close", "volume"])
    )
    hourly = _buckets(regular, ONE_HOUR) if len(regular) else pd.DataFrame(columns=["session"])
    five = _buckets(regular, FIVE_MINUTES) if len(regular) else pd.DataFrame(columns=["session"])
    return History(all_bars=df, regular=regular, daily=daily, hourly=hourly, five=five)


@dataclass
class Snap:
    ema_slope_daily: float
    ema_slope_hourly: float
    tag: str
    atr_percentile: float
    bias: str
    atr_5m: float | None
    warm_trs: list[float]  # TRs of the 5-minute series while fewer than atr_period exist
    last_close_5m: float | None


def build_snapshot(
    config: StrategyConfig, hist: History, day: date, daily_file: pd.DataFrame | None
) -> Snap:
    """Premarket statistics from data strictly before session ``day``."""
    if daily_file is not None:  # [N3]
        d = daily_file[daily_file.index < pd.Timestamp(day)]
    else:
        d = hist.daily[[s < day for s in hist.daily.index]]
    d_high = [float(x) for x in d["high"].tolist()]
    d_low = [float(x) for x in d["low"].tolist()]
    d_close = [float(x) for x in d["close"].tolist()]
    slope_d = ema_slope(d_close, config.ema_span)
    tag = hh_ll_tag(d_high, d_low)
    atrs = wilder_atr(true_ranges(d_high, d_low, d_close), config.atr_period)
    pct = atr_percentile(atrs)

    if len(hist.hourly):
        h = hist.hourly[[s < day for s in hist.hourly["session"]]]
        h_close = [float(x) for x in h["close"].tolist()]
    else:
        h_close = []
    slope_h = ema_slope(h_close, config.ema_span)
    bias = htf_bias(slope_d, slope_h, tag)

    if len(hist.five):
        f = hist.five[[s < day for s in hist.five["session"]]].tail(config.band_bars_5m)
        f_high = [float(x) for x in f["high"].tolist()]
        f_low = [float(x) for x in f["low"].tolist()]
        f_close = [float(x) for x in f["close"].tolist()]
    else:
        f_high, f_low, f_close = [], [], []
    trs5 = true_ranges(f_high, f_low, f_close)  # [N4] first TR of the 120 is high - low
    atr5 = wilder_atr(trs5, config.atr_period)
    return Snap(
        ema_slope_daily=slope_d,
        ema_slope_hourly=slope_h,
        tag=tag,
        atr_percentile=pct,
        bias=bias,
        atr_5m=atr5[-1] if atr5 else None,
        warm_trs=[] if atr5 else trs5,
        last_close_5m=f_close[-1] if f_close else None,
    )


# --------------------------------------------------------------------------- live state


@dataclass
class Pending:
    setup: str
    side: str
    qty: int
    ref: float
    stop: Decimal
    target: Decimal
    signal_time: datetime
    coid: str


@dataclass
class Position:
    setup: str
    side: str
    qty: int
    entry_price: Decimal
    entry_time: datetime
    stop: Decimal
    target: Decimal
    signal_time: datetime
    coid: str
    kill: bool = False


@dataclass
class SymbolState:
    symbol: str
    snap: Snap
    window: deque[float]
    bar_index: int = -1
    state: str = IDLE
    side: str = ""
    since: int = 0  # bar index at which the current state was entered
    trades_today: int = 0
    atr: float | None = None
    warm_trs: list[float] = field(default_factory=list)
    prev_close_5m: float | None = None
    bucket: list[float] | None = None  # [index, high, low, close]
    last_close: float | None = None
    last_bar: tuple[datetime, float] | None = None  # (start, close) of latest bar
    position: Position | None = None
    pending: Pending | None = None


@dataclass
class Candidate:
    symbol: str
    setup: str
    side: str
    z: float
    ts: datetime
    close: float
    thresholds: tuple[float, float, float, float]
    mults: tuple[float, float, float, float]


def _clean_mults(
    config: StrategyConfig, raw: tuple[float, float, float, float] | None
) -> tuple[float, float, float, float]:
    if raw is None:
        return (1.0, 1.0, 1.0, 1.0)
    out: list[float] = []
    for v in raw:
        f = float(v)
        if not math.isfinite(f):
            f = 1.0
        out.append(min(config.multiplier_max, max(config.multiplier_min, f)))
    return (out[0], out[1], out[2], out[3])


class ReferenceReplay:
    """The whole replay: equity carried across sessions, outputs accumulated."""

    def __init__(
        self,
        config: StrategyConfig,
        bars: dict[str, pd.DataFrame],
        daily: dict[str, pd.DataFrame] | None,
        multipliers: Multipliers | None,
    ) -> None:
        self.c = config
        self.symbols = sorted(bars)
        self.hist = {s: build_history(bars[s]) for s in self.symbols}
        self.daily = daily or {}
        self.multipliers = multipliers
        self.equity = dec(config.starting_equity)
        self.trades: list[dict[str, str]] = []
        self.signals: list[dict[str, str]] = []

    # ------------------------------------------------------------------ session

    def run_session(self, day: date) -> None:
        c = self.c
        self.session: Session = make_session(
            day, c.trading_window_start, c.trading_window_end, c.end_of_day_close_time
        )
        self.day = day
        self.sod_equity = self.equity
        self.kill_active = False
        self.syms: dict[str, SymbolState] = {}
        by_minute: dict[datetime, dict[str, tuple[float, float, float, float]]] = {}
        for s in self.symbols:
            h = self.hist[s]
            snap = build_snapshot(c, h, day, self.daily.get(s))
            before = h.all_bars[h.all_bars.index < pd.Timestamp(self.session.open)]
            seeds = [float(x) for x in before["close"].tolist()[-c.rolling_window :]]
            st = SymbolState(symbol=s, snap=snap, window=deque(seeds, maxlen=c.rolling_window))
            st.atr = snap.atr_5m
            st.warm_trs = list(snap.warm_trs)
            st.prev_close_5m = snap.last_close_5m
            self.syms[s] = st
            today = h.regular[[d == day for d in h.regular["session"]]]
            for ts, o, hi, lo, cl in zip(
                today.index,
                today["open"].tolist(),
                today["high"].tolist(),
                today["low"].tolist(),
                today["close"].tolist(),
                strict=True,
            ):
                by_minute.setdefault(ts.to_pydatetime(), {})[s] = (
                    float(o),
                    float(hi),
                    float(lo),
                    float(cl),
                )
        for minute in sorted(by_minute):
            self.run_minute(minute, by_minute[minute])
        # EOD fallback [N13]: a position with no bar at/after the flatten time exits at the
        # close of its symbol's last bar; a pending entry that never filled is dropped.
        for s in self.symbols:
            st = self.syms[s]
            st.pending = None
            if st.position is not None:
                assert st.last_bar is not None
                ts, close = st.last_bar
                self.close_position(st, dec(close), ts, "eod")

    # ------------------------------------------------------------------ one minute

    def run_minute(self, ts: datetime, bars: dict[str, tuple[float, float, float, float]]) -> None:
        mults_raw = self.multipliers(ts + ONE_MINUTE) if self.multipliers else {}
        present = sorted(bars)
        # 1. broker
        for s in present:
            self.broker(self.syms[s], ts, *bars[s])
        # 2. features
        zs: dict[str, float | None] = {}
        for s in present:
            _o, h, lo, cl = bars[s]
            zs[s] = self.features(self.syms[s], ts, h, lo, cl)
        # 3. state machine
        candidates: list[Candidate] = []
        for s in present:
            m = _clean_mults(self.c, mults_raw.get(s))
            cand = self.state_machine(self.syms[s], ts, zs[s], bars[s][3], m)
            if cand is not None:
                candidates.append(cand)
        # 4. signals -> orders, alphabetical
        for cand in sorted(candidates, key=lambda x: x.symbol):
            self.place(cand)
        # kill switch, once per minute after step 4
        if not self.kill_active:
            self.check_kill_switch()

    # ------------------------------------------------------------------ broker

    def broker(
        self, st: SymbolState, ts: datetime, o: float, h: float, lo: float, _c: float
    ) -> None:
        if ts >= self.session.flatten:
            st.pending = None  # cancelled, no trade [N12]
            if st.position is not None:
                reason = "kill_switch" if st.position.kill else "eod"
                self.close_position(st, dec(o), ts, reason)
            return
        if st.pending is not None:
            p = st.pending
            bps = dec(self.c.slippage_bps) / Decimal(10000)
            factor = (Decimal(1) + bps) if p.side == "long" else (Decimal(1) - bps)
            st.position = Position(
                setup=p.setup,
                side=p.side,
                qty=p.qty,
                entry_price=dec(o) * factor,  # [N18] slipped entry is not rounded
                entry_time=ts,
                stop=p.stop,
                target=p.target,
                signal_time=p.signal_time,
                coid=p.coid,
            )
            st.pending = None
        pos = st.position
        if pos is None:
            return
        if pos.kill:  # [N11] the kill switch's market exit goes before the bracket
            self.close_position(st, dec(o), ts, "kill_switch")
            return
        stop = float(pos.stop)
        target = float(pos.target)
        if pos.side == "long":
            if o <= stop:
                self.close_position(st, dec(o), ts, "stop")
            elif lo <= stop:
                self.close_position(st, pos.stop, ts, "stop")
            elif h >= target:
                price = dec(o) if o >= target else pos.target
                self.close_position(st, price, ts, "target")
        else:
            if o >= stop:
                self.close_position(st, dec(o), ts, "stop")
            elif h >= stop:
                self.close_position(st, pos.stop, ts, "stop")
            elif lo <= target:
                price = dec(o) if o <= target else pos.target
                self.close_position(st, price, ts, "target")

    def close_position(self, st: SymbolState, price: Decimal, ts: datetime, reason: str) -> None:
        pos = st.position
        assert pos is not None
        comm = dec(self.c.commission_per_share) * pos.qty * 2
        if pos.side == "long":
            pnl = (price - pos.entry_price) * pos.qty - comm
        else:
            pnl = (pos.entry_price - price) * pos.qty - comm
        self.equity += pnl
        self.trades.append(
            {
                "symbol": st.symbol,
                "setup": pos.setup,
                "side": pos.side,
                "signal_time": iso(pos.signal_time),
                "entry_time": iso(pos.entry_time),
                "entry_price": fmt_money(pos.entry_price),
                "exit_time": iso(ts),
                "exit_price": fmt_money(price),
                "qty": str(pos.qty),
                "exit_reason": reason,
                "pnl": fmt_money(pnl),
            }
        )
        st.position = None

    # ------------------------------------------------------------------ features

    def complete_bucket(self, st: SymbolState) -> None:
        assert st.bucket is not None
        _, h, lo, cl = st.bucket
        pc = st.prev_close_5m
        tr = h - lo if pc is None else max(h - lo, abs(h - pc), abs(lo - pc))
        n = self.c.atr_period
        if st.atr is not None:
            st.atr = ((n - 1) * st.atr + tr) / n
        else:  # still warming up: the series is the snapshot's bars plus today's buckets
            st.warm_trs.append(tr)
            if len(st.warm_trs) == n:
                st.atr = sum(st.warm_trs) / n
        st.prev_close_5m = cl
        st.bucket = None

    def features(
        self, st: SymbolState, ts: datetime, h: float, lo: float, cl: float
    ) -> float | None:
        minute = self.session.minute_index(ts)
        idx = minute // 5
        # a later bucket's first bar completes the earlier bucket before its own features
        if st.bucket is not None and st.bucket[0] < idx:
            self.complete_bucket(st)
        if st.bucket is None:
            st.bucket = [float(idx), h, lo, cl]
        else:
            st.bucket[1] = max(st.bucket[1], h)
            st.bucket[2] = min(st.bucket[2], lo)
            st.bucket[3] = cl
        if minute % 5 == 4:
            self.complete_bucket(st)
        st.window.append(cl)
        st.bar_index += 1
        st.last_close = cl
        st.last_bar = (ts, cl)
        values = list(st.window)
        if len(values) < self.c.min_periods:
            return None
        mu, sigma = mean_std(values)
        if sigma <= self.c.sigma_epsilon * abs(mu):
            return None
        return (cl - mu) / sigma

    # ------------------------------------------------------------------ state machine

    def state_machine(
        self,
        st: SymbolState,
        ts: datetime,
        z: float | None,
        close: float,
        mults: tuple[float, float, float, float],
    ) -> Candidate | None:
        c = self.c
        i = st.bar_index
        k1 = c.mr_arm_z * mults[0]
        k3m = c.mr_trigger_z * mults[1]
        k2 = c.tc_arm_z * mults[2]
        k3t = c.tc_trigger_z * mults[3]
        n = c.arm_timeout_bars
        in_window = self.session.window_start <= ts < self.session.window_end
        allowed = (
            in_window
            and st.snap.atr_percentile <= c.atr_percentile_cap
            and st.trades_today < c.max_trades_per_symbol
            and not self.kill_active
        )

        def go(state: str, side: str = "") -> None:
            st.state = state
            st.side = side
            st.since = i

        def signal(setup: str) -> Candidate:
            return Candidate(
                symbol=st.symbol,
                setup=setup,
                side=st.side,
                z=float(z) if z is not None else math.nan,
                ts=ts,
                close=close,
                thresholds=(k1, k3m, k2, k3t),
                mults=mults,
            )

        # window reset: runs before timeouts and TC arming, also on undefined-z bars
        if not in_window and st.state in ARMED_STATES:
            go(IDLE)
            return None
        if st.state == IN_POSITION:
            if st.position is None and st.pending is None:
                go(COOLDOWN)
            return None
        if st.state == COOLDOWN:
            if i - st.since >= c.cooldown_bars:
                go(DONE if st.trades_today >= c.max_trades_per_symbol else IDLE)
            return None
        if st.state == DONE:
            return None
        if z is None:  # only timers act
            if st.state in ARMED_STATES and i - st.since > n:
                go(IDLE)
            return None
        # 2. TC arming
        if st.state in (IDLE, MR_ARMED) and allowed and abs(z) >= k2:
            if (z > 0 and st.snap.bias == "bullish") or (z < 0 and st.snap.bias == "bearish"):
                go(TC_ARMED, "long" if z > 0 else "short")
                return None
        # 3. mr_armed
        if st.state == MR_ARMED:
            if i - st.since > n:
                go(IDLE)
            elif abs(z) >= c.mr_abort_z:
                go(IDLE)
            elif (st.side == "short" and z <= -k1) or (st.side == "long" and z >= k1):
                go(IDLE)
            elif (st.side == "short" and z <= k3m) or (st.side == "long" and z >= -k3m):
                if in_window:
                    return signal("MR")
            return None
        # 4. tc_armed
        if st.state == TC_ARMED:
            if i - st.since > n:
                go(IDLE)
            elif (st.side == "long" and z <= k3t) or (st.side == "short" and z >= -k3t):
                go(TC_PULLBACK, st.side)
            return None
        # 5. tc_pullback
        if st.state == TC_PULLBACK:
            if i - st.since > n:
                go(IDLE)
            elif (st.side == "long" and z < -k3t) or (st.side == "short" and z > k3t):
                go(IDLE)
            elif (st.side == "long" and z > k3t) or (st.side == "short" and z < -k3t):
                if in_window:
                    return signal("TC")
            return None
        # 6. idle -> mr_armed
        if st.state == IDLE and allowed and k1 <= abs(z) < c.mr_abort_z:
            go(MR_ARMED, "short" if z > 0 else "long")
        return None

    # ------------------------------------------------------------------ orders

    def open_count(self) -> int:
        return sum(
            1 for st in self.syms.values() if st.position is not None or st.pending is not None
        )

    def committed_notional(self) -> Decimal:
        total = Decimal(0)
        for st in self.syms.values():
            if st.position is not None:
                total += st.position.entry_price * st.position.qty
            if st.pending is not None:
                total += dec(st.pending.ref) * st.pending.qty
        return total

    def place(self, cand: Candidate) -> None:
        c = self.c
        st = self.syms[cand.symbol]
        equity = self.equity
        atr = st.atr
        ref = cand.close
        coid = (
            f"stdev-{self.day.strftime('%Y%m%d')}-{cand.symbol}-{cand.setup}-{cand.side}-"
            f"{iso(cand.ts)}"
        )
        reason = ""
        risk: float | None = None
        stop: Decimal | None = None
        target: Decimal | None = None
        qty = 0
        if atr is None or atr <= 0:
            reason = "atr_undefined"
        else:
            risk = c.atr_multiplier_sl * atr
            if cand.side == "long":
                stop = round_cent(ref - risk, "down")
                target = round_cent(ref + c.min_rr_ratio * risk, "down")
            else:
                stop = round_cent(ref + risk, "up")
                target = round_cent(ref - c.min_rr_ratio * risk, "up")
            by_risk = math.floor(equity * dec(c.max_risk_per_trade) / 100 / dec(risk))
            by_cap = math.floor(equity * dec(c.max_position_pct) / 100 / dec(ref))
            power = dec(c.buying_power_multiplier) * equity - self.committed_notional()
            by_power = math.floor(power / dec(ref)) if power > 0 else 0
            qty = max(0, min(by_risk, by_cap, by_power))
            if qty <= 0:
                reason = "size_zero"
            elif self.kill_active:
                reason = "kill_switch"
            elif self.open_count() >= c.max_open_positions:
                reason = "max_positions"
        accepted = reason == ""
        self.signals.append(
            {
                "signal_time": iso(cand.ts),
                "symbol": cand.symbol,
                "setup": cand.setup,
                "side": cand.side,
                "status": "accepted" if accepted else "rejected",
                "reject_reason": reason,
                "z": repr(cand.z),
                "ref_price": fmt_money(dec(ref)),
                "atr_5m": fmt_float(atr),
                "risk_per_share": fmt_float(risk),
                "stop_price": "" if stop is None else fmt_money(stop),
                "target_price": "" if target is None else fmt_money(target),
                "qty": str(qty),
                "equity": fmt_money(equity),
                "mr_arm_z": repr(cand.thresholds[0]),
                "mr_trigger_z": repr(cand.thresholds[1]),
                "tc_arm_z": repr(cand.thresholds[2]),
                "tc_trigger_z": repr(cand.thresholds[3]),
                "mult_mr_arm": repr(cand.mults[0]),
                "mult_mr_trigger": repr(cand.mults[1]),
                "mult_tc_arm": repr(cand.mults[2]),
                "mult_tc_trigger": repr(cand.mults[3]),
                "client_order_id": coid,
            }
        )
        st.since = st.bar_index
        st.side = cand.side
        if accepted:
            assert stop is not None and target is not None
            st.pending = Pending(
                setup=cand.setup,
                side=cand.side,
                qty=qty,
                ref=ref,
                stop=stop,
                target=target,
                signal_time=cand.ts,
                coid=coid,
            )
            st.trades_today += 1
            st.state = IN_POSITION
        else:
            st.state = COOLDOWN  # a rejected signal starts cooldown at the signal bar

    # ------------------------------------------------------------------ kill switch

    def check_kill_switch(self) -> None:
        pnl = self.equity - self.sod_equity
        for st in self.syms.values():
            pos = st.position
            if pos is None:
                continue
            assert st.last_close is not None
            mark = dec(st.last_close)
            move = (mark - pos.entry_price) if pos.side == "long" else (pos.entry_price - mark)
            pnl += move * pos.qty - dec(self.c.commission_per_share) * pos.qty  # [N10]
        limit = self.sod_equity * dec(self.c.daily_loss_limit_pct) / 100
        if -pnl >= limit:
            self.kill_active = True
            for st in self.syms.values():
                st.pending = None
                if st.position is not None:
                    st.position.kill = True


def reference_replay(
    config: StrategyConfig,
    bars: dict[str, pd.DataFrame],
    start: date,
    end: date,
    daily: dict[str, pd.DataFrame] | None = None,
    multipliers: Multipliers | None = None,
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Replay every XNYS session in [start, end]; returns (trades rows, signals rows)."""
    rep = ReferenceReplay(config, bars, daily, multipliers)
    for day in sessions_between(start, end):
        rep.run_session(day)
    trades = sorted(rep.trades, key=lambda r: (r["entry_time"], r["symbol"]))
    return trades, rep.signals
