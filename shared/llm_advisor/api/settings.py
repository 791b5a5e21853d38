"""The API's settings, read once per container from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from llm_advisor.core.config import load_environment
from llm_advisor.core.errors import ConfigError

DEFAULT_DB_URL = "sqlite:///data/llm_advisor.sqlite3"
DEFAULT_CORS_ORIGINS = ("http://127.0.0.1:8081", "http://localhost:8081")


def parse_origins(text: str, var: str = "ADVISOR_CORS_ORIGINS") -> tuple[str, ...]:
    """Comma-separated exact origins. ``*`` is refused: the page is the owner's, not anyone's."""
    out: list[str] = []
    for raw in text.split(","):
        origin = raw.strip().rstrip("/")
        if not origin:
            continue
        parts = urlsplit(origin)
        if origin == "*" or parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(
                f"{var}={text!r}: {origin!r} is not an origin like https://example.com"
            )
        if parts.path or parts.query or parts.fragment:
            raise ConfigError(f"{var}={text!r}: {origin!r} must not have a path")
        out.append(origin)
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class ApiSettings:
    db_url: str = DEFAULT_DB_URL
    cors_origins: tuple[str, ...] = DEFAULT_CORS_ORIGINS
    db_url_set: bool = True  # False: db_url is only the default (a secret may override it)
    db_secret_id: str = ""
    db_host: str = ""
    db_name: str = ""
    # Checked by the app itself (``make api``); deployed, API Gateway checks the key.
    api_key: str = ""
    account_run: str = "live"  # the live Lambdas' run (ADVISOR_RUN_ID), the default view

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ApiSettings:
        env = load_environment(env)  # the one reader: .env counts outside AWS
        origins = env.get("ADVISOR_CORS_ORIGINS")
        url = env.get("ADVISOR_DB_URL") or ""
        return cls(
            db_url=url or DEFAULT_DB_URL,
            cors_origins=DEFAULT_CORS_ORIGINS if origins is None else parse_origins(origins),
            db_url_set=bool(url),
            db_secret_id=env.get("ADVISOR_DB_SECRET_ID", ""),
            db_host=env.get("ADVISOR_DB_HOST", ""),
            db_name=env.get("ADVISOR_DB_NAME", ""),
            api_key=env.get("ADVISOR_API_KEY", ""),
            account_run=env.get("ADVISOR_RUN_ID") or "live",
        )
