"""Strategy configuration and application settings, validated once at start-up.

Every number of ``spec/strategy.md`` is a field here with its allowed range, so a typo in an
environment variable or a ``--set key=value`` fails at start with the variable's name, its
value and the range instead of trading with a silly threshold. ``StrategyConfig`` is frozen
and rejects unknown keys: it is part of a run's identity (its hash is stored with each run).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from llm_advisor.core.errors import ConfigError

ENV_PREFIX = "ADVISOR_"
DEFAULT_WATCHLIST = ("SPY", "QQQ", "IWM", "NVDA", "TSLA")
LIVE_CONFIRMATION = "I-UNDERSTAND-THIS-IS-REAL-MONEY"


def _range_text(info: Mapping[str, Any]) -> str:
    lo = info.get("ge", info.get("gt"))
    hi = info.get("le", info.get("lt"))
    if lo is not None and hi is not None:
        return f"{lo}..{hi}"
    if lo is not None:
        return f">= {lo}" if "ge" in info else f"> {lo}"
    if hi is not None:
        return f"<= {hi}" if "le" in info else f"< {hi}"
    return ""


def format_validation_error(
    model: type[BaseModel], err: ValidationError, source_names: Mapping[str, str] | None = None
) -> str:
    """One line per problem: which variable, which value, what is allowed."""
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(model)"
        top = str(e["loc"][0]) if e["loc"] else ""
        name = (source_names or {}).get(top, loc)
        value = e.get("input")
        allowed = ""
        field = model.model_fields.get(top)
        if field is not None:
            bounds: dict[str, Any] = {}
            for m in field.metadata:
                for key in ("ge", "gt", "le", "lt"):
                    if getattr(m, key, None) is not None:
                        bounds[key] = getattr(m, key)
            rng = _range_text(bounds)
            if rng:
                allowed = f"; allowed range {rng}"
            if field.description:
                allowed += f" ({field.description})"
        lines.append(f"{name}={value!r}: {e['msg']}{allowed}")
    return "; ".join(lines)


def _parse_hhmm(v: Any) -> Any:
    if isinstance(v, str):
        try:
            parts = v.strip().split(":")
            if len(parts) not in (2, 3):
                raise ValueError(v)
            return time(int(parts[0]), int(parts[1]), int(parts[2]) if len(parts) == 3 else 0)
        except ValueError as exc:
            raise ValueError(f"expected HH:MM, got {v!r}") from exc
    return v


class StrategyConfig(BaseModel):
    """The STDEV strategy's parameters (spec v1.1 defaults). Times are America/New_York."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Features
    rolling_window: int = Field(120, ge=10, le=2000, description="W, one-minute closes")
    min_periods: int = Field(60, ge=2, le=2000, description="closes before z is defined")
    sigma_epsilon: float = Field(
        1e-9, ge=0, le=1e-3, description="z undefined if sigma <= eps*|mu|"
    )
    atr_period: int = Field(14, ge=2, le=100)
    ema_span: int = Field(20, ge=2, le=500)
    band_bars_5m: int = Field(120, ge=14, le=2000, description="five-minute bars in the bands")
    # Thresholds
    mr_arm_z: float = Field(1.2, gt=0, le=10)
    mr_trigger_z: float = Field(0.6, ge=0, le=10)
    tc_arm_z: float = Field(1.8, gt=0, le=10)
    tc_trigger_z: float = Field(0.6, ge=0, le=10)
    mr_abort_z: float = Field(3.0, gt=0, le=20)
    multiplier_min: float = Field(0.5, gt=0, le=1)
    multiplier_max: float = Field(1.5, ge=1, le=5)
    # Risk and sizing
    atr_multiplier_sl: float = Field(1.4, gt=0, le=20)
    min_rr_ratio: float = Field(1.5, gt=0, le=20)
    max_risk_per_trade: float = Field(1.0, gt=0, le=5, description="percent of equity")
    max_position_pct: float = Field(25.0, gt=0, le=100, description="percent of equity")
    atr_percentile_cap: float = Field(85.0, ge=0, le=100)
    buying_power_multiplier: float = Field(4.0, gt=0, le=10)
    daily_loss_limit_pct: float = Field(
        2.0, gt=0, le=100, description="percent of start-of-day equity"
    )
    max_open_positions: int = Field(5, ge=1, le=1000)
    # Timers
    arm_timeout_bars: int = Field(30, ge=1, le=390)
    cooldown_bars: int = Field(5, ge=1, le=390)
    max_trades_per_symbol: int = Field(3, ge=1, le=100)
    # Session
    trading_window_start: time = time(9, 30)
    trading_window_end: time = time(12, 0)
    end_of_day_close_time: time = time(15, 50)
    # Analysis
    analysis_interval_minutes: int = Field(15, ge=5, le=60, description="minutes")
    analysis_first_time: time = time(9, 45)
    # Broker simulation
    starting_equity: float = Field(100_000.0, gt=0, le=1e12)
    slippage_bps: float = Field(0.0, ge=0, le=500)
    commission_per_share: float = Field(0.0, ge=0, le=1)
    # Trade validation
    validation_enabled: bool = False
    validation_failure_policy: Literal["allow", "reject"] = "allow"

    _times = field_validator(
        "trading_window_start",
        "trading_window_end",
        "end_of_day_close_time",
        "analysis_first_time",
        mode="before",
    )(_parse_hhmm)

    @model_validator(mode="after")
    def _consistent(self) -> StrategyConfig:
        if self.min_periods > self.rolling_window:
            raise ValueError(
                f"min_periods={self.min_periods} must be <= rolling_window={self.rolling_window}"
            )
        if self.trading_window_start >= self.trading_window_end:
            raise ValueError("trading_window_start must be before trading_window_end")
        if not (self.mr_trigger_z < self.mr_arm_z < self.mr_abort_z):
            raise ValueError("need mr_trigger_z < mr_arm_z < mr_abort_z")
        return self

    def config_hash(self) -> str:
        """Stable short hash of every parameter: identifies a run's configuration."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def with_overrides(self, overrides: Mapping[str, str]) -> StrategyConfig:
        """Apply ``--set key=value`` overrides; unknown keys and bad values are ConfigErrors."""
        unknown = sorted(k for k in overrides if k not in type(self).model_fields)
        if unknown:
            raise ConfigError(
                f"unknown strategy setting(s) {', '.join(unknown)}; known: "
                + ", ".join(sorted(type(self).model_fields))
            )
        data = self.model_dump()
        data.update(overrides)
        try:
            return type(self).model_validate(data)
        except ValidationError as exc:
            raise ConfigError(format_validation_error(type(self), exc)) from None


def parse_set_args(items: list[str] | None) -> dict[str, str]:
    """``["a=1", "b=x"]`` -> ``{"a": "1", "b": "x"}`` with a clear error for a missing '='."""
    out: dict[str, str] = {}
    for item in items or []:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected key=value")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def read_dotenv(path: Path) -> dict[str, str]:
    """Minimal .env reader (KEY=VALUE lines, # comments, optional quotes)."""
    out: dict[str, str] = {}
    if not path.exists():
        return out
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        k, v = line.split("=", 1)
        out[k.strip()] = v.strip().strip("'\"")
    return out


def strategy_from_env(env: Mapping[str, str]) -> StrategyConfig:
    """Build the strategy config from ``ADVISOR_<FIELD>`` variables."""
    values: dict[str, str] = {}
    names: dict[str, str] = {}
    for field in StrategyConfig.model_fields:
        var = ENV_PREFIX + field.upper()
        names[field] = var
        if var in env:
            values[field] = env[var]
    try:
        return StrategyConfig.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(StrategyConfig, exc, names)) from None


class AppSettings(BaseModel):
    """Application settings (adapters, endpoints, names) from ``ADVISOR_*`` variables."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    watchlist: tuple[str, ...] = DEFAULT_WATCHLIST
    analyst: Literal["rules", "bedrock", "anthropic", "replay", "neutral"] = "rules"
    bedrock_model_id: str = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    anthropic_model: str = "claude-haiku-4-5"
    aws_region: str = "us-east-1"
    db_url: str = "sqlite:///data/llm_advisor.sqlite3"
    alpaca_paper: bool = True
    alpaca_live_confirm: str = ""
    alpaca_feed: Literal["iex", "sip"] = "iex"
    alpaca_url_override: str | None = None
    state_table: str = "llm-advisor-state"
    signal_queue_url: str = ""
    archive_bucket: str = ""
    llm_daily_budget_usd: float = Field(1.0, ge=0, le=1000, description="US dollars per day")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("watchlist", mode="before")
    @classmethod
    def _split_watchlist(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = [s for s in (p.strip().upper() for p in v.split(",")) if s]
        return v

    @field_validator("watchlist")
    @classmethod
    def _symbols_ok(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        from llm_advisor.core.models import validate_symbol

        if not v:
            raise ValueError("watchlist is empty")
        return tuple(validate_symbol(s) for s in v)

    @model_validator(mode="after")
    def _live_needs_confirmation(self) -> AppSettings:
        if not self.alpaca_paper and self.alpaca_live_confirm != LIVE_CONFIRMATION:
            raise ValueError(
                f"ADVISOR_ALPACA_PAPER=false needs ADVISOR_ALPACA_LIVE_CONFIRM={LIVE_CONFIRMATION}"
            )
        return self


def settings_from_env(env: Mapping[str, str] | None = None) -> AppSettings:
    """Read ``AppSettings`` from the environment (and ``.env`` in the working directory)."""
    if env is None:
        merged = read_dotenv(Path(".env"))
        merged.update(os.environ)
        env = merged
    values: dict[str, str] = {}
    names: dict[str, str] = {}
    for field in AppSettings.model_fields:
        var = ENV_PREFIX + field.upper()
        names[field] = var
        if var in env:
            values[field] = env[var]
    try:
        return AppSettings.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(AppSettings, exc, names)) from None
