"""What every alpaca-py client gets from us: a timeout, a rate limiter, and sane retries.

alpaca-py's ``requests`` session has no timeout (a hung socket would hang the tick), retries
429/504 with a fixed 3 s sleep, and ignores a retry wait of 0 passed to its constructor, so
tests could not run it without sleeping. ``harden`` swaps in a session that applies a
timeout and takes a rate-limit token per HTTP request (pagination and SDK retries included),
and sets the retry policy on the client directly.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import requests

from llm_advisor.core.clock import Clock, SystemClock

FREE_PLAN_REQUESTS_PER_MINUTE = 200


class RateLimiter:
    """Sliding window: at most ``max_requests`` in any ``per_seconds`` window.

    The clock and the sleep are injected so tests advance time instead of waiting.
    """

    def __init__(
        self,
        max_requests: int = FREE_PLAN_REQUESTS_PER_MINUTE,
        per_seconds: float = 60.0,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_requests < 1:
            raise ValueError(f"max_requests={max_requests} must be >= 1")
        self.max_requests = max_requests
        self.window = timedelta(seconds=per_seconds)
        self.clock = clock or SystemClock()
        self.sleep = sleep
        self._sent: deque[Any] = deque()
        self._lock = threading.Lock()
        self.waited_seconds = 0.0

    def acquire(self) -> float:
        """Take one token, sleeping until the window has room; returns the seconds slept."""
        waited = 0.0
        with self._lock:
            while True:
                now = self.clock.now()
                while self._sent and self._sent[0] <= now - self.window:
                    self._sent.popleft()
                if len(self._sent) < self.max_requests:
                    self._sent.append(now)
                    self.waited_seconds += waited
                    return waited
                wait = (self._sent[0] + self.window - now).total_seconds()
                wait = max(wait, 0.001)
                self.sleep(wait)
                waited += wait


class GuardedSession(requests.Session):
    """A ``requests.Session`` with a default timeout and a rate-limit token per request."""

    def __init__(self, timeout: float, limiter: RateLimiter | None) -> None:
        super().__init__()
        self.default_timeout = timeout
        self.limiter = limiter

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        if self.limiter is not None:
            self.limiter.acquire()
        kwargs.setdefault("timeout", self.default_timeout)
        return super().request(method, url, *args, **kwargs)


def harden(
    client: Any,
    *,
    timeout: float = 10.0,
    limiter: RateLimiter | None = None,
    retry_attempts: int = 3,
    retry_wait_seconds: float = 3.0,
    retry_codes: tuple[int, ...] = (429, 504),
) -> Any:
    """Apply timeout, rate limit and retry policy to an alpaca-py REST client in place."""
    client._session = GuardedSession(timeout, limiter)
    client._retry = retry_attempts
    client._retry_wait = retry_wait_seconds
    client._retry_codes = list(retry_codes)
    return client
