"""The volatility figure of the premarket context: the previous VIX close, or a stand-in.

Alpaca serves no index data, so the VIX comes from a public CSV: CBOE's published VIX
history (``DATE,OPEN,HIGH,LOW,CLOSE`` with ``MM/DD/YYYY`` dates), fetched over HTTPS with a
short timeout. FRED's ``VIXCLS`` CSV and the project's own daily files (``date,...,close``)
parse too, so the URL may point at either. When the source is unreachable, malformed or
stale (it does not end at the previous session), the figure falls back to the realised
volatility of SPY: the annualised standard deviation of 20 daily log returns, in percent,
a VIX-like number computed from the SPY daily bars the job fetches anyway.

Only the index itself feeds the bias model (``is_index``): it was trained on ^VIX, and the
realised figure runs below the VIX by the variance risk premium and moves more slowly, so
fed to the model it would shift the VIX features by a bias the model never saw. With the
fallback the VIX features stay missing (the model imputes its training mean) while the
analyst still sees a labelled number. ETF proxies (VIXY, VXX) are not used: their price
decays with the futures roll, so no fixed scale maps them onto the index.
"""

from __future__ import annotations

import csv
import io
import math
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from llm_advisor.core.calendar import previous_session
from llm_advisor.core.errors import AdvisorError, DataError, RetryableError

CBOE_VIX_URL = "https://cdn.cboe.com/api/global/us_indices/daily_prices/VIX_History.csv"
MAX_BYTES = 5_000_000
KEEP_ROWS = 30  # closes carried in the context and between workflow steps (features need 6)
RV_WINDOW = 20
TRADING_DAYS = 252
_DATE_COLS = ("date", "observation_date")
_CLOSE_COLS = ("close", "vixcls", "vix close")


@dataclass(frozen=True)
class Volatility:
    """Daily closes of the figure (oldest first, all before the session) and their source.

    ``source`` is ``"cboe"`` (or whatever names the index source), ``"spy-realized"`` or
    None when nothing was available; ``note`` says why a fallback or nothing was used."""

    closes: tuple[tuple[date, float], ...] = ()
    source: str | None = None
    is_index: bool = False
    note: str = ""

    @property
    def close(self) -> float | None:
        return self.closes[-1][1] if self.closes else None

    @property
    def as_of(self) -> date | None:
        return self.closes[-1][0] if self.closes else None

    def frame(self) -> pd.DataFrame | None:
        """The closes as a daily OHLCV frame (the shape ``compute_features`` reads)."""
        if not self.closes:
            return None
        idx = pd.DatetimeIndex([pd.Timestamp(d) for d, _ in self.closes], name="date")
        c = [v for _, v in self.closes]
        return pd.DataFrame(
            {"open": c, "high": c, "low": c, "close": c, "volume": [0.0] * len(c)}, index=idx
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "closes": [[d.isoformat(), v] for d, v in self.closes],
            "source": self.source,
            "is_index": self.is_index,
            "note": self.note,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Volatility:
        """Inverse of ``to_json`` (the Step Functions payload); bad data is a DataError."""
        try:
            closes = tuple((date.fromisoformat(str(d)), float(v)) for d, v in data["closes"])
            return cls(closes, data.get("source"), bool(data.get("is_index")), data.get("note", ""))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"event.volatility: malformed ({exc})") from None


def _parse_day(text: str) -> date:
    text = text.strip()
    if "/" in text:  # CBOE's MM/DD/YYYY
        month, day, year = (int(p) for p in text.split("/"))
        return date(year, month, day)
    return date.fromisoformat(text[:10])


def parse_vix_csv(body: bytes, name: str = "VIX csv") -> pd.Series:
    """Closes by date from a CBOE, FRED or project-format CSV; a malformed file is a
    DataError naming it. FRED's "." (no value that day) rows are skipped."""
    text = body.decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    di = next((header.index(c) for c in _DATE_COLS if c in header), None)
    ci = next((header.index(c) for c in _CLOSE_COLS if c in header), None)
    if di is None or ci is None:
        raise DataError(f"{name}: expected a date and a close column, got {header[:6]}")
    out: dict[date, float] = {}
    for line, row in enumerate(reader, start=2):
        if len(row) <= max(di, ci) or not row[di].strip():
            continue
        if row[ci].strip() in ("", "."):
            continue
        try:
            d, v = _parse_day(row[di]), float(row[ci])
        except ValueError:
            raise DataError(f"{name}, line {line}: bad row {row[: max(di, ci) + 1]}") from None
        if not math.isfinite(v) or v <= 0:
            raise DataError(f"{name}, line {line}: close={row[ci]!r} is not a positive number")
        out[d] = v
    if not out:
        raise DataError(f"{name}: no rows")
    return pd.Series(out, dtype="float64").sort_index()


def http_get(url: str, timeout: float) -> bytes:
    """GET with a short timeout; every network failure is a RetryableError (-> fallback)."""
    req = urllib.request.Request(url, headers={"User-Agent": "llm-advisor/0.1 (+premarket)"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body: bytes = resp.read(MAX_BYTES + 1)
    except OSError as exc:
        raise RetryableError(f"{url}: {exc}") from None
    if len(body) > MAX_BYTES:
        raise DataError(f"{url}: larger than {MAX_BYTES} bytes")
    return body


class CsvVixSource:
    """The VIX history from a CSV URL; ``fetch`` is injectable (tests, other transports)."""

    def __init__(
        self,
        url: str = CBOE_VIX_URL,
        timeout: float = 5.0,
        name: str = "cboe",
        fetch: Callable[[str, float], bytes] = http_get,
    ) -> None:
        self.url, self.timeout, self.name, self._fetch = url, timeout, name, fetch

    def history(self) -> pd.Series:
        return parse_vix_csv(self._fetch(self.url, self.timeout), self.url)


def spy_realized(spy_daily: pd.DataFrame | None, window: int = RV_WINDOW) -> pd.Series:
    """Annualised realised volatility of SPY in percent (VIX units), one value per date."""
    if spy_daily is None or len(spy_daily) <= window:
        return pd.Series(dtype="float64")
    close = spy_daily["close"].astype("float64")
    idx = pd.DatetimeIndex(pd.to_datetime(close.index))
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    logc = pd.Series(np.log(close.to_numpy(np.float64)), index=idx.normalize())
    rv = logc.diff().rolling(window).std(ddof=1) * math.sqrt(TRADING_DAYS) * 100.0
    out: pd.Series = rv.dropna()
    return out


def _last_rows(series: pd.Series, day: date) -> tuple[tuple[date, float], ...]:
    idx = pd.DatetimeIndex(pd.to_datetime(series.index))
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    series = pd.Series(series.to_numpy(np.float64), index=idx.normalize()).sort_index()
    idx = pd.DatetimeIndex(series.index)
    kept = series[idx < pd.Timestamp(day)].tail(KEEP_ROWS)
    days = pd.DatetimeIndex(kept.index)
    return tuple((t.date(), float(v)) for t, v in zip(days, kept.to_numpy(np.float64), strict=True))


def gather_volatility(
    day: date,
    index_source: CsvVixSource | None,
    spy_daily: pd.DataFrame | None,
) -> Volatility:
    """The figure for session ``day``: the index when its history ends at the previous
    session, else SPY's realised volatility, else nothing; the note says what failed."""
    prev = previous_session(day)
    why = "no VIX source configured"
    if index_source is not None:
        try:
            rows = _last_rows(index_source.history(), day)
            if rows and rows[-1][0] == prev:
                return Volatility(rows, index_source.name, True)
            end = rows[-1][0].isoformat() if rows else "before any row"
            why = f"{index_source.name}: history ends {end}, previous session is {prev}"
        except AdvisorError as exc:
            why = f"{index_source.name}: {exc}"
    rv = _last_rows(spy_realized(spy_daily), day)
    if rv and rv[-1][0] == prev:
        return Volatility(rv, "spy-realized", False, f"fallback: {why}")
    return Volatility((), None, False, f"{why}; no SPY daily bars for a realised figure")


def volatility_from_daily(daily: Mapping[str, pd.DataFrame] | None, day: date) -> Volatility:
    """The index from a daily ``VIX`` file (the CLI's ``--daily-dir``), source ``daily-file``."""
    frame = (daily or {}).get("VIX")
    if frame is None or frame.empty:
        return Volatility(note="no VIX daily file")
    rows = _last_rows(frame["close"].astype("float64"), day)
    return Volatility(rows, "daily-file", True) if rows else Volatility(note="no VIX rows")
