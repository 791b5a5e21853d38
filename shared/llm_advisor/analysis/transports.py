"""Provider adapters: send one structured request, return one normalized reply.

A transport only speaks a wire protocol and maps failures onto two kinds: transient (429,
5xx, timeout, connection; worth a retry) and permanent (everything else). Retries, budget,
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
            msg = self._get().messages.create(
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
        tool_input: dict[str, Any] | None = None
        texts: list[str] = []
        for block in msg.content:
            btype = getattr(block, "type", "")
            if btype == "tool_use" and tool_input is None:
                inp = getattr(block, "input", None)
                tool_input = dict(inp) if isinstance(inp, dict) else None
            elif btype == "text":
                texts.append(str(getattr(block, "text", "")))
        usage = msg.usage
        return LLMReply(
            tool_input=tool_input,
            text="".join(texts),
            stop_reason=str(msg.stop_reason or ""),
            tokens_in=int(getattr(usage, "input_tokens", 0) or 0),
            tokens_out=int(getattr(usage, "output_tokens", 0) or 0),
        )


def anthropic_bedrock_factory(region: str, base_url: str | None = None) -> Callable[[], Any]:
    """Bedrock through the anthropic SDK; AWS credentials come from the usual chain."""

    def make() -> Any:
        from anthropic import AnthropicBedrock

        kwargs: dict[str, Any] = {"aws_region": region, "max_retries": 0}
        if base_url:
            kwargs["base_url"] = base_url
        return AnthropicBedrock(**kwargs)

    return make


def anthropic_api_factory(base_url: str | None = None) -> Callable[[], Any]:
    """The Anthropic API; the key comes from ``ANTHROPIC_API_KEY``."""

    def make() -> Any:
        from anthropic import Anthropic

        kwargs: dict[str, Any] = {"max_retries": 0}
        if base_url:
            kwargs["base_url"] = base_url
        return Anthropic(**kwargs)

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
        tool_input: dict[str, Any] | None = None
        texts: list[str] = []
        for block in out.get("output", {}).get("message", {}).get("content", []):
            if "toolUse" in block and tool_input is None:
                inp = block["toolUse"].get("input")
                tool_input = dict(inp) if isinstance(inp, dict) else None
            elif "text" in block:
                texts.append(str(block["text"]))
        usage = out.get("usage", {})
        stop = str(out.get("stopReason", ""))
        return LLMReply(
            tool_input=tool_input,
            text="".join(texts),
            stop_reason="refusal" if stop in ("content_filtered", "guardrail_intervened") else stop,
            tokens_in=int(usage.get("inputTokens", 0) or 0),
            tokens_out=int(usage.get("outputTokens", 0) or 0),
        )


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
