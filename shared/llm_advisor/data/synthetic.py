"""A deterministic synthetic market for the demo, tests and benchmarks (no data files needed).

The bars are built to exercise the strategy, not to forecast anything: each session of each
symbol is either *mean-reverting* (an Ornstein-Uhlenbeck excursion around a slowly wandering
level, so the 120-bar z-score swings past the arm thresholds and back) or *trending* (a
drift plus noise, so |z| stays high for the trend-continuation setups). On top: U-shaped
intraday volatility and volume, an opening gap bridged by sparse premarket bars, half days
and DST from the XNYS calendar, cent prices and integer volumes, and occasional empty
minutes for thin names (a minute without trades has no row, as in real feeds).

Determinism: one ``numpy`` Generator per (seed, symbol), so adding or removing a symbol never
changes another symbol's bars. All random numbers of a session are one row of a single
uniform draw of shape (sessions, K), so the first N sessions are identical whether N or more
sessions are asked for (history can be extended without changing the past). Normals come
from those uniforms by Box-Muller.

Everything is vectorized over (sessions x minutes) per symbol: 500 symbols x 20 sessions
take a few seconds on one core.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd

from llm_advisor.core.calendar import make_session, sessions_between

F64 = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

REGULAR_MINUTES = 390
PREMARKET_MINUTES = 330  # 04:00-09:29 New York
MINUTE_NS = 60_000_000_000


@dataclass(frozen=True, slots=True)
class SymbolProfile:
    """Per-symbol character: price level, daily volatility and liquidity."""

    symbol: str
    price: float
    daily_vol: float  # standard deviation of a session's log return
    minute_volume: float  # mean shares per regular-session minute
    missing_rate: float  # share of regular minutes without trades (thin names only)


_KNOWN: dict[str, tuple[float, float, float]] = {
    # symbol: (price, daily vol, mean volume per minute)
    "SPY": (600.0, 0.010, 120_000.0),
    "QQQ": (520.0, 0.013, 70_000.0),
    "IWM": (230.0, 0.015, 45_000.0),
    "NVDA": (180.0, 0.030, 400_000.0),
    "TSLA": (400.0, 0.038, 200_000.0),
}

THIN_VOLUME = 3_000.0


def _hash_u64(*parts: str | int) -> int:
    digest = hashlib.blake2b("|".join(str(p) for p in parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def symbol_profile(symbol: str) -> SymbolProfile:
    """Known ETFs/stocks get realistic levels; any other name gets a stable hashed profile."""
    if symbol in _KNOWN:
        price, vol, volume = _KNOWN[symbol]
        return SymbolProfile(symbol, price, vol, volume, 0.0)
    h = _hash_u64("profile", symbol)
    u1, u2, u3 = (((h >> s) & 0xFFFF) / 65535.0 for s in (0, 16, 32))
    price = float(np.exp(np.log(8.0) + u1 * (np.log(600.0) - np.log(8.0))))
    vol = 0.015 + 0.03 * u2
    volume = float(np.exp(np.log(800.0) + u3 * (np.log(150_000.0) - np.log(800.0))))
    missing = 0.03 * (1.0 - volume / THIN_VOLUME) + 0.01 if volume < THIN_VOLUME else 0.0
    return SymbolProfile(symbol, round(price, 2), vol, volume, missing)


def _normals(u: F64) -> F64:
    """Box-Muller over column pairs: an (S, 2n) uniform block gives (S, 2n) normals."""
    half = u.shape[1] // 2
    a = np.clip(u[:, :half], 1e-300, 1.0)
    b = u[:, half : 2 * half]
    r = np.sqrt(-2.0 * np.log(a))
    return np.concatenate([r * np.cos(2 * np.pi * b), r * np.sin(2 * np.pi * b)], axis=1)


class _Block:
    """Hands out consecutive columns of one (S, K) uniform draw."""

    def __init__(self, u: F64) -> None:
        self.u = u
        self.pos = 0

    def uniform(self, n: int) -> F64:
        out = self.u[:, self.pos : self.pos + n]
        self.pos += n
        return out

    def normal(self, n: int) -> F64:
        return _normals(self.uniform(n + (n % 2)))[:, :n]


_BLOCK_WIDTH = (
    16  # per-session scalars
    + 4 * REGULAR_MINUTES  # eps, slow walk, volume noise (normals) + spare
    + 3 * REGULAR_MINUTES  # wick high, wick low, missing (uniforms)
    + 2 * PREMARKET_MINUTES  # bridge and volume noise (normals)
    + 3 * PREMARKET_MINUTES  # presence, wick high, wick low (uniforms)
)


def _u_shape(t: F64, length: F64 | float, first: float, last: float) -> F64:
    """Intraday profile: high at the open, a trough at midday, a smaller rise into the close."""
    return 1.0 + first * np.exp(-t / 25.0) + last * np.exp(-(length - 1.0 - t) / 35.0)


_FULL_T = np.arange(REGULAR_MINUTES, dtype=np.float64)
_VOL_NORM = float(np.sqrt(np.mean(_u_shape(_FULL_T, float(REGULAR_MINUTES), 1.6, 0.7) ** 2)))
_VOLU_NORM = float(np.mean(_u_shape(_FULL_T, float(REGULAR_MINUTES), 2.5, 1.5)))


@dataclass(frozen=True, slots=True)
class _SessionGrid:
    days: list[date]
    open_ns: npt.NDArray[np.int64]  # UTC open of each session, ns since epoch
    length: npt.NDArray[np.int64]  # regular minutes (390, or 210 on half days)


class SyntheticMarket:
    """Seeded synthetic 1-minute bars on the real XNYS calendar."""

    MEAN_REVERTING = "mean_reverting"
    TRENDING = "trending"

    def __init__(self, seed: int = 7) -> None:
        self.seed = int(seed)

    # -- calendar ---------------------------------------------------------------------------

    @staticmethod
    def session_days(start: date, sessions: int) -> list[date]:
        """``sessions`` consecutive XNYS sessions starting at the first one on/after ``start``."""
        if sessions < 1:
            raise ValueError(f"sessions={sessions} must be at least 1")
        span = sessions * 2 + 10
        while True:
            try:
                days = sessions_between(start, start + timedelta(days=span))
            except ValueError:  # past the end of the exchange calendar (about a year ahead)
                days = _sessions_to_calendar_end(start, span)
                if len(days) < sessions:
                    raise ValueError(
                        f"start={start.isoformat()} sessions={sessions}: the XNYS calendar "
                        f"has only {len(days)} sessions from start on"
                    ) from None
            if len(days) >= sessions:
                return days[:sessions]
            span *= 2

    def _grid(self, start: date, sessions: int) -> _SessionGrid:
        days = self.session_days(start, sessions)
        opens: list[int] = []
        lengths: list[int] = []
        for d in days:
            s = make_session(d)
            opens.append(int(pd.Timestamp(s.open).value))
            lengths.append(s.minutes)
        return _SessionGrid(days, np.array(opens, dtype=np.int64), np.array(lengths))

    # -- generation -------------------------------------------------------------------------

    def _rng(self, symbol: str) -> np.random.Generator:
        return np.random.default_rng([self.seed & 0xFFFFFFFF, _hash_u64("bars", symbol)])

    def _regimes(self, scal: F64) -> BoolArray:
        return np.asarray(scal[:, 0] < 0.55, dtype=bool)  # True = mean-reverting

    def session_regimes(self, symbol: str, start: date, sessions: int) -> dict[date, str]:
        """Which regime each session of ``symbol`` was generated in (for tests and docs)."""
        grid = self._grid(start, sessions)
        scal = self._rng(symbol).random((sessions, _BLOCK_WIDTH))[:, :16]
        mr = self._regimes(scal)
        return {
            d: self.MEAN_REVERTING if m else self.TRENDING
            for d, m in zip(grid.days, mr, strict=True)
        }

    def minute_bars(
        self,
        symbols: Sequence[str],
        start: date,
        sessions: int,
        premarket: bool = True,
    ) -> dict[str, pd.DataFrame]:
        """1-minute bars per symbol, in the ``load_bar_file`` shape (UTC index, float OHLCV).

        Regular-session bars for every session, plus sparse 04:00-09:29 New York premarket
        bars when ``premarket`` is true (the engine seeds its rolling window from them).
        """
        grid = self._grid(start, sessions)
        return {sym: self._symbol_bars(sym, grid, premarket) for sym in symbols}

    def _symbol_bars(self, symbol: str, grid: _SessionGrid, premarket: bool) -> pd.DataFrame:
        prof = symbol_profile(symbol)
        n_sessions = len(grid.days)
        block = _Block(self._rng(symbol).random((n_sessions, _BLOCK_WIDTH)))
        scal = block.uniform(16)
        m = REGULAR_MINUTES
        t = np.broadcast_to(np.arange(m, dtype=np.float64), (n_sessions, m))
        length = grid.length.astype(np.float64)[:, None]
        live = t < length

        sigma_day = prof.daily_vol
        sigma_min = sigma_day / np.sqrt(m) * _u_shape(t, length, 1.6, 0.7) / _VOL_NORM

        # --- regimes -------------------------------------------------------------------
        mr = self._regimes(scal)[:, None]
        # Trend: drift of 0.6-1.6 daily sigmas over the day, either direction.
        sign = np.where(scal[:, 1] < 0.5, -1.0, 1.0)
        drift = (sign * (0.6 + scal[:, 2]) * sigma_day / m)[:, None]
        # Mean reversion: OU with a 8-30 minute half-life, plus a slow random walk.
        half_life = 8.0 + 22.0 * scal[:, 3]
        lam = (np.log(2.0) / half_life)[:, None]

        eps = block.normal(m) * sigma_min
        slow = block.normal(m) * sigma_min * 0.35
        trend_path = np.cumsum(np.where(live, eps * 0.85 + drift, 0.0), axis=1)
        # OU closed form x_t = sum_k e^{-lam (t-k)} e_k, as e^{-lam t} * cumsum(e^{lam k} e_k):
        # exact for the AR(1) recursion, vectorized, and safe because t < 390 keeps
        # e^{lam t} below ~1e15 (rounding error stays ~1e-16 of the OU's own scale).
        ou_eps = np.where(live, eps * 1.6, 0.0)
        ou = np.exp(-lam * t) * np.cumsum(np.exp(lam * t) * ou_eps, axis=1)
        mr_path = ou + np.cumsum(np.where(live, slow, 0.0), axis=1)
        rel = np.where(mr, mr_path, trend_path)  # log price relative to the session open

        # --- opening gaps and the price level across sessions --------------------------
        gap = _normals(scal[:, 4:6])[:, 0] * 0.35 * sigma_day
        jump = scal[:, 7] < 0.12
        gap = gap + np.where(jump, _normals(scal[:, 8:10])[:, 0] * 1.5 * sigma_day, 0.0)
        last_idx = grid.length - 1
        day_move = rel[np.arange(n_sessions), last_idx]
        prev_move = np.concatenate([[0.0], day_move[:-1]])
        log_open = np.log(prof.price) + np.cumsum(gap + prev_move)
        log_prev_close = log_open - gap

        log_close = log_open[:, None] + rel
        close = np.round(np.exp(log_close), 2)
        open_ = np.concatenate([np.round(np.exp(log_open), 2)[:, None], close[:, :-1]], axis=1)
        wick_scale = sigma_min * 0.5 * np.exp(log_close)
        wick_h = -np.log(np.clip(block.uniform(m), 1e-12, 1.0)) * wick_scale
        wick_l = -np.log(np.clip(block.uniform(m), 1e-12, 1.0)) * wick_scale
        high, low = _wicks(open_, close, wick_h, wick_l)

        vol_noise = block.normal(m)
        profile_v = _u_shape(t, length, 2.5, 1.5) / _VOLU_NORM
        move = np.abs(eps) / np.maximum(sigma_min, 1e-12)
        noise_v = np.exp(0.45 * vol_noise - 0.1) * (0.7 + 0.3 * move)
        volume = np.maximum(1.0, np.round(prof.minute_volume * profile_v * noise_v))
        present = live & ~((block.uniform(m) < prof.missing_rate) & (t > 0))

        reg_ts = grid.open_ns[:, None] + (t.astype(np.int64) * MINUTE_NS)
        parts = [(reg_ts, open_, high, low, close, volume, present)]

        if premarket:
            parts.insert(0, self._premarket(block, prof, grid, log_prev_close, log_open, sigma_day))
        else:
            # keep the block layout identical whether or not premarket is asked for
            block.uniform(2 * PREMARKET_MINUTES + 3 * PREMARKET_MINUTES)

        ts_all = np.concatenate([p[0] for p in parts], axis=1)
        mask = np.concatenate([p[6] for p in parts], axis=1)
        cols = {
            name: np.concatenate([p[i] for p in parts], axis=1)[mask]
            for i, name in enumerate(("open", "high", "low", "close", "volume"), start=1)
        }
        index = pd.DatetimeIndex(ts_all[mask].astype("datetime64[ns]"), name="timestamp")
        return pd.DataFrame(cols, index=index.tz_localize("UTC"))

    @staticmethod
    def _premarket(
        block: _Block,
        prof: SymbolProfile,
        grid: _SessionGrid,
        log_prev_close: F64,
        log_open: F64,
        sigma_day: float,
    ) -> tuple[npt.NDArray[np.int64], F64, F64, F64, F64, F64, BoolArray]:
        """Sparse bars on a Brownian bridge from the prior close to the gapped open."""
        n_sessions = len(grid.days)
        pm = PREMARKET_MINUTES
        k = np.broadcast_to(np.arange(1, pm + 1, dtype=np.float64), (n_sessions, pm))
        sigma = sigma_day / np.sqrt(REGULAR_MINUTES) * 0.4
        walk = np.cumsum(block.normal(pm) * sigma, axis=1)
        frac = k / (pm + 1)
        # pinned at both ends: the prior close before 04:00 and (almost) the open at 09:29
        bridge = walk - (k / pm) * walk[:, -1:]
        path = log_prev_close[:, None] + frac * (log_open - log_prev_close)[:, None] + bridge
        close = np.round(np.exp(path), 2)
        first = np.round(np.exp(log_prev_close), 2)[:, None]
        open_ = np.concatenate([first, close[:, :-1]], axis=1)
        vol_noise = block.normal(pm)
        presence = block.uniform(pm)
        wick_scale = sigma * 0.7 * np.exp(path)
        wick_h = -np.log(np.clip(block.uniform(pm), 1e-12, 1.0)) * wick_scale
        wick_l = -np.log(np.clip(block.uniform(pm), 1e-12, 1.0)) * wick_scale
        high, low = _wicks(open_, close, wick_h, wick_l)
        # denser towards the open: ~5% of minutes at 04:00, ~60% at 09:29 (liquid names)
        liquidity = min(1.0, prof.minute_volume / 20_000.0)
        p_bar = (0.05 + 0.55 * (k / pm) ** 3) * (0.3 + 0.7 * liquidity)
        present = presence < p_bar
        volume = np.maximum(
            1.0, np.round(prof.minute_volume * 0.02 * np.exp(0.8 * vol_noise) * (0.3 + k / pm))
        )
        ts = grid.open_ns[:, None] - ((pm + 1 - k).astype(np.int64) * MINUTE_NS)
        return ts, open_, high, low, close, volume, present


def _sessions_to_calendar_end(start: date, span: int) -> list[date]:
    """Sessions from ``start`` up to the calendar's last known date (binary search on span)."""
    lo, hi = -1, span  # sessions_between(start, start + lo) is known to work, hi fails
    best: list[date] = []
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            best_mid = sessions_between(start, start + timedelta(days=max(mid, 0)))
        except ValueError:
            hi = mid
        else:
            lo, best = mid, best_mid
    return best


def _wicks(open_: F64, close: F64, wick_h: F64, wick_l: F64) -> tuple[F64, F64]:
    """Cent-rounded high/low that always contain open and close, and stay above zero."""
    body_hi = np.maximum(open_, close)
    body_lo = np.minimum(open_, close)
    high = np.maximum(np.round(body_hi + wick_h, 2), body_hi)
    low = np.maximum(np.minimum(np.round(body_lo - wick_l, 2), body_lo), 0.01)
    return high, low


def daily_history(
    symbols: Sequence[str],
    before: date,
    sessions: int,
    seed: int = 7,
    anchors: dict[str, float] | None = None,
) -> dict[str, pd.DataFrame]:
    """``sessions`` daily bars per symbol for the XNYS sessions just before ``before``.

    Why: the bias model and the daily ATR percentile need about a year of daily bars, which
    minute bars cannot cheaply supply. Each series is a random walk at the symbol's daily
    volatility, built backwards from ``anchors[symbol]`` (the first minute bar's open, so
    the daily and minute histories join without a jump; default: the profile price).
    Indexed by naive session date, float OHLCV (the shape of a daily bar file).
    """
    if sessions < 1:
        raise ValueError(f"sessions={sessions} must be at least 1")
    span = timedelta(days=int(sessions * 1.5) + 15)
    days = sessions_between(before - span, before - timedelta(days=1))[-sessions:]
    idx = pd.DatetimeIndex([pd.Timestamp(d) for d in days], name="date")
    n = len(days)
    out: dict[str, pd.DataFrame] = {}
    for sym in symbols:
        prof = symbol_profile(sym)
        rng = np.random.default_rng([seed & 0xFFFFFFFF, _hash_u64("daily", sym)])
        u = rng.random((n, 8))
        z = _normals(u)
        vol = prof.daily_vol * (0.7 + 0.6 * u[:, 6])  # calm and busy stretches
        rets = z[:, 0] * vol + 0.0003
        gaps = z[:, 1] * vol * 0.25
        anchor = float((anchors or {}).get(sym, prof.price))
        # close[i] = open[i+1] / exp(gap[i+1]); open[i] = close[i] / exp(ret[i])
        close = np.empty(n)
        open_ = np.empty(n)
        nxt_open = anchor
        for i in range(n - 1, -1, -1):
            close[i] = nxt_open / np.exp(gaps[i])
            open_[i] = close[i] / np.exp(rets[i])
            nxt_open = open_[i]
        c2, o2 = np.round(close, 2), np.round(open_, 2)
        wick = np.abs(z[:, 2:4]) * vol[:, None] * c2[:, None] * 0.5
        high, low = _wicks(o2, c2, wick[:, 0], wick[:, 1])
        volume = np.round(prof.minute_volume * REGULAR_MINUTES * np.exp(0.3 * z[:, 4]))
        out[sym] = pd.DataFrame(
            {"open": o2, "high": high, "low": low, "close": c2, "volume": volume},
            index=idx,
        )
    return out
