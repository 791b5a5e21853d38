"""API Gateway REST proxy events: build them from plain HTTP, and read their responses.

The local server, the tests and the benchmark all go through these two functions so they
exercise the resolver exactly as API Gateway calls it in AWS (same event keys, same
multi-value maps), and not a shortcut that could hide a routing or CORS difference.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

STAGE = "Prod"


def proxy_event(
    method: str,
    target: str,
    headers: Mapping[str, str] | Sequence[tuple[str, str]] = (),
    body: str | None = None,
    request_id: str | None = None,
    source_ip: str = "127.0.0.1",
    now: datetime | None = None,
) -> dict[str, Any]:
    """The event API Gateway sends for ``method target`` through a ``/{proxy+}`` resource.

    ``target`` is the request target as sent on the wire: path plus optional query string.
    """
    parts = urlsplit(target)
    path = parts.path or "/"
    query = parse_qs(parts.query, keep_blank_values=True)
    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    multi_headers: dict[str, list[str]] = {}
    for k, v in pairs:
        multi_headers.setdefault(k, []).append(v)
    # template.yaml routes ``/api/{proxy+}`` to the function; anything else never reaches it
    # in AWS, but the local server still sends it (and gets the resolver's 404).
    resource, proxy = (
        ("/api/{proxy+}", path.removeprefix("/api/"))
        if path.startswith("/api/")
        else ("/{proxy+}", path.lstrip("/"))
    )
    rid = request_id or uuid.uuid4().hex
    ts = now or datetime.now(UTC)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method.upper(),
        "headers": {k: v[-1] for k, v in multi_headers.items()} or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": {"proxy": proxy},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method.upper(),
            "path": f"/{STAGE}{path}",
            "stage": STAGE,
            "requestId": rid,
            "requestTimeEpoch": int(ts.timestamp() * 1000),
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": source_ip, "userAgent": dict(pairs).get("User-Agent")},
        },
        "body": body,
        "isBase64Encoded": False,
    }


def response_headers(result: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Flatten a proxy response's ``headers`` and ``multiValueHeaders`` (API Gateway merges
    both; a key in both is sent with the multi-value list)."""
    out: dict[str, list[str]] = {}
    for k, v in (result.get("headers") or {}).items():
        out[k] = [str(v)]
    for k, vs in (result.get("multiValueHeaders") or {}).items():
        out[k] = [str(v) for v in vs]
    return [(k, v) for k, vs in out.items() for v in vs]
