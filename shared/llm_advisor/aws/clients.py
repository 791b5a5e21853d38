"""Lazily created, per-container boto3 clients.

A Lambda container serves many invocations: clients are built once, on first use, and
reused. Building them at import time would break moto (the mock must start first) and make
cold starts pay for clients a handler never uses.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_clients: dict[tuple[str, str | None, str | None], Any] = {}


def client(service: str, region: str | None = None, endpoint_url: str | None = None) -> Any:
    """The cached boto3 client for ``service`` (one per region/endpoint)."""
    key = (service, region, endpoint_url)
    found = _clients.get(key)
    if found is not None:
        return found
    with _lock:
        found = _clients.get(key)
        if found is None:
            import boto3

            session: Any = boto3.session.Session()
            found = session.client(service, region_name=region, endpoint_url=endpoint_url)
            _clients[key] = found
    return found


def reset_clients() -> None:
    """Forget every cached client (tests start a fresh moto mock per test)."""
    with _lock:
        _clients.clear()


class LazyClient:
    """Holds how to build a client and builds it on first attribute access."""

    def __init__(self, service: str, region: str | None = None, endpoint_url: str | None = None):
        self._service = service
        self._region = region
        self._endpoint_url = endpoint_url

    def get(self) -> Any:
        return client(self._service, self._region, self._endpoint_url)
