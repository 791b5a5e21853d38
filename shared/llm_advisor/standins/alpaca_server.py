"""A local HTTP stand-in of the Alpaca paper trading and market data REST APIs.

It speaks the subset alpaca-py uses (account, orders incl. brackets, positions, clock,
calendar, stock bars with pagination, news headlines), so the *real* ``TradingClient`` and
``StockHistoricalDataClient`` are tested with ``url_override``; it fills from the
simulated market in :mod:`llm_advisor.standins.alpaca_exchange` (the spec's fill rules), and
it injects the faults a careful client must survive: throttling (429), server errors
(before or *after* the request took effect), timeouts, dropped connections, rejected orders
and partial fills.

Usage::

    server = AlpacaStandIn(clock=ManualClock(t0)).start()
    client = TradingClient("k", "s", paper=True, url_override=server.url)
    server.exchange.push_bar("SPY", t, o, h, l, c, v)
    server.inject("POST /v2/orders", "status", status=500, after=True)
    server.stop()
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from llm_advisor.core.calendar import NY
from llm_advisor.core.clock import Clock, SystemClock
from llm_advisor.standins.alpaca_exchange import ExchangeError, SimExchange, calendar_json
from llm_advisor.standins.alpaca_news import NewsBoard

FaultKind = Literal["status", "timeout", "drop", "reject"]
FEEDS = frozenset({"iex", "sip", "delayed_sip", "otc", "boats", "overnight"})
MAX_PAGE = 10_000

_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(r"^/v2/account$"), "GET /v2/account"),
    ("POST", re.compile(r"^/v2/orders$"), "POST /v2/orders"),
    ("GET", re.compile(r"^/v2/orders$"), "GET /v2/orders"),
    ("GET", re.compile(r"^/v2/orders:by_client_order_id$"), "GET /v2/orders:by_client_order_id"),
    ("GET", re.compile(r"^/v2/orders/(?P<id>[^/]+)$"), "GET /v2/orders/{id}"),
    ("DELETE", re.compile(r"^/v2/orders$"), "DELETE /v2/orders"),
    ("DELETE", re.compile(r"^/v2/orders/(?P<id>[^/]+)$"), "DELETE /v2/orders/{id}"),
    ("GET", re.compile(r"^/v2/positions$"), "GET /v2/positions"),
    ("DELETE", re.compile(r"^/v2/positions$"), "DELETE /v2/positions"),
    ("DELETE", re.compile(r"^/v2/positions/(?P<symbol>[^/]+)$"), "DELETE /v2/positions/{symbol}"),
    ("GET", re.compile(r"^/v2/clock$"), "GET /v2/clock"),
    ("GET", re.compile(r"^/v2/calendar$"), "GET /v2/calendar"),
    ("GET", re.compile(r"^/v2/stocks/bars$"), "GET /v2/stocks/bars"),
    ("GET", re.compile(r"^/v1beta1/news$"), "GET /v1beta1/news"),
]


@dataclass
class Fault:
    """One injected failure for ``route`` (``"*"`` = any), used ``count`` times.

    ``after=True`` lets the request take effect first (the order *was* accepted) and then
    fails the response: the ambiguous case a retry must not turn into a second order.
    """

    route: str
    kind: FaultKind
    status: int = 500
    after: bool = False
    count: int = 1
    message: str = ""
    hang_seconds: float = 5.0


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, a keep-alive client waits for
    # the delayed ACK (~40 ms) on every request.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr
        return

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        standin = self.server.standin
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        route, params = _match(method, parts.path)
        standin.record(method, parts.path, query)
        if route is None:
            self._send(Reply(404, {"code": 40410000, "message": "endpoint not found"}))
            return
        if not standin.authorized(
            self.headers.get("APCA-API-KEY-ID"), self.headers.get("APCA-API-SECRET-KEY")
        ):
            self._send(Reply(401, {"code": 40110000, "message": "request is not authorized"}))
            return
        fault = standin.take_fault(route)
        if fault is not None and not fault.after:
            self._fail(fault)
            return
        try:
            body = json.loads(raw) if raw else {}
            reply = standin.handle(route, params, query, body)
        except ExchangeError as exc:
            reply = Reply(exc.status, exc.body())
        except (ValueError, KeyError) as exc:
            reply = Reply(422, {"code": 40010001, "message": str(exc)})
        if fault is not None:
            self._fail(fault)
            return
        self._send(reply)

    def _fail(self, fault: Fault) -> None:
        if fault.kind == "drop":
            self.close_connection = True
            return
        if fault.kind == "timeout":
            self.server.standin.released.wait(fault.hang_seconds)
            self.close_connection = True
            return
        if fault.kind == "reject":
            msg = fault.message or "insufficient buying power"
            self._send(Reply(403, {"code": 40310000, "message": msg}))
            return
        msg = fault.message or ("too many requests." if fault.status == 429 else "internal error")
        self._send(Reply(fault.status, {"code": fault.status * 100000, "message": msg}))

    def _send(self, reply: Reply) -> None:
        data = b"" if reply.body is None else json.dumps(reply.body).encode()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: AlpacaStandIn


def _match(method: str, path: str) -> tuple[str | None, dict[str, str]]:
    for m, pattern, name in _ROUTES:
        if m == method:
            hit = pattern.match(path)
            if hit:
                return name, hit.groupdict()
    return None, {}


def _ts(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        if len(value) == 10:
            d = date.fromisoformat(value)
            return datetime(d.year, d.month, d.day, tzinfo=NY).astimezone(UTC)
        raise ValueError(f"invalid {name} {value!r}") from None
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _true(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1")


class AlpacaStandIn:
    """The server plus its simulated exchange, fault queue and request log."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        exchange: SimExchange | None = None,
        starting_cash: float = 100_000.0,
        api_key: str = "standin-key",
        secret_key: str = "standin-secret",
        max_page_size: int = MAX_PAGE,
        sip_allowed: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        # ``starting_cash`` is the account's size when no exchange is given (``demo
        # --account-equity``): the live engine sizes its orders from it.
        self.exchange = exchange or SimExchange(clock or SystemClock(), starting_cash)
        self.api_key = api_key
        self.secret_key = secret_key
        self.max_page_size = max_page_size
        self.sip_allowed = sip_allowed
        self.news = NewsBoard()  # GET /v1beta1/news serves what news.add(...) put here
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.released = threading.Event()
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._server = _Server((host, port), _Handler)
        self._server.standin = self
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> AlpacaStandIn:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},  # stop() returns within 20 ms, not 0.5 s
            name="alpaca-standin",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> AlpacaStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- faults and log
    def inject(
        self,
        route: str,
        kind: FaultKind,
        *,
        status: int = 500,
        after: bool = False,
        count: int = 1,
        message: str = "",
        hang_seconds: float = 5.0,
    ) -> None:
        """Queue a failure for the next ``count`` requests of ``route`` ("METHOD /path")."""
        if route != "*" and route not in {name for _, _, name in _ROUTES}:
            raise ValueError(f"route={route!r} is not served by the stand-in")
        with self._lock:
            self._faults.append(Fault(route, kind, status, after, count, message, hang_seconds))

    def take_fault(self, route: str) -> Fault | None:
        with self._lock:
            for f in self._faults:
                if f.route in (route, "*") and f.count > 0:
                    f.count -= 1
                    if f.count == 0:
                        self._faults.remove(f)
                    return f
        return None

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def record(self, method: str, path: str, query: dict[str, str]) -> None:
        with self._lock:
            self.requests.append((method, path, query))

    def count(self, method: str, path: str) -> int:
        with self._lock:
            return sum(1 for m, p, _ in self.requests if m == method and p == path)

    def authorized(self, key: str | None, secret: str | None) -> bool:
        return key == self.api_key and secret == self.secret_key

    # ---------------------------------------------------------------- routes
    def handle(
        self, route: str, params: dict[str, str], q: dict[str, str], body: dict[str, Any]
    ) -> Reply:
        ex = self.exchange
        handlers: dict[str, Callable[[], Reply]] = {
            "GET /v2/account": lambda: Reply(200, ex.account_json()),
            "POST /v2/orders": lambda: Reply(200, ex.order_json(ex.submit(body), nested=True)),
            "GET /v2/orders": lambda: self._list_orders(q),
            "GET /v2/orders:by_client_order_id": lambda: Reply(
                200, ex.order_json(ex.get_by_client_id(q.get("client_order_id", "")), True)
            ),
            "GET /v2/orders/{id}": lambda: Reply(
                200, ex.order_json(ex.get(params["id"]), _true(q.get("nested")))
            ),
            "DELETE /v2/orders": lambda: Reply(
                207, [{"id": i, "status": 200} for i in ex.cancel_all()]
            ),
            "DELETE /v2/orders/{id}": lambda: self._cancel(params["id"]),
            "GET /v2/positions": lambda: Reply(
                200, [ex.position_json(s) for s in sorted(ex.positions)]
            ),
            "DELETE /v2/positions": lambda: Reply(
                207,
                [
                    {"symbol": s, "status": st, "body": b}
                    | ({"order_id": b["id"]} if st == 200 else {})
                    for s, st, b in ex.close_all(_true(q.get("cancel_orders")))
                ],
            ),
            "DELETE /v2/positions/{symbol}": lambda: Reply(
                200, ex.close_position(params["symbol"])
            ),
            "GET /v2/clock": lambda: Reply(200, ex.clock_json()),
            "GET /v2/calendar": lambda: self._calendar(q),
            "GET /v2/stocks/bars": lambda: self._bars(q),
            "GET /v1beta1/news": lambda: Reply(200, self.news.page(q, self.max_page_size)),
        }
        return handlers[route]()

    def _cancel(self, order_id: str) -> Reply:
        self.exchange.cancel(order_id)
        return Reply(204, None)

    def _list_orders(self, q: dict[str, str]) -> Reply:
        status = q.get("status", "open")
        if status not in ("open", "closed", "all"):
            raise ValueError(f"invalid status {status!r}")
        nested = _true(q.get("nested"))
        symbols = {s for s in q.get("symbols", "").split(",") if s} or None
        orders = self.exchange.list_orders(
            status=status,
            nested=nested,
            limit=int(q.get("limit", "50")),
            after=_ts(q.get("after"), "after"),
            until=_ts(q.get("until"), "until"),
            direction=q.get("direction", "desc"),
            symbols=symbols,
        )
        return Reply(200, [self.exchange.order_json(o, nested) for o in orders])

    def _calendar(self, q: dict[str, str]) -> Reply:
        today = self.exchange.now().astimezone(NY).date()
        start = date.fromisoformat(q["start"][:10]) if q.get("start") else today
        end = date.fromisoformat(q["end"][:10]) if q.get("end") else start + timedelta(days=30)
        return Reply(200, calendar_json(start, end))

    def _bars(self, q: dict[str, str]) -> Reply:
        feed = q.get("feed", "sip")
        if feed not in FEEDS:
            raise ValueError(f"invalid feed {feed!r}")
        if feed == "sip" and not self.sip_allowed:
            return Reply(403, {"message": "subscription does not permit querying recent SIP data"})
        symbols = [s for s in q.get("symbols", "").split(",") if s]
        if not symbols:
            raise ValueError("symbols is required")
        timeframe = q.get("timeframe", "1Min")
        start = _ts(q.get("start"), "start")
        end = _ts(q.get("end"), "end")
        limit = min(int(q.get("limit") or 1000), self.max_page_size)
        offset = 0
        if q.get("page_token"):
            offset = int(json.loads(base64.urlsafe_b64decode(q["page_token"]))["offset"])
        rows: list[tuple[str, dict[str, Any]]] = []
        for sym in sorted(set(symbols)):
            for t, (o, h, low, c, v) in self.exchange.bars_between(sym, start, end, timeframe):
                bar = {
                    "t": t.isoformat().replace("+00:00", "Z"),
                    "o": float(o),
                    "h": float(h),
                    "l": float(low),
                    "c": float(c),
                    "v": float(v),
                    "n": 1,
                    "vw": float(c),
                }
                rows.append((sym, bar))
        page = rows[offset : offset + limit]
        bars: dict[str, list[dict[str, Any]]] = {}
        for sym, bar in page:
            bars.setdefault(sym, []).append(bar)
        token = None
        if offset + limit < len(rows):
            token = base64.urlsafe_b64encode(
                json.dumps({"offset": offset + limit}).encode()
            ).decode()
        return Reply(200, {"bars": bars, "next_page_token": token})
