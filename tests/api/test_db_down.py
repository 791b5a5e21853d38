"""The API with its PostgreSQL down: a JSON 503 on every route within the wait.

Issue 11: each request used to wait 10 s for a connection, the API Lambda's whole timeout,
so the client got a Lambda timeout instead of the API's 503. The wait is now the setting
``ADVISOR_PG_CONNECT_TIMEOUT`` (3 s in the template; tests/sam/test_api_db_wait.py holds it
under the Lambda timeout). Here it is 0.5 s, and the tests check that the pool is built with
exactly that wait (not how long anything took), through real psycopg connection attempts:
to a port where nothing listens, and to the local PostgreSQL cut off mid-way by a TCP relay.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from llm_advisor.api.app import app_from_settings
from llm_advisor.api.proxy import proxy_event
from llm_advisor.api.settings import ApiSettings
from llm_advisor.core.clock import ManualClock
from llm_advisor.storage import db

from .dbs import seeded_postgres
from .servers import running

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2024, 3, 8, 21, 0, tzinfo=UTC)
WAIT = 0.5


@pytest.fixture
def short_wait(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setattr(db, "_CONNECT_TIMEOUT", WAIT)
    return WAIT


@pytest.fixture
def closed_port_url(short_wait: float) -> Iterator[str]:
    with socket.socket() as s:  # bound, never listening: connections are refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        url = f"postgresql://api@127.0.0.1:{port}/advisor"
        try:
            yield url
        finally:
            db.close_pool(url)  # stop the pool's reconnect attempts


def _load_handler() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "portfolio_api_app_db_down", ROOT / "functions" / "portfolio_api" / "app.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _assert_pool_waits_at_most(url: str, wait: float) -> None:
    pool = db._POOLS[url]
    assert pool.timeout == wait
    assert pool.kwargs["connect_timeout"] == db.libpq_connect_timeout(wait) == 2


def _assert_health_503(status: int, body: str) -> None:
    assert status == 503
    data = json.loads(body)
    assert data["status"] == "degraded" and data["database"] == "unavailable"


def _assert_error_503_leaks_nothing(status: int, body: str, url: str) -> None:
    assert status == 503
    data = json.loads(body)
    assert data["error"] == "database_unavailable" and data["request_id"]
    parts = urlsplit(url)
    assert str(parts.port) not in body and "psycopg" not in body and "connect" not in body


def test_lambda_handler_answers_json_when_nothing_listens(
    closed_port_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADVISOR_DB_URL", closed_port_url)
    handler = _load_handler()
    health = handler.lambda_handler(proxy_event("GET", "/api/health"), None)
    _assert_health_503(health["statusCode"], health["body"])
    assert health["multiValueHeaders"]["Content-Type"] == ["application/json"]
    _assert_pool_waits_at_most(closed_port_url, WAIT)
    trades = handler.lambda_handler(proxy_event("GET", "/api/trades"), None)
    _assert_error_503_leaks_nothing(trades["statusCode"], trades["body"], closed_port_url)
    again = handler.lambda_handler(proxy_event("GET", "/api/health"), None)
    _assert_health_503(again["statusCode"], again["body"])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return int(resp.status), resp.read().decode()
    except urllib.error.HTTPError as err:
        return int(err.code), err.read().decode()


def test_local_server_answers_json_when_nothing_listens(closed_port_url: str) -> None:
    with running(closed_port_url, NOW, with_page=False) as servers:
        _assert_health_503(*_get(f"{servers.api_url}/api/health"))
        status, body = _get(f"{servers.api_url}/api/pnl?start_date=2024-03-01")
        _assert_error_503_leaks_nothing(status, body, closed_port_url)
    _assert_pool_waits_at_most(closed_port_url, WAIT)


class Relay:
    """A TCP relay in front of the real server, so the test can take the database away
    mid-way (listener closed, every relayed connection cut) without stopping the shared
    PostgreSQL the other tests use."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.socks: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed by stop()
            server = socket.create_connection(self.upstream)
            with self.lock:
                self.socks += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        # shutdown wakes the thread blocked in accept(); close alone would not
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with self.lock:
            socks, self.socks = self.socks, []
        for s in socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


@pytest.mark.postgres
def test_postgres_going_down_mid_way_answers_json(pg_url: str, short_wait: float) -> None:
    with seeded_postgres(pg_url) as (url, _exp):
        parts = urlsplit(url)
        relay = Relay(parts.hostname or "127.0.0.1", parts.port or 5432)
        netloc = f"{parts.username}@127.0.0.1:{relay.port}"
        relayed = urlunsplit(parts._replace(netloc=netloc))
        try:
            app = app_from_settings(ApiSettings(db_url=relayed), clock=ManualClock(NOW))

            def call(path: str) -> tuple[int, str]:
                out: dict[str, Any] = app.resolve(proxy_event("GET", path), None)  # type: ignore[arg-type]
                return int(out["statusCode"]), str(out["body"])

            status, body = call("/api/health")
            assert status == 200 and json.loads(body)["database"] == "ok"
            assert call("/api/trades?start_date=2024-03-04")[0] == 200
            _assert_pool_waits_at_most(relayed, short_wait)
            relay.stop()  # the database goes away under a warm container
            _assert_health_503(*call("/api/health"))  # the pooled connection is dead
            _assert_error_503_leaks_nothing(*call("/api/trades"), relayed)
            _assert_health_503(*call("/api/health"))  # no connection to be had at all
        finally:
            relay.stop()
            db.close_pool(relayed)


def test_the_secret_read_is_bounded_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's defaults (60 s connect, 60 s read, retries) would outlast the Lambda."""
    import boto3

    from llm_advisor.api import database

    seen: dict[str, Any] = {}

    class Client:
        def get_secret_value(self, SecretId: str) -> dict[str, str]:  # noqa: N803 - boto's name
            return {"SecretString": json.dumps({"host": "h", "username": "u", "password": "p"})}

    def client(service: str, config: Any = None) -> Client:
        seen.update(service=service, config=config)
        return Client()

    monkeypatch.setattr(boto3, "client", client)
    assert database.read_secret("api-secret")["host"] == "h"
    cfg = seen["config"]
    assert seen["service"] == "secretsmanager"
    assert (cfg.connect_timeout, cfg.read_timeout) == (1.0, 2.0)
    assert cfg.retries["total_max_attempts"] == 1
    assert database.secret_read_budget_s() == 3.0
