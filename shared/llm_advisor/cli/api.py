"""``python -m llm_advisor api``: serve the portfolio API and its page on loopback.

With ``ADVISOR_API_KEY`` set, every API request needs that ``x-api-key`` (as the deployed
API does by default); the page served here is handed the key through its ``/config.js``.

``--write-openapi PATH`` regenerates the committed OpenAPI document instead of serving.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path
from typing import Any

from llm_advisor.core.errors import UserError

DEFAULT_WEB_DIR = Path("web")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "api",
        help="serve the portfolio REST API (and the example page) on 127.0.0.1",
        description=(__doc__ or "").replace("``", ""),
    )
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="API port (default 8080; 0 = any)")
    p.add_argument(
        "--db",
        default=None,
        help="database URL (default $ADVISOR_DB_URL or sqlite:///data/llm_advisor.sqlite3)",
    )
    p.add_argument(
        "--web-port", type=int, default=8081, help="page port (default 8081; -1 = no page)"
    )
    p.add_argument("--web-dir", type=Path, default=DEFAULT_WEB_DIR, help="page folder (web/)")
    p.add_argument(
        "--write-openapi",
        type=Path,
        metavar="PATH",
        help="write the OpenAPI document to PATH (e.g. docs/openapi.json) and exit",
    )
    p.set_defaults(func=run)


def _check_port(name: str, port: int, allow_off: bool = False) -> None:
    if allow_off and port == -1:
        return
    if not 0 <= port <= 65535:
        raise UserError(f"{name}={port} is not a TCP port (0..65535)")


def run(args: argparse.Namespace) -> int:
    from llm_advisor.api.app import app_from_settings, create_app, openapi_json
    from llm_advisor.api.context import ApiContext
    from llm_advisor.api.local_server import bind_web, start
    from llm_advisor.api.settings import ApiSettings
    from llm_advisor.core.clock import SystemClock

    if args.write_openapi is not None:
        app = create_app(ApiContext(queries=_no_database, clock=SystemClock()))
        args.write_openapi.parent.mkdir(parents=True, exist_ok=True)
        args.write_openapi.write_text(openapi_json(app), encoding="utf-8")
        print(f"wrote {args.write_openapi}")
        return 0

    _check_port("--port", args.port)
    _check_port("--web-port", args.web_port, allow_off=True)
    settings = ApiSettings.from_env()
    db_url = args.db or settings.db_url
    _check_sqlite_exists(db_url)

    web = None
    origins = list(settings.cors_origins)
    if args.web_port != -1:
        if not (args.web_dir / "index.html").is_file():
            raise UserError(f"--web-dir={args.web_dir}: no index.html there")
        try:
            web = bind_web(args.host, args.web_port, args.web_dir, quiet=False)
        except OSError as exc:
            raise UserError(f"--web-port={args.web_port}: cannot listen ({exc.strerror})") from None
        web_port = web.server_address[1]
        origins += [f"http://127.0.0.1:{web_port}", f"http://localhost:{web_port}"]

    settings = ApiSettings(
        db_url=db_url,
        cors_origins=tuple(dict.fromkeys(origins)),
        api_key=settings.api_key,
        account_run=settings.account_run,
    )
    app = app_from_settings(settings)
    try:
        servers = start(app, args.host, args.port, web=web, quiet=False, api_key=settings.api_key)
    except OSError as exc:
        if web is not None:
            web.server_close()
        raise UserError(f"--port={args.port}: cannot listen ({exc.strerror})") from None
    print(f"API   {servers.api_url}/api/health   (database {_mask(db_url)})")
    if servers.web_url:
        print(f"page  {servers.web_url}/?api={servers.api_url}")
    print(f"CORS  {', '.join(settings.cors_origins)}")
    if settings.api_key:
        print("key   required (x-api-key = $ADVISOR_API_KEY; the page gets it from /config.js)")
    else:
        print("key   not required (set ADVISOR_API_KEY to require one, as deployed)")
    print("Ctrl-C to stop")
    try:
        threading.Event().wait()
    finally:
        servers.close()
    return 0


def _no_database() -> Any:
    raise UserError("--write-openapi does not need a database")


def _check_sqlite_exists(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.is_file():
            raise UserError(
                f"--db={url}: {path} does not exist; run `make demo` (or a replay with --db) first"
            )


def _mask(url: str) -> str:
    """Hide a password in a PostgreSQL URL before printing it."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in creds else url
    return url
