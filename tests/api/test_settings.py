"""Settings read from the environment, and the Lambda entry point's wiring."""

from __future__ import annotations

import pytest

from llm_advisor.api.settings import (
    DEFAULT_CORS_ORIGINS,
    DEFAULT_DB_URL,
    ApiSettings,
    parse_origins,
)
from llm_advisor.core.errors import ConfigError


def test_defaults() -> None:
    s = ApiSettings.from_env({})
    assert s.db_url == DEFAULT_DB_URL == "sqlite:///data/llm_advisor.sqlite3"
    assert (
        s.cors_origins == DEFAULT_CORS_ORIGINS == ("http://127.0.0.1:8081", "http://localhost:8081")
    )


def test_origins_are_split_trimmed_and_deduplicated() -> None:
    s = ApiSettings.from_env(
        {
            "ADVISOR_CORS_ORIGINS": " https://me.example/ ,https://me.example,http://localhost:3000",
            "ADVISOR_DB_URL": "postgresql://llm_advisor_readonly@db:5432/advisor",
        }
    )
    assert s.cors_origins == ("https://me.example", "http://localhost:3000")
    assert s.db_url.startswith("postgresql://llm_advisor_readonly@")


def test_empty_origins_disable_cors() -> None:
    assert ApiSettings.from_env({"ADVISOR_CORS_ORIGINS": ""}).cors_origins == ()


@pytest.mark.parametrize("bad", ["*", "me.example", "https://me.example/path", "ftp://x.example"])
def test_bad_origins_fail_naming_the_variable(bad: str) -> None:
    with pytest.raises(ConfigError, match="ADVISOR_CORS_ORIGINS"):
        parse_origins(bad)


def test_db_url_wins_over_the_secret() -> None:
    from llm_advisor.api.database import database_url

    s = ApiSettings.from_env(
        {"ADVISOR_DB_URL": "sqlite:///x.sqlite3", "ADVISOR_DB_SECRET_ID": "arn:secret"}
    )
    assert database_url(s, reader=lambda _id: pytest.fail("secret must not be read")) == (
        "sqlite:///x.sqlite3"
    )


def test_secret_builds_the_postgres_url_with_the_proxy_host() -> None:
    from llm_advisor.api.database import database_url

    s = ApiSettings.from_env(
        {
            "ADVISOR_DB_SECRET_ID": "arn:ro",
            "ADVISOR_DB_HOST": "proxy.aws",
            "ADVISOR_DB_NAME": "advisor",
        }
    )
    seen: list[str] = []

    def reader(secret_id: str) -> dict[str, object]:
        seen.append(secret_id)
        return {
            "username": "llm_advisor_readonly",
            "password": "p@ss/w",
            "host": "db.aws",
            "port": 5432,
        }

    assert database_url(s, reader) == (
        "postgresql://llm_advisor_readonly:p%40ss%2Fw@proxy.aws:5432/advisor?sslmode=require"
    )
    assert seen == ["arn:ro"]


def test_neither_gives_the_local_default() -> None:
    from llm_advisor.api.database import database_url

    assert database_url(ApiSettings.from_env({})) == DEFAULT_DB_URL


def test_secret_without_password_names_the_field() -> None:
    from llm_advisor.aws.secrets import postgres_url_from_secret

    with pytest.raises(ConfigError, match="password"):
        postgres_url_from_secret({"username": "u", "host": "h"})
