"""Alpaca API keys from the environment, with an error that names the missing variable.

The environment is ``load_environment``'s: the process environment and, outside AWS, the
``.env`` file in the working directory (docs/alpaca.md). Both naming schemes are accepted:
``ALPACA_API_KEY``/``ALPACA_SECRET_KEY`` (this project's docs) and
``APCA_API_KEY_ID``/``APCA_API_SECRET_KEY`` (Alpaca's own tools).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from llm_advisor.core.config import load_environment
from llm_advisor.core.errors import ConfigError

KEY_VARS = ("ALPACA_API_KEY", "APCA_API_KEY_ID")
SECRET_VARS = ("ALPACA_SECRET_KEY", "APCA_API_SECRET_KEY")


@dataclass(frozen=True)
class AlpacaKeys:
    api_key: str
    secret_key: str

    def __repr__(self) -> str:  # never print a secret
        return f"AlpacaKeys(api_key={self.api_key[:4]}..., secret_key=***)"


def _first(env: Mapping[str, str], names: tuple[str, ...]) -> str:
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return value
    return ""


def keys_from_env(env: Mapping[str, str] | None = None) -> AlpacaKeys:
    """Read the keys; a missing one is a ``ConfigError`` naming the variable to set."""
    source = load_environment(env)
    key = _first(source, KEY_VARS)
    secret = _first(source, SECRET_VARS)
    if not key:
        raise ConfigError(
            "ALPACA_API_KEY is not set (or APCA_API_KEY_ID): export your Alpaca paper key "
            "or put it in .env in the working directory, see docs/alpaca.md"
        )
    if not secret:
        raise ConfigError(
            "ALPACA_SECRET_KEY is not set (or APCA_API_SECRET_KEY): export your Alpaca paper "
            "secret or put it in .env in the working directory, see docs/alpaca.md"
        )
    return AlpacaKeys(key, secret)
