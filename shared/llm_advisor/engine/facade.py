"""``Engine``: one pure step per minute for all symbols at once, a facade over the kernel.

``Engine.step`` performs the spec's "Order of work inside one bar" for every symbol with a
bar in that minute: (1) the simulated bracket book (``book``), (2) features (``atr``, the
rolling window), (3) the state machine (``machine``), (4) signals -> sizing (``sizing``) ->
risk guards -> orders, then the account's daily-loss kill switch. It reads no clock, no
file, no environment: replay, the local day and the live-tick Lambda all drive this same
object, and its whole state serializes to JSON and back exactly (``codec``).

Validation (``step(validate=True)``) stops the minute at each signal that passed every
guard (``StepResult.awaiting``); the driver asks its validator and calls ``resume``. The
engine never calls a validator, so the step stays pure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray

from llm_advisor.core.calendar import Session
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import (
    Advice,
    ExitReason,
    MarketView,
    Position,
    Snapshot,
    validate_symbol,
)
from llm_advisor.core.money import to_decimal
from llm_advisor.engine import atr, codec, views
from llm_advisor.engine import native as _native
from llm_advisor.engine.arrays import I64, SymbolArrays
from llm_advisor.engine.book import SimBook, SimPosition
from llm_advisor.engine.grid import MinuteBars
from llm_advisor.engine.ids import iso_z, order_prefix
from llm_advisor.engine.machine import Machine
from llm_advisor.engine.minute import OpenMinute, finish, next_candidate
from llm_advisor.engine.records import Candidate, StepResult
from llm_advisor.engine.sizing import SessionAccount
from llm_advisor.engine.states import BIAS_SIGN
from llm_advisor.engine.thresholds import Thresholds
from llm_advisor.features.rolling import RollingStats

_ONE_MIN = timedelta(minutes=1)


class Engine:
    """Per-bar STDEV engine over a fixed, alphabetically sorted set of symbols."""

    def __init__(
        self, config: StrategyConfig, symbols: Sequence[str], *, native: bool | None = None
    ) -> None:
        """``native``: step with the compiled kernel (``engine.native``, same results,
        faster); None uses it when it was built, False never, True requires it."""
        if native and not _native.AVAILABLE:
            raise RuntimeError(
                f"native=True but the engine's kernel is not built ({_native.LIBRARY}): "
                "run `make install` (it needs a C compiler)"
            )
        self.native = _native.AVAILABLE if native is None else native
        self._kernel: _native.Kernel | None = None
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
        self.arrays = SymbolArrays(n)
        self.atr5_warm: list[list[float]] = [[] for _ in range(n)]  # true ranges before an ATR
        self.book = SimBook(config, self.arrays.close_pending)
        self.thresholds = Thresholds(config, self.symbols)
        self.machine = Machine(config, n)
        # account
        self.starting_equity: Decimal = to_decimal(config.starting_equity)
        self.day_start_equity: Decimal = self.starting_equity
        # The broker's figures for this session (live drivers); None: replay's own equity.
        self.account: SessionAccount | None = None
        self.kill = False
        self.session: Session | None = None
        self.last_minute: datetime | None = None
        self.coid_prefix = ""
        self.session_iso = ""
        self.minute_iso = ""  # the open minute's time as ids write it (set on its 1st signal)
        self._open: OpenMinute | None = None  # a minute awaiting verdicts (``resume``)

    # ------------------------------------------------------------------ read-only names
    @property
    def state(self) -> I64:
        return self.arrays.state

    @property
    def side(self) -> I64:
        return self.arrays.side

    @property
    def last_close(self) -> NDArray[np.float64]:
        return self.arrays.last_close

    @property
    def last_bar_min(self) -> I64:
        return self.arrays.last_bar_min

    @property
    def positions(self) -> dict[int, SimPosition]:
        return self.book.positions

    @property
    def realized(self) -> Decimal:
        return self.book.realized

    @property
    def realized_today(self) -> Decimal:
        return self.book.realized_today

    @property
    def advices(self) -> list[Advice]:
        return self.thresholds.advices

    # ------------------------------------------------------------------ session
    @property
    def equity(self) -> Decimal:
        """Sizing equity: starting equity plus realized P/L, or, when a live driver gave the
        broker's account at ``begin_session``, its start-of-day equity plus today's P/L."""
        if self.account is not None:
            return self.account.sizing_equity(self.book.realized_today)
        return self.starting_equity + self.book.realized

    def set_session(self, session: Session) -> None:
        self.session = session
        self.coid_prefix = order_prefix(session.day)
        self.session_iso = session.day.isoformat()

    def begin_session(
        self,
        session: Session,
        snapshots: Mapping[str, Snapshot],
        seeds: Mapping[str, Sequence[float] | NDArray[np.float64]],
        account: SessionAccount | None = None,
    ) -> None:
        """Reset the day's state, load each symbol's snapshot and seed its window.

        ``account``: the broker's figures, read by the driver (the engine never calls a
        broker); sizing and the daily loss limit then start from them, not the simulation."""
        self._require_closed_minute("begin_session")
        if self.book.positions:
            raise RuntimeError("begin_session with open positions: call end_session first")
        self.set_session(session)
        self.last_minute = None
        a = self.arrays
        a.begin_session()
        self.thresholds.reset()
        self.kill = False
        self.book.realized_today = Decimal(0)
        self.account = account
        self.day_start_equity = self.equity
        for i, sym in enumerate(self.symbols):
            snap = snapshots.get(sym)
            if snap is None:
                a.htf[i], a.atr_pct[i], a.atr5[i] = 0, 50.0, math.nan
                self.atr5_warm[i] = []
                a.prev_close5[i] = math.nan
            else:
                a.htf[i] = BIAS_SIGN[snap.htf_bias]
                a.atr_pct[i] = snap.atr_percentile
                a.atr5[i] = math.nan if snap.atr_5m is None else snap.atr_5m
                self.atr5_warm[i] = [] if snap.atr_5m is not None else list(snap.atr_5m_warmup)
                a.prev_close5[i] = math.nan if snap.last_close_5m is None else snap.last_close_5m
        self.rolling.reset_all([seeds.get(sym) for sym in self.symbols])

    def add_advice(self, advice: Advice) -> None:
        """Record an analysis; it applies to bars that complete after ``advice.as_of``."""
        self.thresholds.add(advice)

    # ------------------------------------------------------------------ the step
    def step(
        self,
        minute: datetime,
        bars: MinuteBars,
        *,
        log_minutes: bool = False,
        validate: bool = False,
    ) -> StepResult:
        """Process one minute's complete bars (NaN rows = no bar for that symbol).

        ``log_minutes``: also return the minute's features (``StepResult.minutes``).
        ``validate``: stop at each signal that passed sizing and the risk guards with
        ``StepResult.awaiting`` set; the driver asks its validator and calls ``resume``
        until ``awaiting`` is None. Without ``validate`` a minute completes in this call."""
        sess = self.session
        if sess is None:
            raise RuntimeError("step before begin_session")
        if self._open is not None:
            raise RuntimeError("step while a minute awaits a verdict: resume it first")
        if self.last_minute is not None and minute <= self.last_minute:
            raise ValueError(
                f"minute={iso_z(minute)} is not after the last processed minute "
                f"{iso_z(self.last_minute)}: bars must be stepped once, in order"
            )
        if not (sess.open <= minute < sess.close):
            raise ValueError(f"minute={iso_z(minute)} is outside the session {sess.day}")
        cfg = self.config
        a = self.arrays
        res = StepResult()
        mi = int((minute - sess.open).total_seconds()) // 60
        in_window = sess.window_start <= minute < sess.window_end
        eod = minute >= sess.flatten
        has = ~np.isnan(bars.close)
        idx = np.flatnonzero(has)
        self.last_minute = minute
        self.minute_iso = ""  # formatted on the first signal of the minute (rare)
        if idx.size == 0:
            self._kill_switch_check(res)
            return res

        # 1. broker -------------------------------------------------------------
        if self.book.positions:
            self.book.on_bar(minute, bars, has, eod, res)

        # 2. features -----------------------------------------------------------
        # Full width, rows without a bar masked out: views cost less than gathering the
        # present rows, and most minutes some symbol lacks a bar.
        close = bars.close
        kern = _native.kernel_for(self) if self.native else None
        if kern is not None:
            _native.fold_atr(kern, self, bars, has, mi)
        else:
            atr.add_bars(a, self.atr5_warm, has, idx, bars, mi, cfg.atr_period)
        self.thresholds.effective(minute + _ONE_MIN)
        kk = self.thresholds.k
        roll = self.rolling
        due = roll.native_push() if kern is not None else None
        if kern is not None and due is not None:  # 2.+3. one native pass: window, z, machine
            mean, sigma, z, mv = _native.decide(kern, self, close, has, mi, in_window, due)
            moved = mv.moved  # moves and signals
        else:
            roll.push(has, close)
            np.copyto(a.last_close, close, where=has)
            np.copyto(a.last_bar_min, mi, where=has)
            mean = roll.mean
            sigma = roll.sigma_all()
            zd = sigma > cfg.sigma_epsilon * np.abs(mean)
            if not roll.all_full:
                zd &= roll.count >= cfg.min_periods
            z = np.full(close.size, np.nan)
            np.divide(close - mean, sigma, out=z, where=zd)  # NaN where undefined or no bar

            # 3. state machine --------------------------------------------------
            mv = self.machine.decide(a, has, z, self.thresholds, in_window, self.kill)
            moved = mv.moved | mv.sig_mr | mv.sig_tc if mv.any_signal else mv.moved

        # 4. signals -> orders (alphabetical: rows are sorted like the symbols) -----
        op = OpenMinute(
            minute, res, has, idx, mv.st, mv.new_st, mv.new_sd, mv.new_since, mv.reason,
            moved, z, mv.b, kk, close, mean, sigma, log_minutes, validate,
        )  # fmt: skip
        if not mv.any_signal:
            return self._finish(op)
        op.js = np.flatnonzero(mv.sig_mr | mv.sig_tc).tolist()
        op.sig_mr = mv.sig_mr
        op.sd = mv.sd
        op.equity = self.equity
        op.committed = self.book.committed_notional()
        acct = self.account
        if acct is not None and acct.buying_power is not None:
            op.broker_bp = float(acct.buying_power)
        self._open = op
        return self._orders(op)

    def resume(self, verdict: bool | None) -> StepResult:
        """Continue the open minute with the verdict on ``StepResult.awaiting``: True
        accepts, False rejects (``llm_rejected``, cooldown), None (the validator could not
        decide) follows ``validation_failure_policy``. Returns the next candidate or the
        completed minute, so later candidates see this one's outcome (positions, buying
        power, daily risk), exactly as without validation."""
        op = self._open
        if op is None or op.pending is None:
            raise RuntimeError("resume without a candidate awaiting a verdict")
        signal, op.pending, op.res.awaiting = op.pending, None, None
        if verdict is None:
            verdict = self.config.validation_failure_policy == "allow"
        op.decide(self, signal, "" if verdict else "llm_rejected")
        return self._orders(op)

    @property
    def awaiting(self) -> Candidate | None:
        """The open minute's candidate, or None when no minute is open."""
        return None if self._open is None else self._open.res.awaiting

    def _orders(self, op: OpenMinute) -> StepResult:
        if next_candidate(self, op):
            return op.res
        self._open = None
        return self._finish(op)

    def _finish(self, op: OpenMinute) -> StepResult:
        finish(self, op)
        # 5. account: daily loss kill switch ------------------------------------
        self._kill_switch_check(op.res)
        return op.res

    def _require_closed_minute(self, what: str) -> None:
        if self._open is not None:
            raise RuntimeError(
                f"{what} while minute {iso_z(self._open.minute)} awaits a verdict: "
                "resume it until StepResult.awaiting is None"
            )

    def _kill_switch_check(self, res: StepResult) -> None:
        """The spec's daily loss limit: once today's P/L (realized, plus filled positions
        marked at the latest close) reaches it, cancel entries and exit everything."""
        if self.kill:
            return
        day_pnl = float(self.book.realized_today) + self.book.unrealized(self.arrays.last_close)
        limit = float(self.day_start_equity) * self.config.daily_loss_limit_pct / 100.0
        if -day_pnl >= limit:
            self.kill = True
            self.book.kill_all(res)

    # ------------------------------------------------------------------ end of day
    def end_session(self) -> StepResult:
        """Close the session: positions whose symbol had no bar at or after the flatten
        time exit at that symbol's last close (``eod``); unfilled entries are cancelled."""
        self._require_closed_minute("end_session")
        sess = self.session
        res = StepResult()
        if sess is None:
            return res
        book, a = self.book, self.arrays
        for s in sorted(book.positions):
            pos = book.positions[s]
            if pos.pending:
                book.cancel(s, pos, res)
                continue
            t = sess.open + timedelta(minutes=int(a.last_bar_min[s]))
            book.exit(s, pos, float(a.last_close[s]), t, ExitReason.EOD, res)
        self.session = None
        return res

    # ------------------------------------------------------------------ views
    def open_positions(self) -> list[Position]:
        return views.open_positions(self.book, self.arrays)

    def z_scores(self) -> NDArray[np.float64]:
        """Current z of every symbol's latest close (NaN where undefined)."""
        return views.z_scores(self.rolling, self.arrays, self.config)

    def market_view(
        self,
        as_of: datetime,
        daily_bias: Mapping[str, tuple[str, float]] | None = None,
        news_summary: str = "",
        vix: float | None = None,
    ) -> MarketView:
        """What an analyst may know at ``as_of``: features of bars complete by then."""
        sess = self.session
        return views.market_view(
            self.symbols, self.rolling, self.arrays, self.config,
            as_of=as_of, session_date=sess.day.isoformat() if sess else "",
            open_count=len(self.book.positions), realized_today=self.book.realized_today,
            daily_bias=daily_bias, news_summary=news_summary, vix=vix,
        )  # fmt: skip

    # ------------------------------------------------------------------ state
    def to_state(self) -> dict[str, Any]:
        """JSON-safe snapshot of everything; ``from_state`` continues bit for bit.

        Only between minutes: a minute awaiting verdicts has half-decided orders that exist
        nowhere else, so saving it would lose or repeat them."""
        self._require_closed_minute("to_state")
        return codec.encode(self)

    @classmethod
    def from_state(cls, data: Mapping[str, Any]) -> Engine:
        eng = cls(codec.check_version(data), data["symbols"])
        codec.decode(eng, data)
        return eng
