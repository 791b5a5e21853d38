"""Local stand-ins for the premarket job's outside world: Alpaca bars, the VIX CSV server."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd

COLUMNS = ["open", "high", "low", "close", "volume"]


class AlpacaLikeBars:
    """MarketDataPort over real files, shaped like Alpaca's answers: 1-minute bars as they
    are, daily bars stamped at New York midnight in UTC (Alpaca's ``t`` of a daily bar)."""

    def __init__(
        self, minutes: Mapping[str, pd.DataFrame], daily: Mapping[str, pd.DataFrame]
    ) -> None:
        self.minutes = dict(minutes)
        self.daily = {s: self._alpaca_daily(f) for s, f in daily.items()}
        self.calls: list[tuple[tuple[str, ...], str]] = []

    @staticmethod
    def _alpaca_daily(f: pd.DataFrame) -> pd.DataFrame:
        idx = pd.DatetimeIndex(f.index).tz_localize("America/New_York").tz_convert("UTC")
        return f.set_axis(idx.rename("timestamp"))

    def get_bars(
        self, symbols: list[str], start: datetime, end: datetime, timeframe: str = "1Min"
    ) -> dict[str, pd.DataFrame]:
        self.calls.append((tuple(symbols), timeframe))
        src = self.daily if timeframe == "1Day" else self.minutes
        out = {}
        for s in symbols:
            f = src.get(s)
            if f is None:
                out[s] = pd.DataFrame(columns=COLUMNS)
                continue
            idx = pd.DatetimeIndex(f.index)
            out[s] = f[(idx >= pd.Timestamp(start)) & (idx < pd.Timestamp(end))]
        return out


def cboe_csv(vix_daily: pd.DataFrame) -> bytes:
    """The VIX daily file in CBOE's published format (``MM/DD/YYYY``, upper-case header)."""
    lines = ["DATE,OPEN,HIGH,LOW,CLOSE"]
    for t, r in vix_daily.iterrows():
        d = pd.Timestamp(t)
        o, h, lo, c = (repr(float(r[k])) for k in ("open", "high", "low", "close"))
        lines.append(f"{d:%m/%d/%Y},{o},{h},{lo},{c}")
    return ("\n".join(lines) + "\n").encode()


@contextmanager
def csv_server(body: bytes) -> Iterator[str]:
    """A local HTTP server answering every GET with ``body``; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        hits = 0

        def do_GET(self) -> None:
            Handler.hits += 1
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    th = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    th.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}/VIX_History.csv"
    finally:
        srv.shutdown()
        srv.server_close()


def closed_port_url() -> str:
    """A URL nobody listens on (bound, then closed): the connection is refused at once."""
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/VIX_History.csv"
