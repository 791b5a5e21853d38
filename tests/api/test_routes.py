"""Every route through an API Gateway REST proxy event, over the in-memory fake."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from llm_advisor.core.clock import ManualClock

from .conftest import PAGE_ORIGIN, Caller
from .fakes import FakePortfolio

MONEY = re.compile(r"^-?\d+\.\d{2,}$")
UTC_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def test_health_reports_ok_with_time_from_the_clock(call: Caller) -> None:
    r = call("/api/health")
    assert r.status == 200
    assert r.json == {
        "status": "ok",
        "database": "ok",
        "time": "2024-03-06T21:30:00Z",
        "version": "0.1.0",
    }


def test_health_is_503_when_the_database_fails(call: Caller, fake: FakePortfolio) -> None:
    fake.fail_with = ConnectionError("could not connect to server at 10.0.0.5")
    r = call("/api/health")
    assert r.status == 503
    assert r.json["status"] == "degraded" and r.json["database"] == "unavailable"
    assert "10.0.0.5" not in r.text


def test_daily_bias_defaults_to_today_in_new_york(
    call: Caller, fake: FakePortfolio, clock: ManualClock
) -> None:
    # 01:00 UTC on the 7th is still the 6th in New York (20:00 EST).
    clock.set(datetime(2024, 3, 7, 1, 0, tzinfo=UTC))
    r = call("/api/daily-bias")
    assert r.status == 200
    assert r.json["date"] == "2024-03-06"
    assert [b["symbol"] for b in r.json["items"]] == ["SPY", "QQQ"]
    assert fake.calls[-1] == ("daily_bias", (date(2024, 3, 6), None))


def test_daily_bias_by_symbol_has_explicit_nulls(call: Caller) -> None:
    r = call("/api/daily-bias", {"date": "2024-03-06", "symbol": "SPY"})
    assert r.status == 200
    assert r.json == {
        "date": "2024-03-06",
        "symbol": "SPY",
        "items": [
            {
                "date": "2024-03-06",
                "symbol": "SPY",
                "bias": "bullish",
                "confidence": 0.62,
                "htf_bias": None,
                "news_summary": None,
                "model_version": None,
            }
        ],
    }


def test_trades_page_money_as_strings_and_utc_times(call: Caller) -> None:
    r = call("/api/trades", {"start_date": "2024-03-01", "end_date": "2024-03-06", "limit": "2"})
    assert r.status == 200
    body = r.json
    assert (body["total"], body["limit"], body["offset"], body["next_offset"]) == (5, 2, 0, 2)
    assert [t["id"] for t in body["items"]] == [1, 2]
    t = body["items"][0]
    for k in ("entry_price", "exit_price", "pnl", "commission"):
        assert isinstance(t[k], str) and MONEY.match(t[k]), (k, t[k])
    for k in ("signal_time", "entry_time", "exit_time"):
        assert UTC_TIME.match(t[k]), (k, t[k])
    assert t["pnl"] == "120.50"


def test_trades_last_page_has_null_next_offset(call: Caller) -> None:
    r = call("/api/trades", {"start_date": "2024-03-01", "limit": "2", "offset": "4"})
    assert r.status == 200
    assert [t["id"] for t in r.json["items"]] == [5]
    assert r.json["next_offset"] is None


def test_trades_default_range_is_30_days_to_today_ny(call: Caller, fake: FakePortfolio) -> None:
    r = call("/api/trades", {"symbol": "SPY"})
    assert r.status == 200
    assert (r.json["start_date"], r.json["end_date"]) == ("2024-02-06", "2024-03-06")
    assert fake.calls[-1] == ("trades", (date(2024, 2, 6), date(2024, 3, 6), "SPY", 100, 0))
    assert {t["symbol"] for t in r.json["items"]} == {"SPY"}


def test_pnl_totals_drawdown_and_curve(call: Caller, fake: FakePortfolio) -> None:
    r = call("/api/pnl", {"start_date": "2024-03-01", "end_date": "2024-03-31"})
    assert r.status == 200
    p = r.json
    total = sum(t.pnl for t in fake.trade_rows)
    assert Decimal(p["total_realized"]) == total == Decimal("55.40")
    assert p["total_realized"] == "55.40"
    assert p["total_fees"] == "5.00"
    assert p["trades"] == 5 and p["win_rate"] == pytest.approx(0.6)
    # peak 100120.50 after trade 1, trough 99980.25 after trade 3
    assert p["max_drawdown"] == "140.25"
    assert [d["date"] for d in p["days"]] == ["2024-03-04", "2024-03-05", "2024-03-06"]
    assert [d["realized"] for d in p["days"]] == ["80.25", "-100.00", "75.15"]
    assert p["equity_curve"][-1]["equity"] == "100055.40"


def test_pnl_without_trades_has_null_win_rate(call: Caller) -> None:
    r = call("/api/pnl", {"start_date": "2023-01-02", "end_date": "2023-01-31"})
    assert r.status == 200
    assert r.json["win_rate"] is None and r.json["trades"] == 0 and r.json["days"] == []


def test_positions_with_unrealized_total_over_marked_only(call: Caller) -> None:
    r = call("/api/positions")
    assert r.status == 200
    body = r.json
    assert body["as_of"] == "2024-03-06T21:30:00Z"
    assert [p["symbol"] for p in body["items"]] == ["TSLA", "IWM"]
    assert body["items"][1]["mark_price"] is None and body["items"][1]["unrealized_pnl"] is None
    assert body["total_unrealized_pnl"] == "3.75"


def test_positions_total_is_null_without_marks(call: Caller, fake: FakePortfolio) -> None:
    fake.positions = fake.positions[1:]
    assert call("/api/positions").json["total_unrealized_pnl"] is None


def test_market_analysis_latest_and_at_or_before(call: Caller, fake: FakePortfolio) -> None:
    latest = call("/api/market-analysis").json
    assert latest["at"] is None
    assert latest["analysis"]["provider"] == "bedrock"
    assert latest["analysis"]["multipliers"] == {
        "mr_arm": 1.2,
        "mr_trigger": 1.15,
        "tc_arm": 0.9,
        "tc_trigger": 0.95,
    }
    assert latest["analysis"]["per_symbol"] == {"SPY": {"mr_arm": 1.3}}
    # 10:50 New York = 14:50 UTC: the 14:45 one.
    r = call("/api/market-analysis", {"timestamp": "2024-03-06T09:50:00-05:00"})
    assert r.status == 200
    assert r.json["at"] == "2024-03-06T14:50:00Z"
    assert r.json["analysis"]["timestamp"] == "2024-03-06T14:45:00Z"
    assert fake.calls[-1] == ("latest_analysis", (datetime(2024, 3, 6, 14, 50, tzinfo=UTC),))


def test_market_analysis_is_null_before_the_first(call: Caller) -> None:
    r = call("/api/market-analysis", {"timestamp": "2024-01-01T00:00:00Z"})
    assert r.status == 200 and r.json["analysis"] is None


def test_signals_page_with_thresholds(call: Caller, fake: FakePortfolio) -> None:
    r = call("/api/signals", {"start_date": "2024-03-01", "limit": "3"})
    assert r.status == 200
    body = r.json
    assert len(body["items"]) == 3 and body["next_offset"] == 3
    s = body["items"][0]
    assert s["thresholds"] == {
        "mr_arm_z": 2.0,
        "mr_trigger_z": 1.5,
        "tc_arm_z": 2.5,
        "tc_trigger_z": 2.0,
    }
    assert s["ref_price"] == "100.10" and s["target_price"] is None
    # asks one extra row to know whether there is a next page
    assert fake.calls[-1][1][3] == 4
    last = call("/api/signals", {"start_date": "2024-03-01", "limit": "3", "offset": "3"}).json
    assert len(last["items"]) == 2 and last["next_offset"] is None


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/trades", {"start_date": "2024-13-01"}, "start_date"),
        ("/api/trades", {"end_date": "yesterday"}, "end_date"),
        ("/api/trades", {"symbol": "spy"}, "symbol"),
        ("/api/trades", {"symbol": "SPY;DROP TABLE"}, "symbol"),
        ("/api/trades", {"limit": "0"}, "limit"),
        ("/api/trades", {"limit": "501"}, "limit"),
        ("/api/trades", {"offset": "-1"}, "offset"),
        ("/api/signals", {"limit": "ten"}, "limit"),
        ("/api/daily-bias", {"date": "06/03/2024"}, "date"),
        ("/api/market-analysis", {"timestamp": "2024-03-06T10:00:00"}, "timestamp"),
        ("/api/market-analysis", {"timestamp": "noon"}, "timestamp"),
    ],
)
def test_malformed_parameters_are_422_naming_the_field(
    call: Caller, fake: FakePortfolio, path: str, query: dict[str, str], field: str
) -> None:
    r = call(path, query)
    assert r.status == 422, r.text
    body = r.json
    assert body["error"] == "validation_error"
    assert [f["field"] for f in body["fields"]] == [field]
    assert field in body["message"]
    assert body["request_id"] == "test-req-1"
    assert not [c for c in fake.calls if c[0] != "ping"], "the database must not be asked"


@pytest.mark.parametrize(
    ("path", "query", "field", "words"),
    [
        (
            "/api/trades",
            {"start_date": "2024-03-09", "end_date": "2024-03-01"},
            "start_date",
            "after end_date",
        ),
        (
            "/api/pnl",
            {"start_date": "2010-01-01", "end_date": "2024-03-01"},
            "start_date",
            "longer than",
        ),
        ("/api/signals", {"end_date": "1900-01-01"}, "end_date", "outside"),
        ("/api/daily-bias", {"date": "0001-01-01"}, "date", "outside"),
        (
            "/api/market-analysis",
            {"timestamp": "0001-01-01T00:00:00+05:00"},
            "timestamp",
            "out of range",
        ),
    ],
)
def test_inconsistent_parameters_are_400_naming_the_field(
    call: Caller, path: str, query: dict[str, str], field: str, words: str
) -> None:
    r = call(path, query)
    assert r.status == 400, r.text
    assert r.json["error"] == "bad_request"
    assert r.json["fields"][0]["field"] == field
    assert words in r.json["message"] and field in r.json["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/nope"),
        ("GET", "/"),
        ("POST", "/api/trades"),
        ("DELETE", "/api/pnl"),
        ("GET", "/api/trades/1"),
    ],
)
def test_unknown_routes_are_404_json(call: Caller, method: str, path: str) -> None:
    r = call(path, method=method)
    assert r.status == 404
    assert r.headers["content-type"] == "application/json"
    assert r.json["error"] == "not_found"


def test_query_layer_user_error_is_a_500_not_echoed(call: Caller, fake: FakePortfolio) -> None:
    # Parameters are validated before the query layer runs, so a UserError from it is a
    # configuration or connection problem whose text names hosts: never shown to clients.
    from llm_advisor.core.errors import UserError

    fake.fail_with = UserError("database url='postgresql://ro@10.1.2.3/x': cannot connect")
    r = call("/api/trades")
    assert r.status == 500 and "10.1.2.3" not in r.text and "postgresql" not in r.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/trades",
        "/api/pnl",
        "/api/positions",
        "/api/market-analysis",
        "/api/signals",
        "/api/daily-bias",
    ],
)
def test_unexpected_failure_is_generic_500_without_internals(
    call: Caller, fake: FakePortfolio, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_with = RuntimeError(
        'psycopg.errors.UndefinedTable: relation "trades" does not exist '
        "LINE 1: SELECT id, pnl FROM trades WHERE exit_date >= $1"
    )
    r = call(path)
    assert r.status == 500
    assert r.json == {
        "status": 500,
        "error": "internal_error",
        "message": "internal server error; quote the request_id when reporting it",
        "fields": [],
        "request_id": "test-req-1",
    }
    for leak in ("SELECT", 'trades"', "psycopg", "Traceback", 'File "', ".py"):
        assert leak not in r.text
    # ...but the operator's log has the details and the same request id
    assert "test-req-1" in caplog.text and "UndefinedTable" in caplog.text


def test_debug_env_does_not_turn_500_into_a_traceback(
    call: Caller, fake: FakePortfolio, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_DEV", "true")
    fake.fail_with = ZeroDivisionError("division by zero")
    r = call("/api/pnl")
    assert r.status == 500 and "Traceback" not in r.text and "division" not in r.text


# ------------------------------------------------------------------ CORS


def test_cors_headers_only_for_a_configured_origin(call: Caller) -> None:
    ok = call("/api/health", headers={"Origin": PAGE_ORIGIN})
    assert ok.headers["access-control-allow-origin"] == PAGE_ORIGIN
    for origin in ("http://evil.example", "http://127.0.0.1:8082", "null"):
        r = call("/api/health", headers={"Origin": origin})
        assert r.status == 200
        assert not [h for h in r.headers if h.startswith("access-control-")], origin
    assert "access-control-allow-origin" not in call("/api/health").headers


def test_cors_on_errors_too_so_the_page_can_read_them(call: Caller) -> None:
    r = call("/api/trades", {"limit": "0"}, headers={"Origin": PAGE_ORIGIN})
    assert r.status == 422 and r.headers["access-control-allow-origin"] == PAGE_ORIGIN


def test_preflight_allows_get_for_configured_origin_only(call: Caller) -> None:
    hdr = {"Origin": PAGE_ORIGIN, "Access-Control-Request-Method": "GET"}
    r = call("/api/trades", method="OPTIONS", headers=hdr)
    assert r.status == 204
    assert r.headers["access-control-allow-origin"] == PAGE_ORIGIN
    assert "GET" in r.headers["access-control-allow-methods"]
    bad = call("/api/trades", method="OPTIONS", headers={**hdr, "Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in bad.headers
