"""Market data through the real StockHistoricalDataClient: pagination, in-progress minute,
empty minutes, rate limit, disk cache, feed, and the ``data download`` file format."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from llm_advisor.__main__ import main
from llm_advisor.alpaca.bar_cache import BarCache
from llm_advisor.alpaca.http import RateLimiter
from llm_advisor.alpaca.market_data import AlpacaMarketData
from llm_advisor.cli.data import download
from llm_advisor.core.clock import ManualClock
from llm_advisor.data.barfiles import load_bar_file
from llm_advisor.standins.alpaca_server import AlpacaStandIn

OPEN = datetime(2024, 1, 3, 14, 30, tzinfo=UTC)
DataFactory = Callable[..., AlpacaMarketData]


def session_frame(day_open: datetime, seed: int, minutes: int = 390, gaps: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.date_range(day_open, periods=minutes, freq="1min", tz=UTC, name="timestamp")
    drop = rng.choice(np.arange(1, minutes - 1), size=gaps, replace=False)
    idx = idx.delete(np.sort(drop))  # minutes with no trades have no bar
    close = 100 + np.cumsum(rng.normal(0, 0.05, len(idx)))
    close = np.round(close, 2)
    open_ = np.round(np.r_[close[0], close[:-1]], 2)
    high = np.round(np.maximum(open_, close) + 0.03, 2)
    low = np.round(np.minimum(open_, close) - 0.03, 2)
    vol = rng.integers(100, 5000, len(idx)).astype(float)
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": vol}, index=idx
    )


@pytest.fixture
def loaded(clock: ManualClock) -> Iterator[AlpacaStandIn]:
    server = AlpacaStandIn(clock=clock, max_page_size=100).start()
    for i, sym in enumerate(("SPY", "QQQ")):
        server.exchange.load_history(sym, session_frame(OPEN, seed=i))
        server.exchange.load_history(sym, session_frame(OPEN + timedelta(days=1), seed=10 + i))
    yield server
    server.stop()


def test_get_bars_paginates_and_keeps_empty_minutes_empty(
    loaded: AlpacaStandIn, clock: ManualClock, make_data: DataFactory
) -> None:
    clock.set(datetime(2024, 1, 6, tzinfo=UTC))
    md = make_data(loaded.url)
    frames = md.get_bars(["SPY", "QQQ"], OPEN, OPEN + timedelta(days=2))
    expected = session_frame(OPEN, 0)
    assert len(frames["SPY"]) == 2 * (390 - 7)
    pd.testing.assert_frame_equal(frames["SPY"].iloc[: 390 - 7], expected, check_freq=False)
    assert list(frames["SPY"].columns) == ["open", "high", "low", "close", "volume"]
    assert str(pd.DatetimeIndex(frames["SPY"].index).tz) == "UTC"
    pages = loaded.count("GET", "/v2/stocks/bars")
    assert pages == -(-4 * 383 // 100)  # every page fetched, 100 bars each
    assert all(q.get("feed") == "iex" for m, p, q in loaded.requests if p == "/v2/stocks/bars")


def test_end_is_exclusive_and_higher_timeframes_aggregate(
    loaded: AlpacaStandIn, clock: ManualClock, make_data: DataFactory
) -> None:
    clock.set(datetime(2024, 1, 6, tzinfo=UTC))
    md = make_data(loaded.url)
    one = md.get_bars(["SPY"], OPEN, OPEN + timedelta(minutes=30))["SPY"]
    assert pd.DatetimeIndex(one.index).max() < pd.Timestamp(OPEN + timedelta(minutes=30))
    five = md.get_bars(["SPY"], OPEN, OPEN + timedelta(hours=1), "5Min")["SPY"]
    src = session_frame(OPEN, 0)
    first = src[src.index < pd.Timestamp(OPEN + timedelta(minutes=5))]
    assert five.iloc[0]["high"] == first["high"].max()
    assert five.iloc[0]["volume"] == first["volume"].sum()
    daily = md.get_bars(["SPY"], OPEN - timedelta(days=1), OPEN + timedelta(days=2), "1Day")
    assert len(daily["SPY"]) == 2


def test_latest_complete_bars_never_returns_the_minute_in_progress(
    standin: AlpacaStandIn, clock: ManualClock, make_data: DataFactory
) -> None:
    ex = standin.exchange
    for i in (0, 1, 3):  # minute 2 had no trades
        ex.push_bar("SPY", OPEN + timedelta(minutes=i), 100, 100.1, 99.9, 100, 10)
    # The feed already has a partial bar for 09:34 while that minute is still running.
    ex.push_bar("SPY", OPEN + timedelta(minutes=4), 100, 100.1, 99.9, 100, 3)
    md = make_data(standin.url)
    now = OPEN + timedelta(minutes=4, seconds=30)
    got = md.latest_complete_bars(["SPY", "QQQ"], now)
    stamps = [t.minute for t in pd.DatetimeIndex(got["SPY"].index)]
    assert stamps == [30, 31, 33]  # no 09:32 invented, no 09:34 in progress
    assert got["QQQ"].empty
    exactly = md.latest_complete_bars(["SPY"], OPEN + timedelta(minutes=5))
    assert pd.DatetimeIndex(exactly["SPY"].index)[-1].minute == 34  # complete at 09:35:00
    after = {"SPY": OPEN + timedelta(minutes=1)}
    newer = md.latest_complete_bars(["SPY"], now, after=after)
    assert [t.minute for t in pd.DatetimeIndex(newer["SPY"].index)] == [33]


def test_rate_limiter_waits_on_the_injected_clock() -> None:
    clock = ManualClock(OPEN)
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        clock.advance(timedelta(seconds=s))

    limiter = RateLimiter(200, 60.0, clock=clock, sleep=sleep)
    for _ in range(200):
        assert limiter.acquire() == 0.0
        clock.advance(timedelta(milliseconds=100))  # 200 requests in 20 s
    assert limiter.acquire() == pytest.approx(40.0)  # the first one leaves the window at 60 s
    assert slept == [pytest.approx(40.0)]


def test_rate_limiter_counts_every_http_request_of_the_client(
    loaded: AlpacaStandIn, clock: ManualClock
) -> None:
    from alpaca.data.historical import StockHistoricalDataClient

    from llm_advisor.alpaca.http import harden

    fake = ManualClock(OPEN)
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        fake.advance(timedelta(seconds=s))

    limiter = RateLimiter(5, 60.0, clock=fake, sleep=sleep)
    client = StockHistoricalDataClient(
        "standin-key", "standin-secret", raw_data=True, url_override=loaded.url
    )
    harden(client, limiter=limiter, retry_wait_seconds=0)
    clock.set(datetime(2024, 1, 6, tzinfo=UTC))
    AlpacaMarketData(client).get_bars(["SPY", "QQQ"], OPEN, OPEN + timedelta(days=2))
    assert loaded.count("GET", "/v2/stocks/bars") == 16  # 16 pages > 5 per minute
    assert len(slept) == 3 and limiter.waited_seconds == pytest.approx(180.0)


def test_throttled_data_request_is_retried(
    loaded: AlpacaStandIn, clock: ManualClock, make_data: DataFactory
) -> None:
    clock.set(datetime(2024, 1, 6, tzinfo=UTC))
    loaded.inject("GET /v2/stocks/bars", "status", status=429, count=2)
    frames = make_data(loaded.url).get_bars(["SPY"], OPEN, OPEN + timedelta(hours=1))
    assert len(frames["SPY"]) > 50


def test_sip_without_subscription_is_an_api_error(
    clock: ManualClock, make_data: DataFactory
) -> None:
    from alpaca.common.exceptions import APIError

    with AlpacaStandIn(clock=clock, sip_allowed=False) as server:
        with pytest.raises(APIError) as info:
            make_data(server.url, feed="sip").get_bars(["SPY"], OPEN, OPEN + timedelta(hours=1))
        assert info.value.status_code == 403


def test_disk_cache_reruns_offline_and_never_stores_an_unfinished_day(
    loaded: AlpacaStandIn, clock: ManualClock, make_data: DataFactory, tmp_path: Path
) -> None:
    clock.set(OPEN + timedelta(days=1, hours=3))  # during the second session
    cache = BarCache(tmp_path)
    md = make_data(loaded.url, cache=cache, clock=clock)
    first = md.get_bars(["SPY", "QQQ"], OPEN, OPEN + timedelta(days=2))
    assert cache.load("iex", "1Min", "SPY", date(2024, 1, 3)) is not None
    assert cache.load("iex", "1Min", "SPY", date(2024, 1, 4)) is None  # not over yet
    offline = make_data(loaded.url, cache=cache, clock=clock, offline=True)
    again = offline.get_bars(["SPY"], OPEN, OPEN + timedelta(hours=6, minutes=30))
    pd.testing.assert_frame_equal(again["SPY"], first["SPY"].iloc[: 390 - 7], check_freq=False)
    from llm_advisor.core.errors import DataError

    with pytest.raises(DataError, match="offline"):
        offline.get_bars(["SPY"], OPEN, OPEN + timedelta(days=2))


def test_download_writes_shared_data_format(
    loaded: AlpacaStandIn, clock: ManualClock, make_data: DataFactory, tmp_path: Path
) -> None:
    clock.set(datetime(2024, 1, 6, tzinfo=UTC))
    counts = download(
        make_data(loaded.url), ["SPY", "QQQ"], date(2024, 1, 3), date(2024, 1, 4), tmp_path
    )
    assert counts == {"SPY": 766, "QQQ": 766}
    with gzip.open(tmp_path / "SPY.csv.gz", "rt") as fh:
        assert fh.readline().strip() == "timestamp,open,high,low,close,volume"
        assert fh.readline().startswith("2024-01-03T14:30:00Z,")
    loaded_back = load_bar_file(tmp_path / "SPY.csv.gz")
    pd.testing.assert_frame_equal(
        loaded_back.iloc[:383], session_frame(OPEN, 0), check_dtype=False, check_freq=False
    )


def test_cli_download_end_to_end_and_missing_key_message(
    loaded: AlpacaStandIn,
    clock: ManualClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock.set(datetime(2024, 1, 6, tzinfo=UTC))
    for var in ("ALPACA_API_KEY", "APCA_API_KEY_ID", "ALPACA_SECRET_KEY", "APCA_API_SECRET_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ADVISOR_ALPACA_URL_OVERRIDE", loaded.url)
    args = ["data", "download", "--symbols", "spy", "--start", "2024-01-03"]
    args += ["--end", "2024-01-03", "--dir", str(tmp_path / "out"), "--regular-only"]
    assert main(args) == 2
    assert "ALPACA_API_KEY" in capsys.readouterr().err
    monkeypatch.setenv("APCA_API_KEY_ID", "standin-key")
    monkeypatch.setenv("APCA_API_SECRET_KEY", "standin-secret")
    assert main(args) == 0
    assert len(load_bar_file(tmp_path / "out" / "SPY.csv.gz")) == 383
    assert (
        main(
            [
                "data",
                "download",
                "--symbols",
                "SPY",
                "--start",
                "2024-13-01",
                "--end",
                "2024-01-03",
                "--dir",
                "x",
            ]
        )
        == 2
    )
    assert "--start='2024-13-01'" in capsys.readouterr().err
