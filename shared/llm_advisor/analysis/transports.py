"""Provider adapters: send one structured request, return one normalized reply.

A transport only speaks a wire protocol and maps failures onto two kinds: transient (429,
5xx, timeout, connection; worth a retry) and permanent (everything else). A 200 reply that is
not a usable answer (not JSON, no ``content``, empty ``content``, no tool call and no text,
wrong types) is a permanent ``MalformedReplyError`` naming what was wrong and carrying the
billed tokens when the reply had a usage block: the provider charges for them anyway. The
reply bodies are parsed here from the raw JSON, never through the SDK's response models,
which are built without validation and would hand back ``None`` or a string where a list
belongs (the source of a ``TypeError`` that once escaped the guards). Retries, budget,
breaker, ledger and schema validation live in ``gateway.py`` so every provider gets exactly
the same robustness. SDK-level retries are switched off (``max_retries=0``) because
retrying twice in two layers multiplies latency and cost invisibly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from llm_advisor.core.errors import LLMError


class TransientLLMError(LLMError):
    """Throttling, 5xx, timeout or connection failure: retry with backoff."""


class MalformedReplyError(LLMError):
    """A 200 reply that is no usable answer: permanent (the same request would get the same).

    ``usage`` is ``(tokens_in, tokens_out)`` from the reply's usage block, or None when the
    reply had none (or an unreadable one); the gateway charges the budget for it and says in
    the ledger row which it was.
    """

    def __init__(self, reason: str, usage: tuple[int, int] | None = None) -> None:
        super().__init__(f"malformed reply: {reason}")
        self.reason = reason
        self.usage = usage


@dataclass(frozen=True)
class LLMRequest:
    """One structured question: a system prompt, user turns and the tool to answer with."""

    system: str
    user: str
    tool_name: str
    tool_description: str
    schema: dict[str, Any]
    max_tokens: int = 600

    def prompt(self) -> dict[str, Any]:
        """The hashed 'prompt' part of the request (the model and schema are added)."""
        return {
            "system": self.system,
            "user": self.user,
            "tool": self.tool_name,
            "tool_description": self.tool_description,
            "max_tokens": self.max_tokens,
        }

    def to_dict(self, model: str) -> dict[str, Any]:
        return {"model": model, **self.prompt(), "schema": self.schema}


@dataclass(frozen=True)
class LLMReply:
    """A provider-neutral answer: the tool input if the model called the tool, else text."""

    tool_input: dict[str, Any] | None
    text: str
    stop_reason: str
    tokens_in: int = 0
    tokens_out: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool_input": self.tool_input,
            "text": self.text,
            "stop_reason": self.stop_reason,
            "usage": {"input_tokens": self.tokens_in, "output_tokens": self.tokens_out},
            **({"extra": self.extra} if self.extra else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LLMReply:
        usage = d.get("usage") or {}
        ti = d.get("tool_input")
        return cls(
            tool_input=ti if isinstance(ti, dict) else None,
            text=str(d.get("text") or ""),
            stop_reason=str(d.get("stop_reason") or ""),
            tokens_in=int(usage.get("input_tokens") or 0),
            tokens_out=int(usage.get("output_tokens") or 0),
            extra=dict(d.get("extra") or {}),
        )


class LLMTransport(Protocol):
    provider: str
    model: str

    def send(self, request: LLMRequest, timeout_s: float) -> LLMReply: ...


# ---------------------------------------------------------------- Anthropic Messages API


class AnthropicMessagesTransport:
    """Anthropic's Messages API, either direct (``Anthropic``) or on Bedrock
    (``AnthropicBedrock``, which posts the same body to ``/model/<id>/invoke``)."""

    def __init__(
        self,
        provider: str,
        model: str,
        client_factory: Callable[[], Any],
        temperature: float | None = 0.0,
    ) -> None:
        self.provider = provider
        self.model = model
        self._factory = client_factory
        # The SDK's typed signature has no temperature; the API accepts it in the body.
        self._extra_body = {"temperature": temperature} if temperature is not None else None
        self._client: Any = None

    def _get(self) -> Any:
        if self._client is None:
            self._client = self._factory()
        return self._client

    def send(self, request: LLMRequest, timeout_s: float) -> LLMReply:
        import anthropic

        try:
            raw = self._get().messages.with_raw_response.create(
                model=self.model,
                max_tokens=request.max_tokens,
                system=request.system,
                messages=[{"role": "user", "content": request.user}],
                tools=[
                    {
                        "name": request.tool_name,
                        "description": request.tool_description,
                        "input_schema": request.schema,
                    }
                ],
                tool_choice={"type": "tool", "name": request.tool_name},
                extra_body=self._extra_body,
                timeout=timeout_s,
            )
        except (anthropic.APITimeoutError, anthropic.APIConnectionError) as exc:
            raise TransientLLMError(f"{type(exc).__name__}: {exc}") from exc
        except anthropic.APIStatusError as exc:
            text = f"HTTP {exc.status_code}: {type(exc).__name__}"
            if exc.status_code == 429 or exc.status_code >= 500:
                raise TransientLLMError(text) from exc
            raise LLMError(text) from exc
        except (anthropic.AnthropicError, ValueError) as exc:
            raise LLMError(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
        return parse_messages_body(raw.http_response.content)


def anthropic_bedrock_factory(region: str, base_url: str | None = None) -> Callable[[], Any]:
    """Bedrock through the anthropic SDK; AWS credentials come from the usual chain."""

    def make() -> Any:
        from anthropic import AnthropicBedrock

        kwargs: dict[str, Any] = {"aws_region": region, "max_retries": 0}
        if base_url:
            kwargs["base_url"] = base_url
        return AnthropicBedrock(**kwargs)

    return make


def anthropic_api_factory(base_url: str | None = None, key: str | None = None) -> Callable[[], Any]:
    """The Anthropic API; the key is ``key`` (from the settings' environment), else the SDK's
    ``ANTHROPIC_API_KEY``."""

    def make() -> Any:
        from anthropic import Anthropic

        given: dict[str, Any] = {k: v for k, v in (("base_url", base_url), ("api_key", key)) if v}
        return Anthropic(max_retries=0, **given)

    return make


# ---------------------------------------------------------------- Bedrock Converse (boto3)


class BedrockConverseTransport:
    """Bedrock's model-agnostic Converse API through boto3 (no anthropic SDK needed)."""

    provider = "bedrock-converse"

    def __init__(self, model: str, region: str, endpoint_url: str | None = None) -> None:
        self.model = model
        self._region = region
        self._endpoint = endpoint_url
        self._clients: dict[float, Any] = {}

    def _client(self, timeout_s: float) -> Any:
        if timeout_s not in self._clients:
            import boto3
            from botocore.config import Config

            cfg = Config(
                connect_timeout=timeout_s,
                read_timeout=timeout_s,
                retries={"total_max_attempts": 1, "mode": "standard"},
            )
            self._clients[timeout_s] = boto3.client(
                "bedrock-runtime", region_name=self._region, endpoint_url=self._endpoint, config=cfg
            )
        return self._clients[timeout_s]

    def send(self, request: LLMRequest, timeout_s: float) -> LLMReply:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectionError,
            ReadTimeoutError,
        )

        try:
            out = self._client(timeout_s).converse(
                modelId=self.model,
                system=[{"text": request.system}],
                messages=[{"role": "user", "content": [{"text": request.user}]}],
                inferenceConfig={"maxTokens": request.max_tokens, "temperature": 0.0},
                toolConfig={
                    "tools": [
                        {
                            "toolSpec": {
                                "name": request.tool_name,
                                "description": request.tool_description,
                                "inputSchema": {"json": request.schema},
                            }
                        }
                    ],
                    "toolChoice": {"tool": {"name": request.tool_name}},
                },
            )
        except (ReadTimeoutError, ConnectionError) as exc:
            raise TransientLLMError(f"{type(exc).__name__}: {exc}") from exc
        except ClientError as exc:
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            code = exc.response.get("Error", {}).get("Code", "")
            text = f"HTTP {status}: {code}"
            if status == 429 or status >= 500 or code == "ThrottlingException":
                raise TransientLLMError(text) from exc
            raise LLMError(text) from exc
        except (BotoCoreError, ValueError) as exc:
            raise LLMError(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
        except (AttributeError, TypeError, KeyError) as exc:  # botocore decoding a bad shape
            why = f"botocore could not decode it ({type(exc).__name__}: {str(exc)[:120]})"
            raise MalformedReplyError(why) from exc
        return parse_converse_output(out)


# ---------------------------------------------------------------- reply bodies


def _jtype(v: Any) -> str:
    """The JSON name of a value's type, for the one-line reason in the ledger."""
    kinds = ((bool, "boolean"), (int | float, "number"), (str, "string"), (list, "array"))
    if v is None:
        return "null"
    return next((n for t, n in kinds if isinstance(v, t)), "object" if isinstance(v, dict) else "?")


def _usage(block: Any, names: tuple[str, str]) -> tuple[int, int] | None:
    """Billed (tokens_in, tokens_out) from a usage block; None if absent or unreadable."""
    if not isinstance(block, dict) or not any(n in block for n in names):
        return None
    counts = [block.get(n, 0) for n in names]
    if any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in counts):
        return None
    return counts[0], counts[1]


@dataclass
class _Blocks:
    """What a reply's content blocks said, collected by the two body parsers."""

    usage: tuple[int, int] | None
    where: str
    tool_input: dict[str, Any] | None = None
    texts: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)

    def bad(self, reason: str) -> MalformedReplyError:
        return MalformedReplyError(reason, self.usage)

    def check_list(self, content: Any, present: bool, stop: str) -> list[Any]:
        if not present:
            raise self.bad(f"`{self.where}` is missing")
        if not isinstance(content, list):
            raise self.bad(f"`{self.where}` is a JSON {_jtype(content)}, not an array")
        if not content and stop != "refusal":  # a refusal may come without any block
            raise self.bad(f"`{self.where}` is empty")
        return content

    def tool(self, inp: Any, at: str) -> None:
        if self.tool_input is not None:
            return
        if not isinstance(inp, dict):
            raise self.bad(f"`{at}` is a JSON {_jtype(inp)}, not an object")
        self.tool_input = inp

    def text(self, t: Any, at: str) -> None:
        if not isinstance(t, str):
            raise self.bad(f"`{at}` is a JSON {_jtype(t)}, not a string")
        self.texts.append(t)

    def reply(self, stop: str) -> LLMReply:
        if self.tool_input is None and not self.texts and stop != "refusal":
            kinds = ", ".join(self.kinds) or "none"
            raise self.bad(f"no tool call and no text in `{self.where}` (block types: {kinds})")
        tin, tout = self.usage or (0, 0)
        return LLMReply(self.tool_input, "".join(self.texts), stop, tin, tout)


def _stop(v: Any, blocks: _Blocks) -> str:
    if v is None:
        return ""
    if not isinstance(v, str):
        raise blocks.bad(f"stop reason is a JSON {_jtype(v)}, not a string")
    return v


def parse_messages_body(body: bytes | str) -> LLMReply:
    """Normalize a Messages API reply body (the Anthropic API and Bedrock InvokeModel)."""
    try:
        data = json.loads(body)
    except ValueError:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        raise MalformedReplyError(f"body is not JSON ({text[:60]!r})") from None
    if not isinstance(data, dict):
        raise MalformedReplyError(f"body is a JSON {_jtype(data)}, not an object")
    blocks = _Blocks(_usage(data.get("usage"), ("input_tokens", "output_tokens")), "content")
    stop = _stop(data.get("stop_reason"), blocks)
    content = blocks.check_list(data.get("content"), "content" in data, stop)
    for i, block in enumerate(content):
        at = f"content[{i}]"
        if not isinstance(block, dict):
            raise blocks.bad(f"`{at}` is a JSON {_jtype(block)}, not an object")
        kind = block.get("type")
        blocks.kinds.append(str(kind))
        if kind == "tool_use":
            blocks.tool(block.get("input"), f"{at}.input")
        elif kind == "text":
            blocks.text(block.get("text"), f"{at}.text")
    return blocks.reply(stop)


def parse_converse_output(out: Any) -> LLMReply:
    """Normalize a Bedrock Converse result (already decoded by botocore)."""
    if not isinstance(out, dict):
        raise MalformedReplyError(f"result is a {_jtype(out)}, not an object")
    where = "output.message.content"
    blocks = _Blocks(_usage(out.get("usage"), ("inputTokens", "outputTokens")), where)
    stop = _stop(out.get("stopReason"), blocks)
    stop = "refusal" if stop in ("content_filtered", "guardrail_intervened") else stop
    output = out.get("output")
    message = output.get("message") if isinstance(output, dict) else None
    message = message if isinstance(message, dict) else {}
    content = blocks.check_list(message.get("content"), "content" in message, stop)
    for i, block in enumerate(content):
        at = f"{where}[{i}]"
        if not isinstance(block, dict):
            raise blocks.bad(f"`{at}` is a JSON {_jtype(block)}, not an object")
        blocks.kinds.extend(sorted(block))
        if "toolUse" in block:
            use = block["toolUse"]
            blocks.tool(use.get("input") if isinstance(use, dict) else use, f"{at}.toolUse.input")
        elif "text" in block:
            blocks.text(block["text"], f"{at}.text")
    return blocks.reply(stop)


def extract_json(text: str) -> dict[str, Any] | None:
    """The first ``{...}`` object in a text answer (models sometimes answer in prose)."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        obj = json.loads(text[start : end + 1])
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None
