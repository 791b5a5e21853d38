"""A local stand-in for Bedrock and the Anthropic API, speaking their wire protocols.

The real SDK clients (``anthropic.AnthropicBedrock``, ``anthropic.Anthropic`` and boto3's
``bedrock-runtime``) are pointed at it with ``base_url`` / ``endpoint_url`` so the fault
tests exercise the same request building, response parsing and error mapping as
production, without any network. Each request pops the next scripted ``Reply``; when the
script is empty the ``default`` reply is used.

Routes:
- ``POST /model/<id>/invoke``   Bedrock InvokeModel with an Anthropic Messages body
- ``POST /v1/messages``         Anthropic Messages API
- ``POST /model/<id>/converse`` Bedrock Converse (boto3)
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote


@dataclass
class Reply:
    """What the stand-in answers to one request.

    kind:
    - ``tool``: a tool_use block with ``payload`` as its input (the normal good answer)
    - ``text``: a text block with ``payload`` (str) as its text (e.g. malformed JSON)
    - ``refusal``: stop_reason ``refusal`` with a short text
    - ``status``: HTTP ``status`` with an error body (429, 500, ...)
    - ``raw``: HTTP 200 with ``payload`` (str) as the literal body (broken wire JSON)
    - ``hang``: never answers until the server stops (the client's timeout must fire)
    """

    kind: str
    payload: Any = None
    status: int = 200
    tokens_in: int = 900
    tokens_out: int = 120


@dataclass
class Received:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class LLMStandIn:
    script: deque[Reply] = field(default_factory=deque)
    default: Reply = field(default_factory=lambda: Reply("status", status=500))
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _release: threading.Event = field(default_factory=threading.Event)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> LLMStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                n = int(self.headers.get("content-length", "0") or 0)
                raw = self.rfile.read(n) if n else b"{}"
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_unparsed": raw.decode("utf-8", "replace")}
                path = unquote(self.path)
                standin.received.append(Received(path, body, dict(self.headers.items())))
                reply = standin.script.popleft() if standin.script else standin.default
                standin._answer(self, path, body, reply)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def push(self, *replies: Reply) -> None:
        self.script.extend(replies)

    @property
    def calls(self) -> int:
        return len(self.received)

    # ------------------------------------------------------------------ answers
    def _answer(
        self, h: BaseHTTPRequestHandler, path: str, body: dict[str, Any], reply: Reply
    ) -> None:
        if reply.kind == "hang":
            self._release.wait(30)
            return
        if reply.kind == "status":
            err = {"type": "error", "error": {"type": "api_error", "message": "stand-in error"}}
            if path.endswith("/converse"):
                err = {"message": "stand-in error"}
            extra = {"x-amzn-ErrorType": "ThrottlingException"} if reply.status == 429 else {}
            if reply.status >= 500 and path.endswith("/converse"):
                extra = {"x-amzn-ErrorType": "InternalServerException"}
            self._send(h, reply.status, json.dumps(err).encode(), extra)
            return
        if reply.kind == "raw":
            self._send(h, 200, str(reply.payload).encode())
            return
        if path.endswith("/converse"):
            self._send(h, 200, json.dumps(self._converse(reply)).encode())
        else:
            self._send(h, 200, json.dumps(self._messages(body, reply)).encode())

    @staticmethod
    def _send(
        h: BaseHTTPRequestHandler, status: int, data: bytes, headers: dict[str, str] | None = None
    ) -> None:
        try:
            h.send_response(status)
            h.send_header("content-type", "application/json")
            h.send_header("content-length", str(len(data)))
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            return

    @staticmethod
    def _messages(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        tools = body.get("tools") or [{"name": "answer"}]
        content: list[dict[str, Any]]
        stop = "end_turn"
        if reply.kind == "tool":
            content = [
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": tools[0]["name"],
                    "input": reply.payload,
                }
            ]
            stop = "tool_use"
        elif reply.kind == "refusal":
            content = [{"type": "text", "text": "I can't help with that."}]
            stop = "refusal"
        else:
            content = [{"type": "text", "text": str(reply.payload)}]
        return {
            "id": "msg_standin",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "standin"),
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": reply.tokens_in, "output_tokens": reply.tokens_out},
        }

    @staticmethod
    def _converse(reply: Reply) -> dict[str, Any]:
        content: list[dict[str, Any]]
        stop = "end_turn"
        if reply.kind == "tool":
            content = [{"toolUse": {"toolUseId": "t1", "name": "answer", "input": reply.payload}}]
            stop = "tool_use"
        elif reply.kind == "refusal":
            content = [{"text": "I can't help with that."}]
            stop = "content_filtered"
        else:
            content = [{"text": str(reply.payload)}]
        return {
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": stop,
            "usage": {
                "inputTokens": reply.tokens_in,
                "outputTokens": reply.tokens_out,
                "totalTokens": reply.tokens_in + reply.tokens_out,
            },
            "metrics": {"latencyMs": 5},
        }
