"""A token bucket per client: how often one source may ask the chat.

A question costs database work and, with a model configured, money; the API is otherwise
read-only GETs that a cache absorbs. Deployed, API Gateway throttles the route (template
``MethodSettings``); this bucket does the same per source IP in the local server and inside
each Lambda container. Time comes from an injected monotonic function, never a clock read
in the logic, so tests step it by hand.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

MAX_CLIENTS = 10_000  # bounds the memory a flood of spoofed sources can take


@dataclass
class _Bucket:
    tokens: float
    at: float


class TokenBucket:
    def __init__(self, rate_per_minute: float, burst: int, now: Callable[[], float]) -> None:
        if rate_per_minute <= 0 or burst < 1:
            raise ValueError(f"rate_per_minute={rate_per_minute}, burst={burst}: must be > 0")
        self.rate = rate_per_minute / 60.0
        self.burst = float(burst)
        self._now = now
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> float:
        """0.0 when ``client`` may ask now (a token is taken), else seconds until it may."""
        with self._lock:
            t = self._now()
            b = self._buckets.get(client)
            if b is None:
                if len(self._buckets) >= MAX_CLIENTS:
                    self._buckets.clear()
                b = self._buckets[client] = _Bucket(self.burst, t)
            b.tokens = min(self.burst, b.tokens + (t - b.at) * self.rate)
            b.at = t
            if b.tokens >= 1.0:
                b.tokens -= 1.0
                return 0.0
            return (1.0 - b.tokens) / self.rate
