"""Which database the API reads, from the environment, resolved on first use.

Locally ``ADVISOR_DB_URL`` names it. In AWS the template passes a Secrets Manager id
(``ADVISOR_DB_SECRET_ID``, RDS-style JSON: username, password, host, port, dbname) and the
RDS Proxy endpoint (``ADVISOR_DB_HOST``); the secret is read only when the first request
needs the database, so a cold start that serves a 404 or a preflight never calls AWS. For
the API that secret should be the read-only role's (``llm_advisor_readonly``).

Every wait on the way to the database is bounded so that the sum stays under the API
Lambda's timeout: a down database (or an unreachable Secrets Manager) then answers with the
API's own JSON error (503 on ``/api/health``) instead of the client getting a Lambda timeout.
The database wait is ``ADVISOR_PG_CONNECT_TIMEOUT`` (``storage.db``; the template sets it for
the API), the secret read is bounded here; ``worst_case_wait_s`` adds them up for the test
that holds the template's ``Timeout`` above it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from llm_advisor.api.settings import ApiSettings
from llm_advisor.aws.secrets import postgres_url_from_secret

SecretReader = Callable[[str], Mapping[str, Any]]

SECRET_CONNECT_TIMEOUT_S = 1.0
SECRET_READ_TIMEOUT_S = 2.0
# One attempt: a failed read fails this request only (the opener is retried by the next one),
# and botocore's default of 60 s per wait, with retries, would outlast the Lambda.
SECRET_ATTEMPTS = 1


def secret_read_budget_s() -> float:
    return (SECRET_CONNECT_TIMEOUT_S + SECRET_READ_TIMEOUT_S) * SECRET_ATTEMPTS


def worst_case_wait_s(db_wait_s: float) -> float:
    """Longest a request can wait on I/O before it answers: the (first) secret read plus the
    wait for a database connection."""
    return secret_read_budget_s() + db_wait_s


def read_secret(secret_id: str) -> Mapping[str, Any]:
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=SECRET_CONNECT_TIMEOUT_S,
        read_timeout=SECRET_READ_TIMEOUT_S,
        retries={"total_max_attempts": SECRET_ATTEMPTS, "mode": "standard"},
    )
    client = boto3.client("secretsmanager", config=config)
    raw = client.get_secret_value(SecretId=secret_id)["SecretString"]
    data: Mapping[str, Any] = json.loads(raw)
    return data


def database_url(settings: ApiSettings, reader: SecretReader = read_secret) -> str:
    """``ADVISOR_DB_URL`` when set, else the URL built from the secret, else the default."""
    if settings.db_url_set or not settings.db_secret_id:
        return settings.db_url
    return postgres_url_from_secret(
        reader(settings.db_secret_id), settings.db_host, settings.db_name
    )
