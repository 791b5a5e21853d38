"""``POST /api/chat`` through the API handler and ``python -m llm_advisor ask``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llm_advisor.__main__ import main
from llm_advisor.api.app import app_from_settings, create_app, openapi_json
from llm_advisor.api.context import ApiContext
from llm_advisor.api.proxy import proxy_event
from llm_advisor.api.settings import ApiSettings
from llm_advisor.chat.numbers import money
from llm_advisor.core.clock import ManualClock
from tests.api.seed import Expected
from tests.chat.conftest import NOW, OTHER_RUN

ORIGIN = "http://127.0.0.1:8081"
QUESTIONS = (
    "What were the daily biases for SPY on March 8th?",
    "What is the P/L of the paper trading account over the last 5 days?",
    "Show me all trades executed in the last week",
)


def _app(url: str) -> Any:
    return app_from_settings(ApiSettings(db_url=url, cors_origins=(ORIGIN,)), ManualClock(NOW))


def _post(app: Any, body: Any, ip: str = "10.0.0.1") -> tuple[int, Any, Any]:
    raw = body if isinstance(body, str) else json.dumps(body)
    ev = proxy_event(
        "POST", "/api/chat", headers={"content-type": "application/json", "origin": ORIGIN},
        body=raw, source_ip=ip,
    )  # fmt: skip
    res = app.resolve(ev, None)
    return int(res["statusCode"]), json.loads(res["body"]), res.get("multiValueHeaders")


def test_api_answers_the_examples_with_citations(seeded: tuple[str, Expected]) -> None:
    url, exp = seeded
    app = _app(url)
    bodies = [_post(app, {"question": q}, ip=f"10.0.0.{i}") for i, q in enumerate(QUESTIONS)]
    assert [s for s, _, _ in bodies] == [200, 200, 200]
    bias, pnl, week = (b for _, b, _ in bodies)
    assert "SPY bullish" in bias["answer"] and bias["citations"][0]["id"] == "2024-03-08:SPY"
    assert money(exp.total_pnl, signed=True) in pnl["answer"] and pnl["citations"]
    assert len([c for c in week["citations"] if c["kind"] == "trade"]) == len(exp.trades)
    assert week["data"]["tool"] == "trades" and len(week["data"]["rows"]) == len(exp.trades)
    assert bodies[0][2]["Access-Control-Allow-Origin"] == [ORIGIN]


def test_api_errors_preflight_and_throttle(seeded: tuple[str, Expected]) -> None:
    app = _app(seeded[0])
    status, body, _ = _post(app, {"question": "P/L", "run": "nope"})
    assert status == 404 and body["error"] == "run_not_found"
    status, body, _ = _post(app, {"question": "", "extra": 1})
    assert status == 422 and {f["field"] for f in body["fields"]} == {"question", "extra"}
    pre = proxy_event(
        "OPTIONS", "/api/chat",
        headers={"origin": ORIGIN, "access-control-request-method": "POST"},
    )  # fmt: skip
    headers = app.resolve(pre, None)["multiValueHeaders"]
    assert "POST" in headers["Access-Control-Allow-Methods"][0]
    codes = [_post(app, {"question": "P/L"}, ip="10.9.9.9")[0] for _ in range(7)]
    assert codes[:5] == [200] * 5 and codes[-1] == 429
    status, body, headers = _post(app, {"question": "P/L"}, ip="10.9.9.9")
    assert body["error"] == "throttled" and int(headers["Retry-After"][0]) >= 1
    assert _post(app, {"question": "P/L"}, ip="10.9.9.8")[0] == 200  # per client


def test_api_scopes_to_the_run_in_the_body(seeded: tuple[str, Expected]) -> None:
    app = _app(seeded[0])
    _, body, _ = _post(app, {"question": f"trades this week in {OTHER_RUN}"}, ip="10.1.1.1")
    assert body["run_id"] == "live" and "other-nvda-1" not in json.dumps(body)
    _, body, _ = _post(app, {"question": "trades this week", "run": OTHER_RUN}, ip="10.1.1.2")
    assert body["run_id"] == OTHER_RUN and len(body["citations"]) == 1


def test_openapi_documents_the_post() -> None:
    doc = json.loads(
        openapi_json(create_app(ApiContext(queries=lambda: None, clock=ManualClock(NOW))))
    )  # type: ignore[arg-type,return-value]
    post = doc["paths"]["/api/chat"]["post"]
    assert set(post["responses"]) >= {"200", "404", "422", "429"}


@pytest.mark.parametrize("question", QUESTIONS)
def test_cli_prints_the_same_answer(
    seeded: tuple[str, Expected], question: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = seeded[0]
    now = NOW.isoformat()
    assert main(["ask", question, "--db", url, "--now", now, "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["citations"]
    _, api_body, _ = _post(_app(url), {"question": question}, ip="10.2.2.2")
    assert body["answer"] == api_body["answer"]
    assert main(["ask", question, "--db", url, "--now", now]) == 0
    text = capsys.readouterr().out
    assert text.startswith(body["answer"].splitlines()[0]) and "Sources: " in text


def test_cli_bad_input_is_one_line(
    seeded: tuple[str, Expected], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ask", "P/L", "--db", seeded[0], "--run", "nope"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: run='nope': no such run; GET /api/runs lists them"
    )
