"""Guards around a paid, flaky, rate-limited remote call: retry, rate limit, breaker, budget.

All of them read time from an injected ``Clock`` and wait through an injected ``sleep`` so a
test can drive an hour of outage in microseconds. The budget fails *closed*: once today's
spend reaches the limit no call is made at all and the caller falls back to neutral.
"""

from __future__ import annotations

import threading
import time as _time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Protocol

from llm_advisor.core.calendar import NY
from llm_advisor.core.clock import Clock

Sleep = Callable[[float], None]


def real_sleep(seconds: float) -> None:
    """The production sleep (drivers wire it in; tests pass a recorder)."""
    if seconds > 0:
        _time.sleep(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff for throttling (429), 5xx, timeouts and connection errors."""

    max_retries: int = 2
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0

    def delay(self, attempt: int) -> float:
        """Delay before retry ``attempt`` (1-based)."""
        return float(min(self.max_delay_s, self.base_delay_s * (2 ** (attempt - 1))))


class RateLimiter:
    """Token bucket: at most ``rate_per_minute`` calls per minute, bursts up to ``burst``.

    ``reserve`` takes a token and returns how long the caller must wait before using it.
    """

    def __init__(self, clock: Clock, rate_per_minute: float = 30.0, burst: int = 5) -> None:
        if rate_per_minute <= 0 or burst < 1:
            raise ValueError(f"rate_per_minute={rate_per_minute}, burst={burst}: must be > 0, >= 1")
        self._clock = clock
        self._rate = rate_per_minute / 60.0
        self._burst = float(burst)
        self._tokens = float(burst)
        self._last: datetime | None = None
        self._lock = threading.Lock()

    def reserve(self) -> float:
        with self._lock:
            now = self._clock.now()
            if self._last is not None:
                elapsed = max(0.0, (now - self._last).total_seconds())
                self._tokens = min(self._burst, self._tokens + elapsed * self._rate)
            self._last = now
            self._tokens -= 1.0
            if self._tokens >= 0:
                return 0.0
            return -self._tokens / self._rate


class CircuitBreaker:
    """Stop calling a failing service for a while instead of paying timeouts every time.

    closed -> (``failure_threshold`` consecutive failures) -> open for ``cooldown`` ->
    half-open: one trial call; success closes, failure re-opens. A failure is any call that
    gave no usable answer (the gateway decides), not only a transport error: a model that
    keeps answering garbage costs as much as one that keeps timing out.
    """

    def __init__(
        self, clock: Clock, failure_threshold: int = 3, cooldown: timedelta = timedelta(minutes=5)
    ) -> None:
        self._clock = clock
        self.failure_threshold = failure_threshold
        self.cooldown = cooldown
        self._failures = 0
        self._opened_at: datetime | None = None
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._clock.now() - self._opened_at >= self.cooldown:
            return "half-open"
        return "open"

    @property
    def failures(self) -> int:
        """Consecutive failed calls since the last success (what the threshold counts)."""
        return self._failures

    def allow(self) -> bool:
        return self.state != "open"

    def success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None

    def failure(self) -> None:
        with self._lock:
            half_open = self._opened_at is not None
            self._failures += 1
            if half_open or self._failures >= self.failure_threshold:
                self._opened_at = self._clock.now()


class SpendQuery(Protocol):
    def spent_usd(self, day: date) -> Decimal: ...


class DailyBudget:
    """Daily LLM spend limit (New York calendar day of the wall clock), failing closed.

    Spend is counted from the calls this process made plus, when given, what the ledger
    already holds for the day (so a fresh Lambda container knows the morning's spend).
    """

    def __init__(
        self, clock: Clock, limit_usd: Decimal | float, ledger: SpendQuery | None = None
    ) -> None:
        self._clock = clock
        self.limit = Decimal(str(limit_usd))
        self._ledger = ledger
        self._day: date | None = None
        self._spent = Decimal(0)
        self._lock = threading.Lock()

    def _roll(self) -> date:
        today = self._clock.now().astimezone(NY).date()
        if today != self._day:
            # read the meter before switching days: if the read fails, the next call reads
            # it again instead of trusting a zero spend (the budget must not fail open)
            spent = self._ledger.spent_usd(today) if self._ledger is not None else Decimal(0)
            self._day, self._spent = today, spent
        return today

    @property
    def spent(self) -> Decimal:
        with self._lock:
            self._roll()
            return self._spent

    def allows(self) -> bool:
        with self._lock:
            self._roll()
            return self._spent < self.limit

    def charge(self, cost: Decimal) -> None:
        with self._lock:
            self._roll()
            self._spent += cost
