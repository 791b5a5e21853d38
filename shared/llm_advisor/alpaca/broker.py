"""``BrokerPort`` on Alpaca (alpaca-py ``TradingClient``): bracket orders exactly once.

The deterministic ``client_order_id`` is the guard against duplicates: after any ambiguous
failure (timeout, dropped connection, 5xx, exhausted 429 retries) the adapter first asks
Alpaca whether the order exists under that id and only resubmits when it does not; a
resubmission that meets "client order id must be unique" (HTTP 422) returns the existing
order marked ``duplicate`` (so of racing executors only one reports the order as its own). A
retried Lambda or a restarted loop therefore can never open a second position.

Responses are read as raw JSON (``raw_data=True``) and mapped here, so a status or field
Alpaca adds later cannot break parsing of an order we must track.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

import requests

from llm_advisor.alpaca.http import RateLimiter, harden
from llm_advisor.alpaca.keys import AlpacaKeys
from llm_advisor.core.calendar import NY
from llm_advisor.core.config import LIVE_CONFIRMATION, AppSettings
from llm_advisor.core.errors import RejectedError, RetryableError
from llm_advisor.core.models import Side, TradePlan
from llm_advisor.core.money import round_down_cent, round_up_cent
from llm_advisor.core.ports import OPEN_ORDER_STATUSES, Account, BrokerOrder, BrokerPosition

log = logging.getLogger(__name__)

# Alpaca answers "client_order_id must be unique" (older API versions spelled it with spaces).
DUPLICATE_MESSAGE = "client order id must be unique"
PAGE_LIMIT = 500


def use_paper(settings: AppSettings) -> bool:
    """Paper unless live is asked for *and* confirmed with the second setting."""
    return settings.alpaca_paper or settings.alpaca_live_confirm != LIVE_CONFIRMATION


@dataclass(frozen=True)
class MarketClock:
    timestamp: datetime
    is_open: bool
    next_open: datetime
    next_close: datetime


@dataclass(frozen=True)
class MarketDay:
    day: date
    open: datetime
    close: datetime


def _dec(v: Any) -> Decimal | None:
    if v is None or v == "":
        return None
    return Decimal(str(v))


def _ts(v: Any) -> datetime | None:
    if not v:
        return None
    if isinstance(v, datetime):
        return v.astimezone(UTC)
    ts = datetime.fromisoformat(str(v).replace("Z", "+00:00"))
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _required_ts(d: dict[str, Any], key: str) -> datetime:
    ts = _ts(d.get(key))
    if ts is None:
        raise RetryableError(f"Alpaca answered without {key!r}: {d!r}")
    return ts


def _int(v: Any) -> int:
    return int(Decimal(str(v))) if v not in (None, "") else 0


def _leg_kind(
    d: dict[str, Any], parent_id: str | None
) -> Literal["entry", "stop", "target", "other"]:
    otype = d.get("order_type") or d.get("type")
    if parent_id is not None:
        if otype == "limit":
            return "target"
        if otype in ("stop", "stop_limit", "trailing_stop"):
            return "stop"
        return "other"
    return "entry" if d.get("order_class") in ("bracket", "oto", "oco") else "other"


def map_order(d: dict[str, Any], parent_id: str | None = None) -> list[BrokerOrder]:
    """An Alpaca order (with nested legs) -> the parent followed by its legs, flat."""
    side = str(d.get("side") or "buy")
    order = BrokerOrder(
        broker_order_id=str(d["id"]),
        client_order_id=str(d.get("client_order_id") or ""),
        symbol=str(d.get("symbol") or ""),
        side="sell" if side == "sell" else "buy",
        qty=_int(d.get("qty")),
        filled_qty=_int(d.get("filled_qty")),
        filled_avg_price=_dec(d.get("filled_avg_price")),
        status=str(d.get("status") or ""),
        order_type=str(d.get("order_type") or d.get("type") or "market"),
        order_class=str(d.get("order_class") or "simple"),
        leg=_leg_kind(d, parent_id),
        parent_id=parent_id,
        limit_price=_dec(d.get("limit_price")),
        stop_price=_dec(d.get("stop_price")),
        submitted_at=_ts(d.get("submitted_at")),
        filled_at=_ts(d.get("filled_at")),
    )
    out = [order]
    for leg in d.get("legs") or []:
        out.extend(map_order(leg, parent_id=order.broker_order_id))
    return out


def map_position(d: dict[str, Any]) -> BrokerPosition:
    qty = _int(d.get("qty"))
    if d.get("side") == "short" and qty > 0:
        qty = -qty
    return BrokerPosition(
        symbol=str(d["symbol"]),
        qty=qty,
        avg_entry_price=_dec(d.get("avg_entry_price")) or Decimal(0),
        market_value=_dec(d.get("market_value")),
        unrealized_pl=_dec(d.get("unrealized_pl")),
        current_price=_dec(d.get("current_price")),
    )


def _status(exc: Exception) -> int | None:
    code = getattr(exc, "status_code", None)
    return int(code) if code is not None else None


def _message(exc: Exception) -> str:
    try:
        return str(exc.message)  # type: ignore[attr-defined]
    except Exception:
        return str(exc)


def _duplicate(exc: Exception) -> bool:
    """Alpaca's refusal of a client order id it already has (either spelling)."""
    return DUPLICATE_MESSAGE in _message(exc).lower().replace("_", " ")


def _transient(exc: Exception) -> bool:
    """May the request have failed without effect, or with an effect we did not see?"""
    if isinstance(exc, requests.exceptions.RequestException):
        return True
    status = _status(exc)
    return status is None or status == 429 or status >= 500


class AlpacaBroker:
    """Alpaca trading adapter; ``sleep`` is injected so tests don't wait between retries."""

    def __init__(
        self,
        client: Any,
        *,
        max_attempts: int = 4,
        backoff_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.sleep = sleep
        self.last_close_failures: list[dict[str, Any]] = []

    @classmethod
    def connect(
        cls,
        keys: AlpacaKeys,
        settings: AppSettings,
        *,
        limiter: RateLimiter | None = None,
        timeout: float = 10.0,
        retry_wait_seconds: float = 3.0,
        sleep: Callable[[float], None] = time.sleep,
        backoff_seconds: float = 0.5,
    ) -> AlpacaBroker:
        from alpaca.trading.client import TradingClient

        paper = use_paper(settings)
        if not paper:
            log.warning("Alpaca LIVE trading: orders use real money")
        client = TradingClient(
            keys.api_key,
            keys.secret_key,
            paper=paper,
            raw_data=True,
            url_override=settings.alpaca_url_override,
        )
        harden(client, timeout=timeout, limiter=limiter, retry_wait_seconds=retry_wait_seconds)
        return cls(client, sleep=sleep, backoff_seconds=backoff_seconds)

    # ------------------------------------------------------------------ orders
    @staticmethod
    def bracket_request(plan: TradePlan) -> Any:
        from alpaca.trading.enums import OrderClass, OrderSide, TimeInForce
        from alpaca.trading.requests import MarketOrderRequest, StopLossRequest, TakeProfitRequest

        # Cent prices, rounded like the engine does: a long's down, a short's up (the stop
        # away from the entry, the target toward it); idempotent on already-rounded plans.
        rnd = round_down_cent if plan.side is Side.LONG else round_up_cent
        return MarketOrderRequest(
            symbol=plan.symbol,
            qty=plan.qty,
            side=OrderSide.BUY if plan.side is Side.LONG else OrderSide.SELL,
            time_in_force=TimeInForce.DAY,
            order_class=OrderClass.BRACKET,
            client_order_id=plan.client_order_id,
            take_profit=TakeProfitRequest(limit_price=rnd(plan.target_price)),
            stop_loss=StopLossRequest(stop_price=rnd(plan.stop_price)),
        )

    def submit_bracket(self, plan: TradePlan) -> BrokerOrder:
        """Submit once; on any doubt look the order up by its client order id first."""
        request = self.bracket_request(plan)
        cid = plan.client_order_id
        last: Exception | None = None
        for attempt in range(self.max_attempts):
            if attempt:
                self.sleep(self.backoff_seconds * 2 ** (attempt - 1))
                try:
                    existing = self.get_order(cid)
                except Exception as exc:  # the lookup itself failed: try again later
                    if not _transient(exc):
                        raise
                    last = exc
                    continue
                if existing is not None:
                    log.info("order %s found after an ambiguous failure", cid)
                    return existing
            try:
                return map_order(self.client.submit_order(request))[0]
            except Exception as exc:
                if _status(exc) == 422 and _duplicate(exc):
                    existing = self.get_order(cid)
                    if existing is None:  # pragma: no cover - Alpaca contradicting itself
                        raise RetryableError(f"order {cid}: duplicate id but not found") from exc
                    # Someone else's submission placed it (a racing executor, or our own
                    # earlier attempt that timed out): the caller must not count it as its own.
                    return existing.model_copy(update={"duplicate": True})
                if not _transient(exc):
                    raise RejectedError(
                        f"order {cid} ({plan.symbol} {plan.side.value} x{plan.qty}) rejected "
                        f"by Alpaca (HTTP {_status(exc)}): {_message(exc)}"
                    ) from exc
                log.warning("order %s attempt %d failed: %s", cid, attempt + 1, exc)
                last = exc
        raise RetryableError(
            f"order {cid}: no confirmation after {self.max_attempts} attempts ({last}); "
            "a retry is safe (the client order id prevents a duplicate)"
        )

    def get_order(self, client_order_id: str) -> BrokerOrder | None:
        bracket = self.get_bracket(client_order_id)
        return bracket[0] if bracket else None

    def get_bracket(self, client_order_id: str) -> list[BrokerOrder]:
        """The order and its legs (parent first), or [] if Alpaca has no such order."""
        try:
            raw = self.client.get_order_by_client_id(client_order_id)
        except Exception as exc:
            if _status(exc) == 404:
                return []
            raise
        orders = map_order(raw)
        if raw.get("legs") is None and raw.get("order_class") == "bracket":
            # by_client_order_id answers without legs on some API versions: ask by id.
            from alpaca.trading.requests import GetOrderByIdRequest

            full = self.client.get_order_by_id(raw["id"], GetOrderByIdRequest(nested=True))
            orders = map_order(full)
        return orders

    def list_orders(
        self,
        status: Literal["open", "closed", "all"] = "all",
        after: datetime | None = None,
    ) -> list[BrokerOrder]:
        """Every order and leg, flat (legs carry ``parent_id``), newest first.

        Always asks for ``status=all&nested=true`` and filters here: Alpaca's ``open``
        filter drops a filled bracket parent whose exit legs are still working.
        """
        from alpaca.trading.enums import QueryOrderStatus
        from alpaca.trading.requests import GetOrdersRequest

        out: list[BrokerOrder] = []
        until: datetime | None = None
        seen: set[str] = set()
        while True:
            req = GetOrdersRequest(
                status=QueryOrderStatus.ALL, nested=True, limit=PAGE_LIMIT, after=after, until=until
            )
            page = self.client.get_orders(req)
            fresh = [d for d in page if str(d["id"]) not in seen]
            for d in fresh:
                seen.add(str(d["id"]))
                out.extend(map_order(d))
            if len(page) < PAGE_LIMIT or not fresh:
                break
            until = min(
                _ts(d.get("submitted_at")) or datetime.max.replace(tzinfo=UTC) for d in fresh
            )
        if status == "open":
            return [o for o in out if o.status in OPEN_ORDER_STATUSES]
        if status == "closed":
            return [o for o in out if o.status not in OPEN_ORDER_STATUSES]
        return out

    def cancel_order(self, broker_order_id: str) -> bool:
        try:
            self.client.cancel_order_by_id(broker_order_id)
        except Exception as exc:
            if _status(exc) in (404, 422):  # already gone or not cancelable any more
                return False
            raise
        return True

    def cancel_all_orders(self) -> int:
        return len(self.client.cancel_orders() or [])

    def close_all_positions(self) -> int:
        """Cancel working orders (the bracket legs hold the shares) and liquidate."""
        result = self.client.close_all_positions(cancel_orders=True) or []
        ok = [r for r in result if int(r.get("status") or 0) < 300]
        self.last_close_failures = [r for r in result if int(r.get("status") or 0) >= 300]
        for failure in self.last_close_failures:
            log.error("close-all failed for %s: %s", failure.get("symbol"), failure.get("body"))
        return len(ok)

    def close_position(self, symbol: str) -> bool:
        """Cancel the symbol's working orders (they hold the shares), then liquidate it."""
        for o in self.list_orders("open"):
            if o.symbol == symbol:
                self.cancel_order(o.broker_order_id)  # False once its OCO sibling took it
        try:
            self.client.close_position(symbol)
        except Exception as exc:
            if _status(exc) == 404:
                return False
            raise
        return True

    # ------------------------------------------------------------------ account
    def list_positions(self) -> list[BrokerPosition]:
        return [map_position(d) for d in self.client.get_all_positions() or []]

    def account(self) -> Account:
        d = self.client.get_account()
        return Account(
            equity=_dec(d.get("equity")) or Decimal(0),
            cash=_dec(d.get("cash")) or Decimal(0),
            buying_power=_dec(d.get("buying_power")) or Decimal(0),
            trading_blocked=bool(d.get("trading_blocked") or d.get("account_blocked")),
            last_equity=_dec(d.get("last_equity")),
        )

    def clock(self) -> MarketClock:
        d = self.client.get_clock()
        return MarketClock(
            timestamp=_required_ts(d, "timestamp"),
            is_open=bool(d["is_open"]),
            next_open=_required_ts(d, "next_open"),
            next_close=_required_ts(d, "next_close"),
        )

    def is_market_open(self) -> bool:
        return self.clock().is_open

    def calendar(self, start: date, end: date) -> list[MarketDay]:
        from alpaca.trading.requests import GetCalendarRequest

        out = []
        for d in self.client.get_calendar(GetCalendarRequest(start=start, end=end)) or []:
            day = date.fromisoformat(str(d["date"]))
            out.append(
                MarketDay(
                    day=day,
                    open=_local(day, str(d["open"])),
                    close=_local(day, str(d["close"])),
                )
            )
        return out


def _local(day: date, hhmm: str) -> datetime:
    hh, mm = hhmm.split(":")[:2]
    return datetime(day.year, day.month, day.day, int(hh), int(mm), tzinfo=NY).astimezone(UTC)
