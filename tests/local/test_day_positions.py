"""During a simulated day (real handlers, moto, the Alpaca stand-in) ``GET /api/positions``
shows what the broker holds at the monitor's minutes, and the day's closed positions are the
day's trades. Issue 12: the broker held up to 3 positions while the table had 0 rows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest

from llm_advisor.api.app import app_from_settings
from llm_advisor.api.proxy import proxy_event
from llm_advisor.api.settings import ApiSettings
from llm_advisor.core.clock import ManualClock
from llm_advisor.local import day as day_mod
from llm_advisor.local.day import LocalDayResult, local_run_id, run_local_day, synthetic_day_bars

DAY = date(2024, 3, 12)
SYMBOLS = ("SPY", "QQQ", "IWM", "NVDA", "TSLA")
HISTORY = 12
RUN = local_run_id(DAY)
SNAPSHOTS = 6  # API reads while the broker holds something (each costs a request)


@dataclass
class Seen:
    """At a monitor minute with an open broker position: the broker's and the API's view."""

    minutes: list[datetime] = field(default_factory=list)
    broker: list[list[tuple[str, int]]] = field(default_factory=list)
    api: list[list[dict[str, Any]]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


def _api(db_url: str, at: datetime) -> Any:
    return app_from_settings(ApiSettings(db_url=db_url), clock=ManualClock(at))


def call_app(app: Any, path: str, query: dict[str, str]) -> Any:
    """One API Gateway proxy event through the app: (status, JSON body)."""
    out = app.resolve(proxy_event("GET", f"{path}?{urlencode(query)}", headers={}), None)
    return SimpleNamespace(status=int(out["statusCode"]), json=json.loads(out["body"]))


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalDayResult, Seen, str]:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('positions') / 'advisor.sqlite3'}"
    seen = Seen()
    invoke = day_mod._Handlers.invoke

    def observed(self: Any, name: str, event: dict[str, Any]) -> dict[str, Any]:
        out = invoke(self, name, event)
        if name == "position_monitor" and len(seen.minutes) < SNAPSHOTS:
            held = self.container(name).broker.list_positions()
            if held:
                at = datetime.fromisoformat(event["scheduled_time"].replace("Z", "+00:00"))
                r = call_app(_api(db_url, at), "/api/positions", {"run": RUN})
                seen.minutes.append(at)
                seen.broker.append(sorted((p.symbol, p.qty) for p in held))
                seen.api.append(r.json["items"])
                seen.statuses.append(r.status)
        return out

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(day_mod._Handlers, "invoke", observed)
        result = run_local_day(
            DAY,
            SYMBOLS,
            db_url=db_url,
            history_sessions=HISTORY,
            bars=synthetic_day_bars(DAY, SYMBOLS, 7, HISTORY),
        )
    return result, seen, db_url


def test_open_positions_are_served_while_the_broker_holds_them(
    day: tuple[LocalDayResult, Seen, str],
) -> None:
    _, seen, _ = day
    assert seen.minutes, "the simulated day must hold a position at some monitor minute"
    assert set(seen.statuses) == {200}
    for broker, items in zip(seen.broker, seen.api, strict=True):
        assert items, "GET /api/positions was empty while the broker held a position"
        signed = sorted((i["symbol"], i["qty"] * (1 if i["side"] == "long" else -1)) for i in items)
        assert signed == broker
        for i in items:
            assert i["status"] == "open" and i["client_order_id"].startswith("stdev-")
            assert i["stop_price"] is not None and i["target_price"] is not None
            assert i["stop_status"] in ("held", "new", "accepted")
            assert i["mark_price"] is not None and i["unrealized_pnl"] is not None


def test_the_days_closed_positions_are_its_trades_and_nothing_stays_open(
    day: tuple[LocalDayResult, Seen, str],
) -> None:
    result, _, db_url = day
    end = datetime(2024, 3, 12, 21, 0, tzinfo=UTC)
    api = _api(db_url, end)
    closed = call_app(api, "/api/positions", {"run": RUN, "status": "closed", "date": "2024-03-12"})
    assert closed.status == 200, closed.json
    got = sorted(
        (
            i["symbol"],
            i["side"],
            i["qty"],
            Decimal(i["entry_price"]),
            Decimal(i["exit_price"]),
            i["exit_reason"],
            Decimal(i["realized_pnl"]),
            i["client_order_id"],
        )
        for i in closed.json["items"]
    )
    expected = sorted(
        (
            t.symbol,
            t.side.value,
            t.qty,
            t.entry_price,
            t.exit_price,
            t.exit_reason.value,
            t.pnl,
            t.client_order_id,
        )
        for t in result.trades
    )
    assert len(expected) >= 4 and got == expected
    assert call_app(api, "/api/positions", {"run": RUN}).json["items"] == []
