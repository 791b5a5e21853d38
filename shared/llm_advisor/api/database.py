"""Which database the API reads, from the environment, resolved on first use.

Locally ``ADVISOR_DB_URL`` names it. In AWS the template passes a Secrets Manager id
(``ADVISOR_DB_SECRET_ID``, RDS-style JSON: username, password, host, port, dbname) and the
RDS Proxy endpoint (``ADVISOR_DB_HOST``); the secret is read only when the first request
needs the database, so a cold start that serves a 404 or a preflight never calls AWS. For
the API that secret should be the read-only role's (``llm_advisor_readonly``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from llm_advisor.api.settings import ApiSettings
from llm_advisor.aws.secrets import postgres_url_from_secret

SecretReader = Callable[[str], Mapping[str, Any]]


def read_secret(secret_id: str) -> Mapping[str, Any]:
    import boto3

    raw = boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    data: Mapping[str, Any] = json.loads(raw)
    return data


def database_url(settings: ApiSettings, reader: SecretReader = read_secret) -> str:
    """``ADVISOR_DB_URL`` when set, else the URL built from the secret, else the default."""
    if settings.db_url_set or not settings.db_secret_id:
        return settings.db_url
    return postgres_url_from_secret(
        reader(settings.db_secret_id), settings.db_host, settings.db_name
    )
