"""The engine's state as JSON: everything, so ``decode(encode(e))`` continues bit for bit.

The Lambda keeps this in DynamoDB between minutes, and a deploy can land mid-session, so a
state written by the previous release must load: the per-symbol columns come from the one
field list (``arrays.SymbolArrays``), the rest is listed here. Renaming or removing a key
means a new ``STATE_VERSION`` and a reader for the old one (``tests/engine/fixtures``
holds a version-1 state written before the package split). Unknown keys are ignored (the
tick stores its late-bar ``watch`` next to them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llm_advisor.core.calendar import Session, make_session
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import Advice
from llm_advisor.engine.book import SimPosition
from llm_advisor.engine.ids import iso_z, parse_ts
from llm_advisor.engine.sizing import SessionAccount
from llm_advisor.features.rolling import RollingStats

if TYPE_CHECKING:
    from llm_advisor.engine.facade import Engine

STATE_VERSION = 1


def session_for_config(day: date, cfg: StrategyConfig) -> Session:
    """The session on ``day`` with this config's window and flatten times placed on it."""
    return make_session(
        day, cfg.trading_window_start, cfg.trading_window_end, cfg.end_of_day_close_time
    )


def encode(eng: Engine) -> dict[str, Any]:
    sess = eng.session
    book = eng.book
    return {
        "version": STATE_VERSION,
        "config": eng.config.model_dump(mode="json"),
        "symbols": list(eng.symbols),
        "rolling": eng.rolling.to_state(),
        **eng.arrays.encode(),
        "atr5_warm": [list(w) for w in eng.atr5_warm],
        "starting_equity": str(eng.starting_equity),
        "realized": str(book.realized),
        "realized_today": str(book.realized_today),
        "day_start_equity": str(eng.day_start_equity),
        "account": None if eng.account is None else eng.account.to_dict(),
        "kill": eng.kill,
        "positions": [{"index": s, **book.positions[s].to_dict()} for s in sorted(book.positions)],
        "advices": [a.model_dump(mode="json") for a in eng.thresholds.advices],
        "session_day": sess.day.isoformat() if sess else None,
        "last_minute": iso_z(eng.last_minute) if eng.last_minute else None,
    }


def decode(eng: Engine, data: Mapping[str, Any]) -> None:
    """Load ``data`` into ``eng``, freshly built for its config and symbols."""
    eng.rolling = RollingStats.from_state(data["rolling"])
    eng.arrays.decode(dict(data))
    eng.atr5_warm = [list(map(float, w)) for w in data["atr5_warm"]]
    eng.starting_equity = Decimal(data["starting_equity"])
    eng.book.realized = Decimal(data["realized"])
    eng.book.realized_today = Decimal(data["realized_today"])
    eng.day_start_equity = Decimal(data["day_start_equity"])
    acct = data.get("account")  # absent in states saved before broker sizing
    eng.account = None if acct is None else SessionAccount.from_dict(acct)
    eng.kill = bool(data["kill"])
    eng.book.positions = {int(p["index"]): SimPosition.from_dict(p) for p in data["positions"]}
    eng.thresholds.advices = [Advice.model_validate(a) for a in data["advices"]]
    if data["session_day"]:
        eng.set_session(session_for_config(date.fromisoformat(data["session_day"]), eng.config))
    eng.last_minute = parse_ts(data["last_minute"]) if data["last_minute"] else None


def check_version(data: Mapping[str, Any]) -> StrategyConfig:
    if data.get("version") != STATE_VERSION:
        raise ValueError(f"engine state version={data.get('version')!r} is not supported")
    return StrategyConfig.model_validate(data["config"])
