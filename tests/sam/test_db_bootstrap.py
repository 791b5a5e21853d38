"""The DatabaseBootstrap custom resource: the SQL against the real local PostgreSQL, the
answer to CloudFormation against a local HTTP server, and no secret in any message."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

import pytest

from functions.db_bootstrap import app

MASTER_PW = "m@ster:pw/1"
API_PW = "api'pw\"; DROP ROLE x; --"
MASTER: dict[str, Any] = {"username": "advisor", "password": MASTER_PW, "port": 5432}
API: dict[str, Any] = {"username": "llm_advisor_api", "password": API_PW, "port": 5432}


def _with(url: str, dbname: str, user: str | None = None) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc if user is None else f"{user}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(path="/" + dbname, netloc=netloc))


@pytest.fixture
def fresh_db(pg_url: str) -> Iterator[tuple[str, str]]:
    """A new database and a role name nobody else uses; both dropped afterwards."""
    import psycopg

    tag = uuid.uuid4().hex[:8]
    name, login = f"t_boot_{tag}", f"llm_advisor_api_{tag}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _with(pg_url, name), login
    from llm_advisor.storage.db import close_pool

    close_pool(_with(pg_url, name))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'DROP ROLE IF EXISTS "{login}"')


@pytest.mark.postgres
def test_login_can_read_every_table_and_write_none(fresh_db: tuple[str, str]) -> None:
    import psycopg
    from psycopg import errors

    url, login = fresh_db
    applied = app.bootstrap_database(url, login, API_PW)
    assert applied[:2] == [1, 2]

    as_api = _with(url, urlsplit(url).path.lstrip("/"), user=login)
    with psycopg.connect(as_api, autocommit=True) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            ).fetchall()
        ]
        assert "trades" in tables
        for t in tables:  # tables of later migrations too (default privileges)
            conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()
        with pytest.raises(errors.ReadOnlySqlTransaction):
            conn.execute("INSERT INTO trades DEFAULT VALUES")
        # Even a read-write transaction is refused by the grants themselves.
        with pytest.raises(errors.InsufficientPrivilege), conn.transaction():
            conn.execute("SET TRANSACTION READ WRITE")
            conn.execute("INSERT INTO trades DEFAULT VALUES")
        with pytest.raises(errors.InsufficientPrivilege), conn.transaction():
            conn.execute("SET TRANSACTION READ WRITE")
            conn.execute("CREATE TABLE sneaky (x int)")


@pytest.mark.postgres
def test_the_portfolio_api_works_as_the_read_only_login(fresh_db: tuple[str, str]) -> None:
    """Every endpoint, as the deployed API connects: read-only role, read-only sessions."""
    from llm_advisor.api.app import app_from_settings
    from llm_advisor.api.proxy import proxy_event
    from llm_advisor.api.settings import ApiSettings
    from llm_advisor.storage.db import close_pool

    url, login = fresh_db
    app.bootstrap_database(url, login, API_PW)
    as_api = _with(url, urlsplit(url).path.lstrip("/"), user=login)
    api = app_from_settings(ApiSettings(db_url=as_api))
    try:
        for path in (
            "/api/health",
            "/api/trades",
            "/api/pnl",
            "/api/positions",
            "/api/signals",
            "/api/market-analysis",
            "/api/daily-bias?date=2024-03-06",
        ):
            result = api.resolve(proxy_event("GET", path, headers={}), None)  # type: ignore[arg-type]
            assert int(result["statusCode"]) < 500, (path, result.get("body"))
        health = api.resolve(proxy_event("GET", "/api/health", headers={}), None)  # type: ignore[arg-type]
        assert json.loads(health["body"])["database"] == "ok"
    finally:
        close_pool(as_api)


@pytest.mark.postgres
def test_second_run_migrates_nothing_and_resets_the_password(fresh_db: tuple[str, str]) -> None:
    import psycopg

    url, login = fresh_db
    app.bootstrap_database(url, login, "first-password")
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (login,))
        (before,) = row.fetchone() or (None,)
    assert app.bootstrap_database(url, login, API_PW) == []
    with psycopg.connect(url, autocommit=True) as conn:
        after, member, login_ok = conn.execute(
            "SELECT a.rolpassword, pg_has_role(a.rolname, %s, 'USAGE'), a.rolcanlogin "
            "FROM pg_authid a WHERE a.rolname = %s",
            (app.READONLY_ROLE, login),
        ).fetchone() or (None, None, None)
    assert before and after and before != after
    assert str(after).startswith("SCRAM-SHA-256$")  # stored hashed, not as sent
    assert member is True and login_ok is True


@pytest.mark.postgres
def test_an_existing_powerful_role_is_refused(fresh_db: tuple[str, str]) -> None:
    import psycopg

    url, login = fresh_db
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{login}" LOGIN CREATEDB')
    with pytest.raises(app.BootstrapError, match="more than read privileges"):
        app.bootstrap_database(url, login, "pw")


# ------------------------------------------------------------------ handle(): no database


def _event(request: str = "Create", **props: Any) -> dict[str, Any]:
    return {
        "RequestType": request,
        "ResponseURL": "",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
        "RequestId": "req-1",
        "LogicalResourceId": "DatabaseBootstrap",
        "ResourceType": "Custom::DatabaseBootstrap",
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:boot",
            "MasterSecretId": "master",
            "ApiSecretId": "api",
            "Host": "proxy.example.internal",
            "DbName": "advisor",
            **props,
        },
    }


def _reader(secrets: Mapping[str, Mapping[str, Any]]) -> app.SecretReader:
    return lambda sid: secrets[sid]


def test_create_runs_the_bootstrap_with_the_master_url_through_the_host() -> None:
    calls: list[tuple[str, str, str]] = []

    def boot(url: str, login: str, password: str) -> list[int]:
        calls.append((url, login, password))
        return [1, 2, 3]

    r = app.handle(_event(), _reader({"master": MASTER, "api": API}), boot)
    assert r.status == "SUCCESS"
    assert r.physical_id == "db-bootstrap-llm_advisor_api"
    assert r.data == {"Role": "llm_advisor_api", "MigrationsApplied": "1,2,3"}
    ((url, login, password),) = calls
    parts = urlsplit(url)
    assert (parts.hostname, parts.username, parts.path) == (
        "proxy.example.internal",
        "advisor",
        "/advisor",
    )
    assert "sslmode=require" in url
    assert (login, password) == ("llm_advisor_api", API_PW)


def test_update_keeps_the_physical_id_and_delete_touches_nothing() -> None:
    def boot(url: str, login: str, password: str) -> list[int]:
        return []

    ev = _event("Update") | {"PhysicalResourceId": "db-bootstrap-old"}
    r = app.handle(ev, _reader({"master": MASTER, "api": API}), boot)
    assert (r.status, r.physical_id, r.data["MigrationsApplied"]) == (
        "SUCCESS",
        "db-bootstrap-old",
        "",
    )

    def no_secrets(sid: str) -> Mapping[str, Any]:
        raise AssertionError("Delete must not read secrets")

    ev = _event("Delete") | {"PhysicalResourceId": "db-bootstrap-old"}
    assert app.handle(ev, no_secrets, boot) == app.CfnResult("SUCCESS", "db-bootstrap-old")


def test_failures_answer_failed_without_any_password() -> None:
    def boom(url: str, login: str, password: str) -> list[int]:
        raise RuntimeError(f"cannot connect to {url} as {login} with {password}")

    r = app.handle(_event(), _reader({"master": MASTER, "api": API}), boom)
    assert r.status == "FAILED"
    assert "RuntimeError: cannot connect" in r.reason
    for pw in (MASTER_PW, API_PW):
        assert pw not in r.reason
    assert "m%40ster%3Apw%2F1" not in r.reason  # nor URL-quoted


@pytest.mark.parametrize(
    ("api", "needle"),
    [
        ({"username": "advisor", "password": "x"}, "must be a new role"),
        ({"username": "Bad-Name", "password": "x"}, "lower-case"),
        ({"username": "llm_advisor_api", "password": ""}, "has no password"),
    ],
)
def test_bad_api_secrets_are_named_in_the_reason(api: dict[str, str], needle: str) -> None:
    def boot(url: str, login: str, password: str) -> list[int]:
        raise AssertionError("must not run")

    r = app.handle(_event(), _reader({"master": MASTER, "api": api}), boot)
    assert r.status == "FAILED" and needle in r.reason, r.reason


def test_missing_properties_and_unknown_request_fail_cleanly() -> None:
    def boot(url: str, login: str, password: str) -> list[int]:
        return []

    r = app.handle(_event(ApiSecretId=""), _reader({}), boot)
    assert r.status == "FAILED" and "ApiSecretId" in r.reason
    r = app.handle(_event("Bogus"), _reader({}), boot)
    assert r.status == "FAILED" and "RequestType='Bogus'" in r.reason


# ------------------------------------------------------------------ the cfn-response PUT


class _Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, Any]]] = []

    def do_PUT(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).seen.append(
            {
                "path": self.path,
                "content_type": self.headers.get("Content-Type"),
                "body": json.loads(self.rfile.read(length)),
            }
        )
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def response_server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []
    handler = type("Recorder", (_Recorder,), {"seen": seen})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/cfn-response/abc?X-Amz-Signature=s", seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("fails", [False, True])
def test_run_puts_the_cloudformation_answer(
    response_server: tuple[str, list[dict[str, Any]]], fails: bool
) -> None:
    url, seen = response_server

    def boot(db_url: str, login: str, password: str) -> list[int]:
        if fails:
            raise RuntimeError(f"password {password} rejected")
        return [3]

    event = _event() | {"ResponseURL": url}
    result = app.run(event, _reader({"master": MASTER, "api": API}), boot, log_stream="ls/1")
    ((put,),) = [seen]
    assert put["path"] == "/cfn-response/abc?X-Amz-Signature=s"
    assert put["content_type"] == ""
    body = put["body"]
    assert body["Status"] == result.status == ("FAILED" if fails else "SUCCESS")
    assert body["StackId"] == event["StackId"]
    assert body["RequestId"] == "req-1"
    assert body["LogicalResourceId"] == "DatabaseBootstrap"
    assert body["PhysicalResourceId"] == "db-bootstrap-llm_advisor_api"
    assert "ls/1" in body["Reason"]
    for pw in (API_PW, MASTER_PW):
        assert pw not in body["Reason"]
    if fails:
        assert "RuntimeError: password *** rejected" in body["Reason"]
    assert body["Data"] == ({} if fails else {"Role": "llm_advisor_api", "MigrationsApplied": "3"})


def test_lambda_handler_reads_the_secrets_and_answers_failed_when_the_db_is_down(
    response_server: tuple[str, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The thin handler end to end: Secrets Manager (moto), an unreachable database, a PUT."""
    import socket

    import boto3
    from moto import mock_aws

    from llm_advisor.storage import db

    url, seen = response_server
    with socket.socket() as s:  # a local port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(db, "_CONNECT_TIMEOUT", 0.5)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        sm = boto3.client("secretsmanager", region_name="us-east-1")
        down = json.dumps(MASTER | {"port": port})
        master = sm.create_secret(Name="master", SecretString=down)["ARN"]
        api = sm.create_secret(Name="api", SecretString=json.dumps(API))["ARN"]
        event = _event(MasterSecretId=master, ApiSecretId=api, Host="127.0.0.1")
        event["ResponseURL"] = url
        out = app.lambda_handler(event, type("Ctx", (), {"log_stream_name": "2024/x"})())
    assert out == {"Status": "FAILED", "PhysicalResourceId": "db-bootstrap-llm_advisor_api"}
    ((put,),) = [seen]
    reason = put["body"]["Reason"]
    assert "cannot connect" in reason and "2024/x" in reason
    for pw in (MASTER_PW, API_PW):
        assert pw not in reason
