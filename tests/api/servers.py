"""Start the local API and page servers exactly as ``make api`` does, on ephemeral ports."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from llm_advisor.api.app import app_from_settings
from llm_advisor.api.local_server import LocalServers, bind_web, start
from llm_advisor.api.settings import ApiSettings
from llm_advisor.core.clock import ManualClock

WEB_DIR = Path(__file__).resolve().parents[2] / "web"


@contextmanager
def running(
    db_url: str, now: datetime, with_page: bool = True, api_key: str = ""
) -> Iterator[LocalServers]:
    web = bind_web("127.0.0.1", 0, WEB_DIR) if with_page else None
    origins: tuple[str, ...] = ()
    if web is not None:
        origins = (f"http://127.0.0.1:{web.server_address[1]}",)
    app = app_from_settings(
        ApiSettings(db_url=db_url, cors_origins=origins, api_key=api_key), clock=ManualClock(now)
    )
    servers = start(app, "127.0.0.1", 0, web=web, api_key=api_key)
    try:
        yield servers
    finally:
        servers.close()
