"""``make api``: the Lambda resolver behind a stdlib HTTP server, and the page beside it.

Each HTTP request becomes an API Gateway REST proxy event and goes through the very resolver
the Lambda uses, so routing, validation, CORS and error bodies are the ones AWS will serve.
The page is served from a second port so the browser makes real cross-origin calls, as it
will against API Gateway. Loopback only: this is a development server, not a deployment.

The page reads its settings (API URL, API key) from ``config.js``. Deployed, that is the
owner's edited file; here the server answers ``/config.js`` itself with the running API's
URL and the key it requires (``ADVISOR_API_KEY``), so a key-protected ``make api`` works
without editing anything. Serving a key to a loopback page shows it to nobody new.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.utilities.typing import LambdaContext

from llm_advisor.api.proxy import proxy_event, response_headers

log = logging.getLogger("llm_advisor.api.local")
MAX_BODY = 1 << 20
# Outside Lambda there is no context object; the routes only read the event.
_NO_CONTEXT = cast(LambdaContext, None)


class ResolverBridge:
    """Resolve events one at a time on a single worker thread.

    A Lambda container handles one request at a time and the resolver keeps the current
    event on itself, so concurrent browser requests are queued here rather than interleaved;
    the single thread also keeps one database connection for the whole server."""

    def __init__(self, app: APIGatewayRestResolver) -> None:
        self._app = app
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="resolver")

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        future = self._worker.submit(self._app.resolve, event, _NO_CONTEXT)
        result: dict[str, Any] = future.result()
        return result

    def close(self) -> None:
        self._worker.shutdown(wait=True)


def _api_handler(bridge: ResolverBridge, quiet: bool) -> type[BaseHTTPRequestHandler]:
    class ApiHandler(BaseHTTPRequestHandler):
        server_version = "llm-advisor-api"
        sys_version = ""

        def _dispatch(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self.send_error(413)
                return
            body = self.rfile.read(length).decode("utf-8", "replace") if length else None
            event = proxy_event(
                self.command,
                self.path,
                headers=list(self.headers.items()),
                body=body,
                source_ip=self.client_address[0],
            )
            result = bridge(event)
            payload = str(result.get("body") or "").encode("utf-8")
            self.send_response(int(result["statusCode"]))
            for name, value in response_headers(result):
                if name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        def do_GET(self) -> None:
            self._dispatch()

        def do_HEAD(self) -> None:
            self._dispatch()

        def do_OPTIONS(self) -> None:
            self._dispatch()

        def do_POST(self) -> None:
            self._dispatch()

        def do_PUT(self) -> None:
            self._dispatch()

        def do_PATCH(self) -> None:
            self._dispatch()

        def do_DELETE(self) -> None:
            self._dispatch()

        def log_message(self, format: str, *args: Any) -> None:
            if not quiet:
                super().log_message(format, *args)

    return ApiHandler


CONFIG_PATH = "/config.js"


def page_config_js(config: dict[str, str]) -> bytes:
    """The ``config.js`` the page loads: one global, JSON-encoded (no injection)."""
    return (
        "// Served by `make api` (llm_advisor.api.local_server); see web/config.js.\n"
        f"window.ADVISOR_CONFIG = {json.dumps(config, sort_keys=True)};\n"
    ).encode()


def set_page_config(web: ThreadingHTTPServer, config: dict[str, str]) -> None:
    """What ``/config.js`` answers from now on (set once the API's URL is known)."""
    web.page_config = dict(config)  # type: ignore[attr-defined]


def _web_handler(web_dir: Path, quiet: bool) -> Callable[..., SimpleHTTPRequestHandler]:
    class WebHandler(SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            config = getattr(self.server, "page_config", None)
            if config is not None and self.path.split("?", 1)[0] == CONFIG_PATH:
                body = page_config_js(config)
                self.send_response(200)
                self.send_header("Content-Type", "text/javascript; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

        def end_headers(self) -> None:
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            if not quiet:
                super().log_message(format, *args)

    return functools.partial(WebHandler, directory=str(web_dir))


@dataclass
class LocalServers:
    """Running API (and optional page) servers; ``close()`` stops both."""

    api: ThreadingHTTPServer
    bridge: ResolverBridge
    web: ThreadingHTTPServer | None = None
    _threads: list[threading.Thread] = field(default_factory=list)

    @property
    def api_url(self) -> str:
        host, port = self.api.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def web_url(self) -> str | None:
        if self.web is None:
            return None
        host, port = self.web.server_address[:2]
        return f"http://{host!s}:{port}"

    def close(self) -> None:
        for srv in (self.api, self.web):
            if srv is not None:
                srv.shutdown()
                srv.server_close()
        for t in self._threads:
            t.join(timeout=5)
        self.bridge.close()


def bind_web(host: str, port: int, web_dir: Path, quiet: bool = True) -> ThreadingHTTPServer:
    return ThreadingHTTPServer((host, port), _web_handler(web_dir, quiet))


def start(
    app: APIGatewayRestResolver,
    host: str = "127.0.0.1",
    port: int = 0,
    web: ThreadingHTTPServer | None = None,
    quiet: bool = True,
    api_key: str = "",
) -> LocalServers:
    """Serve ``app`` on ``host:port`` (0 = any free port) in daemon threads.

    The page server is bound by the caller first (``bind_web``) because the API's allowed
    CORS origins must name the page's port before the resolver is built. The page's
    ``/config.js`` then names this API and ``api_key`` (the key ``app`` requires, if any)."""
    bridge = ResolverBridge(app)
    api = ThreadingHTTPServer((host, port), _api_handler(bridge, quiet))
    api.daemon_threads = True
    servers = LocalServers(api=api, bridge=bridge, web=web)
    if web is not None:
        set_page_config(web, {"api": servers.api_url, "apiKey": api_key})
    for srv in (api, web):
        if srv is None:
            continue
        srv.daemon_threads = True
        t = threading.Thread(target=srv.serve_forever, name=f"http-{srv.server_address[1]}")
        t.daemon = True
        t.start()
        servers._threads.append(t)
    return servers
