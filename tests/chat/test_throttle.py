"""The per-client token bucket (time from an injected monotonic function)."""

from __future__ import annotations

from llm_advisor.chat.throttle import TokenBucket


def test_a_burst_then_the_steady_rate_per_client() -> None:
    now = [0.0]
    bucket = TokenBucket(rate_per_minute=6, burst=2, now=lambda: now[0])
    assert bucket.allow("a") == 0 and bucket.allow("a") == 0
    assert bucket.allow("a") == 10.0  # one token per 10 s
    assert bucket.allow("b") == 0  # another client has its own bucket
    now[0] = 10.0
    assert bucket.allow("a") == 0
    assert bucket.allow("a") > 0
