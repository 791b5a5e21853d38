"""Secrets Manager reader: JSON secrets read once per container.

Secrets (Alpaca keys, database credentials) never come from environment variables in the
deployment; the function's role may read exactly the secrets it needs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from llm_advisor.aws.clients import LazyClient
from llm_advisor.core.errors import ConfigError


class SecretsReader:
    def __init__(self, region: str | None = None, *, endpoint_url: str | None = None) -> None:
        self._client = LazyClient("secretsmanager", region, endpoint_url)
        self._cache: dict[str, dict[str, Any]] = {}

    def get_json(self, secret_id: str) -> dict[str, Any]:
        """The secret's JSON object; ConfigError naming the secret (never its value)."""
        if not secret_id:
            raise ConfigError("secret id is empty: set the *_SECRET_ID variable")
        cached = self._cache.get(secret_id)
        if cached is not None:
            return cached
        client = self._client.get()
        try:
            resp = client.get_secret_value(SecretId=secret_id)
        except client.exceptions.ResourceNotFoundException:
            raise ConfigError(f"secret {secret_id!r} does not exist") from None
        try:
            data = json.loads(resp.get("SecretString") or "")
        except json.JSONDecodeError:
            raise ConfigError(f"secret {secret_id!r} is not a JSON object") from None
        if not isinstance(data, dict):
            raise ConfigError(f"secret {secret_id!r} is not a JSON object")
        self._cache[secret_id] = data
        return data


def postgres_url_from_secret(secret: Mapping[str, Any], host: str = "", dbname: str = "") -> str:
    """A libpq URL (TLS required) from an RDS-style secret; an explicit host (the RDS Proxy
    endpoint) wins over the secret's own. Errors name the missing field, never a value."""
    try:
        user = quote(str(secret["username"]), safe="")
        password = quote(str(secret["password"]), safe="")
    except KeyError as exc:
        raise ConfigError(f"database secret lacks the {exc.args[0]!r} field") from None
    h = host or str(secret.get("host") or "")
    if not h:
        raise ConfigError("database host unknown: set ADVISOR_DB_HOST or 'host' in the secret")
    port = int(secret.get("port") or 5432)
    name = dbname or str(secret.get("dbname") or "postgres")
    return f"postgresql://{user}:{password}@{h}:{port}/{name}?sslmode=require"
