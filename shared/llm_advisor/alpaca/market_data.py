"""Market data from Alpaca (alpaca-py ``StockHistoricalDataClient``) in the project's format.

Frames have a UTC ``timestamp`` index (bar start) and ``open, high, low, close, volume``;
a minute with no trades has no row and none is invented. For the tick,
``latest_complete_bars`` never returns the minute still in progress: a bar is complete one
minute after its start, and the caller passes ``now`` explicitly (the logic reads no clock).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from llm_advisor.alpaca.bar_cache import COLUMNS, BarCache, day_bounds, empty_frame, ny_days
from llm_advisor.alpaca.http import RateLimiter, harden
from llm_advisor.alpaca.keys import AlpacaKeys
from llm_advisor.core.clock import Clock, SystemClock, require_utc
from llm_advisor.core.errors import ConfigError, DataError
from llm_advisor.core.models import Bar
from llm_advisor.core.ports import Timeframe

TIMEFRAMES: dict[str, timedelta] = {
    "1Min": timedelta(minutes=1),
    "5Min": timedelta(minutes=5),
    "1Hour": timedelta(hours=1),
    "1Day": timedelta(days=1),
}
FEEDS = ("iex", "sip")


def _timeframe(tf: str) -> Any:
    from alpaca.data.timeframe import TimeFrame, TimeFrameUnit

    units = {
        "1Min": (1, TimeFrameUnit.Minute),
        "5Min": (5, TimeFrameUnit.Minute),
        "1Hour": (1, TimeFrameUnit.Hour),
        "1Day": (1, TimeFrameUnit.Day),
    }
    if tf not in units:
        raise ConfigError(f"timeframe={tf!r} is not supported; use one of {', '.join(units)}")
    amount, unit = units[tf]
    return TimeFrame(amount, unit)


def bars_to_frame(raw: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Alpaca bar dicts (``t,o,h,l,c,v``) -> the project's frame, sorted, last duplicate wins."""
    rows = list(raw)
    if not rows:
        return empty_frame()
    idx = pd.DatetimeIndex(pd.to_datetime([r["t"] for r in rows], utc=True), name="timestamp")
    frame = pd.DataFrame(
        {
            "open": [float(r["o"]) for r in rows],
            "high": [float(r["h"]) for r in rows],
            "low": [float(r["l"]) for r in rows],
            "close": [float(r["c"]) for r in rows],
            "volume": [float(r["v"]) for r in rows],
        },
        index=idx,
    )
    frame = frame[~frame.index.duplicated(keep="last")]
    return frame.sort_index()


def _between(frame: pd.DataFrame, start: datetime, end: datetime) -> pd.DataFrame:
    idx = pd.DatetimeIndex(frame.index)
    return frame[(idx >= pd.Timestamp(start)) & (idx < pd.Timestamp(end))]


def complete_only(frame: pd.DataFrame, now: datetime, period: timedelta) -> pd.DataFrame:
    """Drop bars still in progress at ``now`` (start + period > now)."""
    idx = pd.DatetimeIndex(frame.index)
    return frame[idx + period <= pd.Timestamp(now)]


def frame_to_bars(symbol: str, frame: pd.DataFrame) -> list[Bar]:
    out = []
    for ts, o, h, low, c, v in zip(
        pd.DatetimeIndex(frame.index),
        frame["open"],
        frame["high"],
        frame["low"],
        frame["close"],
        frame["volume"],
        strict=True,
    ):
        out.append(
            Bar(
                symbol=symbol,
                timestamp=ts.to_pydatetime(),
                open=float(o),
                high=float(h),
                low=float(low),
                close=float(c),
                volume=float(v),
            )
        )
    return out


class AlpacaMarketData:
    """``MarketDataPort`` on Alpaca, with an optional disk cache for finished days."""

    def __init__(
        self,
        client: Any,
        *,
        feed: str = "iex",
        cache: BarCache | None = None,
        clock: Clock | None = None,
        offline: bool = False,
    ) -> None:
        if feed not in FEEDS:
            raise ConfigError(f"ADVISOR_ALPACA_FEED={feed!r}: use one of {', '.join(FEEDS)}")
        if offline and cache is None:
            raise ConfigError("offline market data needs a bar cache directory")
        self.client = client
        self.feed = feed
        self.cache = cache
        self.clock = clock or SystemClock()
        self.offline = offline
        self.requests = 0

    @classmethod
    def connect(
        cls,
        keys: AlpacaKeys,
        *,
        feed: str = "iex",
        url_override: str | None = None,
        limiter: RateLimiter | None = None,
        cache: BarCache | None = None,
        clock: Clock | None = None,
        timeout: float = 10.0,
        retry_wait_seconds: float = 3.0,
    ) -> AlpacaMarketData:
        from alpaca.data.historical import StockHistoricalDataClient

        client = StockHistoricalDataClient(
            keys.api_key, keys.secret_key, raw_data=True, url_override=url_override
        )
        harden(
            client,
            timeout=timeout,
            limiter=limiter or RateLimiter(clock=clock),
            retry_wait_seconds=retry_wait_seconds,
        )
        return cls(client, feed=feed, cache=cache, clock=clock)

    # ------------------------------------------------------------------ fetching
    def _fetch(
        self, symbols: Sequence[str], start: datetime, end: datetime, timeframe: str
    ) -> dict[str, pd.DataFrame]:
        from alpaca.data.enums import DataFeed
        from alpaca.data.requests import StockBarsRequest

        if self.offline:
            raise DataError(
                f"bars for {','.join(symbols)} {start.isoformat()}..{end.isoformat()} "
                f"({timeframe}, {self.feed}) are not in the bar cache and offline mode is on"
            )
        request = StockBarsRequest(
            symbol_or_symbols=list(symbols),
            timeframe=_timeframe(timeframe),
            start=start,
            end=end,
            feed=DataFeed(self.feed),
        )
        self.requests += 1
        raw = self.client.get_stock_bars(request)
        out = {}
        for sym in symbols:
            out[sym] = _between(bars_to_frame(raw.get(sym) or []), start, end)
        return out

    def get_bars(
        self,
        symbols: list[str],
        start: datetime,
        end: datetime,
        timeframe: Timeframe = "1Min",
    ) -> dict[str, pd.DataFrame]:
        """Bars starting in [start, end) for each symbol (an empty frame when none)."""
        start = require_utc(start, "start")
        end = require_utc(end, "end")
        if timeframe not in TIMEFRAMES:
            raise ConfigError(f"timeframe={timeframe!r}: use one of {', '.join(TIMEFRAMES)}")
        if end <= start:
            return {s: empty_frame() for s in symbols}
        if self.cache is None:
            return self._fetch(symbols, start, end, timeframe)
        return self._get_cached(symbols, start, end, timeframe)

    def _get_cached(
        self, symbols: list[str], start: datetime, end: datetime, timeframe: str
    ) -> dict[str, pd.DataFrame]:
        assert self.cache is not None
        now = self.clock.now()
        days = ny_days(start, end)
        parts: dict[str, list[pd.DataFrame]] = {s: [] for s in symbols}
        missing: dict[str, list[Any]] = {}
        for sym in symbols:
            for day in days:
                hit = self.cache.load(self.feed, timeframe, sym, day)
                if hit is None:
                    missing.setdefault(sym, []).append(day)
                else:
                    parts[sym].append(hit)
        if missing:
            first = min(d for ds in missing.values() for d in ds)
            last = max(d for ds in missing.values() for d in ds)
            lo = day_bounds(first)[0]
            hi = day_bounds(last)[1]
            if not self.offline:
                # Never ask for the future: Alpaca answers it with nothing, and the in-progress
                # day must not be stored as final anyway.
                hi = min(hi, max(now, lo + timedelta(minutes=1)))
            fetched = self._fetch(sorted(missing), lo, hi, timeframe)
            for sym, ds in missing.items():
                frame = fetched[sym]
                parts[sym].append(frame)
                for day in ds:
                    if BarCache.is_final(day, now):
                        self.cache.store(self.feed, timeframe, sym, day, frame)
        out = {}
        for sym in symbols:
            frames = [f for f in parts[sym] if not f.empty]
            merged = pd.concat(frames) if frames else empty_frame()
            merged = merged[~merged.index.duplicated(keep="last")].sort_index()
            out[sym] = _between(merged[COLUMNS], start, end)
        return out

    def latest_complete_bars(
        self,
        symbols: list[str],
        now: datetime,
        lookback: timedelta = timedelta(minutes=15),
        after: Mapping[str, datetime | None] | None = None,
    ) -> dict[str, pd.DataFrame]:
        """1-minute bars that are complete at ``now`` and start after ``after[symbol]``.

        The minute in progress (start > now - 1 min) is never returned, even if the feed
        already has a partial bar for it.
        """
        now = require_utc(now, "now")
        # Reach back to the oldest unprocessed bar so a late or restarted tick catches up.
        known = [require_utc(t, "after") for t in (after or {}).values() if t is not None]
        start = min([now - lookback] + [t + timedelta(minutes=1) for t in known])
        frames = self._fetch(symbols, start, now, "1Min")
        out = {}
        for sym in symbols:
            frame = complete_only(frames[sym], now, TIMEFRAMES["1Min"])
            last = (after or {}).get(sym)
            if last is not None:
                frame = frame[pd.DatetimeIndex(frame.index) > pd.Timestamp(last)]
            out[sym] = frame
        return out
