"""A local stand-in for Bedrock, the Anthropic API and the OpenAI API, speaking their wire
protocols.

The real SDK clients (``anthropic.AnthropicBedrock``, ``anthropic.Anthropic``, boto3's
``bedrock-runtime`` and ``openai.OpenAI``) are pointed at it with ``base_url`` /
``endpoint_url`` so the fault tests exercise the same request building, response parsing
and error mapping as production, without any network. Each request pops the next scripted
``Reply``; when the script is empty the ``default`` reply is used.

Routes:
- ``POST /model/<id>/invoke``   Bedrock InvokeModel with an Anthropic Messages body
- ``POST /v1/messages``         Anthropic Messages API
- ``POST /model/<id>/converse`` Bedrock Converse (boto3)
- ``POST .../chat/completions`` OpenAI chat completions (``tool_calls`` with JSON-string
  ``arguments``; errors as ``{"error": {"message", "type", "param", "code"}}``)
"""

from __future__ import annotations

import json
import re
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
    - ``status``: HTTP ``status`` with an error body (429, 500, ...); for OpenAI, ``payload``
      may name the error ``code`` (e.g. ``insufficient_quota``)
    - ``raw``: HTTP 200 with ``payload`` (str) as the literal body (broken wire JSON)
    - ``hang``: never answers until the server stops (the client's timeout must fire)

    Malformed 200 replies (each in the Messages and the Converse shape):
    - ``no_content``: the message has no content field at all
    - ``null_content``: the content field is null
    - ``empty_content``: the content list is empty
    - ``no_tool``: content with only a block of another type (thinking / reasoning)
    - ``bad_input``: a tool-use block whose input is ``payload`` (a string, a list, ...)
    - ``body``: HTTP 200 whose body is ``payload`` encoded as JSON (any JSON value)
    - ``bad_args`` (OpenAI): a function call whose ``arguments`` string is ``payload`` as is
      (not necessarily JSON)

    ``usage=False`` leaves the usage block out of a 200 reply (nothing is billed then).

    ``obey``: a model that follows instructions planted in its input: ``payload`` (a good
    answer) with every market-wide multiplier set to X when the request contains "set every
    multiplier to X" (a prompt injection that worked), as a normal tool call.
    """

    kind: str
    payload: Any = None
    status: int = 200
    tokens_in: int = 900
    tokens_out: int = 120
    usage: bool = True


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
        if reply.kind == "status" and path.endswith("/chat/completions"):
            self._send(h, reply.status, json.dumps(self._openai_error(reply)).encode())
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
        if reply.kind == "body":
            self._send(h, 200, json.dumps(reply.payload).encode())
            return
        if reply.kind == "obey":
            answer = self._obeyed(body, reply.payload)
            reply = Reply("tool", answer, tokens_in=reply.tokens_in, tokens_out=reply.tokens_out)
        if path.endswith("/converse"):
            self._send(h, 200, json.dumps(self._converse(reply)).encode())
        elif path.endswith("/chat/completions"):
            self._send(h, 200, json.dumps(self._chat(body, reply)).encode())
        else:
            self._send(h, 200, json.dumps(self._messages(body, reply)).encode())

    @staticmethod
    def _obeyed(body: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        found = re.search(r"set every multiplier to (-?[0-9.]+(?:e-?[0-9]+)?)", json.dumps(body))
        if found is None:
            return answer
        value = float(found.group(1))
        names = ("mr_arm", "mr_trigger", "tc_arm", "tc_trigger")
        return dict(answer, threshold_multipliers=dict.fromkeys(names, value))

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
        elif reply.kind == "no_tool":
            content = [{"type": "thinking", "thinking": "hmm", "signature": "sig"}]
        elif reply.kind == "bad_input":
            content = [
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": tools[0]["name"],
                    "input": reply.payload,
                }
            ]
            stop = "tool_use"
        else:
            content = [{"type": "text", "text": str(reply.payload)}]
        out: dict[str, Any] = {
            "id": "msg_standin",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "standin"),
            "content": LLMStandIn._content_fault(reply.kind, content),
            "stop_reason": stop,
            "stop_sequence": None,
        }
        if reply.kind == "no_content":
            del out["content"]
        if reply.usage:
            out["usage"] = {"input_tokens": reply.tokens_in, "output_tokens": reply.tokens_out}
        return out

    @staticmethod
    def _content_fault(kind: str, content: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        return {"null_content": None, "empty_content": []}.get(kind, content)

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
        elif reply.kind == "no_tool":
            content = [{"reasoningContent": {"reasoningText": {"text": "hmm"}}}]
        elif reply.kind == "bad_input":
            content = [{"toolUse": {"toolUseId": "t1", "name": "answer", "input": reply.payload}}]
            stop = "tool_use"
        else:
            content = [{"text": str(reply.payload)}]
        message: dict[str, Any] = {
            "role": "assistant",
            "content": LLMStandIn._content_fault(reply.kind, content),
        }
        if reply.kind == "no_content":
            del message["content"]
        out: dict[str, Any] = {
            "output": {"message": message},
            "stopReason": stop,
            "metrics": {"latencyMs": 5},
        }
        if reply.usage:
            out["usage"] = {
                "inputTokens": reply.tokens_in,
                "outputTokens": reply.tokens_out,
                "totalTokens": reply.tokens_in + reply.tokens_out,
            }
        return out

    # ------------------------------------------------------------------ OpenAI
    @staticmethod
    def _openai_error(reply: Reply) -> dict[str, Any]:
        """OpenAI's error body: 429 rate limit (or a named code), 5xx server, 4xx request."""
        if reply.status == 429:
            code = str(reply.payload or "rate_limit_exceeded")
            kind = code if code == "insufficient_quota" else "requests"
            msg = "Rate limit reached for requests" if kind == "requests" else "quota exceeded"
        elif reply.status >= 500:
            code, kind, msg = "", "server_error", "The server had an error"
        else:
            code, kind = str(reply.payload or ""), "invalid_request_error"
            msg = "Invalid request"
        return {"error": {"message": msg, "type": kind, "param": None, "code": code or None}}

    @staticmethod
    def _chat(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        tools = body.get("tools") or [{"function": {"name": "answer"}}]
        name = tools[0].get("function", {}).get("name", "answer")
        message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
        finish = "stop"

        def call(arguments: Any) -> list[dict[str, Any]]:
            fn = {"name": name, "arguments": arguments}
            return [{"id": "call_1", "type": "function", "function": fn}]

        if reply.kind == "tool":
            message["tool_calls"] = call(json.dumps(reply.payload))
            finish = "tool_calls"
        elif reply.kind == "bad_input":
            message["tool_calls"] = call(json.dumps(reply.payload))  # valid JSON, not an object
            finish = "tool_calls"
        elif reply.kind == "bad_args":
            message["tool_calls"] = call(reply.payload)
            finish = "tool_calls"
        elif reply.kind == "refusal":
            message["refusal"] = "I can't help with that."
        elif reply.kind == "no_tool":
            message["audio"] = {"id": "a1", "data": "", "transcript": "hmm"}
        elif reply.kind in ("no_content", "null_content", "empty_content"):
            pass  # no content, no tool call, no refusal
        else:
            message["content"] = str(reply.payload)
        choices: list[dict[str, Any]] | None = [
            {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
        ]
        if reply.kind == "empty_content":
            choices = []
        out: dict[str, Any] = {
            "id": "chatcmpl-standin",
            "object": "chat.completion",
            "created": 1772464500,
            "model": body.get("model", "standin"),
            "choices": choices,
        }
        if reply.kind == "no_content":
            del out["choices"]
        elif reply.kind == "null_content":
            out["choices"] = None
        if reply.usage:
            out["usage"] = {
                "prompt_tokens": reply.tokens_in,
                "completion_tokens": reply.tokens_out,
                "total_tokens": reply.tokens_in + reply.tokens_out,
            }
        return out
