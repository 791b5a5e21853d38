"""The OpenAI API as a transport: chat completions with one forced function call.

Same contract as ``transports.py``: ``tools`` with the answer's JSON schema as the function's
``parameters`` and ``tool_choice`` naming it (the model must call it), temperature 0, SDK
retries off (``max_retries=0``: the gateway retries), errors mapped onto transient (429
except an exhausted quota, 5xx, timeout, connection) and permanent ``LLMError``. The body is
parsed from the raw JSON, not the SDK's unvalidated models, and a 200 reply that is no usable
answer is a ``MalformedReplyError`` carrying the billed tokens of its ``usage`` block.

OpenAI returns a function call's arguments as a JSON *string*. Arguments that are not JSON
(a truncated or sloppy answer) are the model's text, as a malformed text answer is for the
other providers: the gateway asks once for a repair. Arguments that are valid JSON but not
an object are a malformed reply, as a non-object ``tool_use.input`` is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from llm_advisor.analysis.transports import (
    LLMReply,
    LLMRequest,
    MalformedReplyError,
    TransientLLMError,
    _Blocks,
    _jtype,
    _stop,
    _usage,
)
from llm_advisor.core.errors import LLMError

PERMANENT_429 = frozenset({"insufficient_quota", "billing_hard_limit_reached"})
"""A 429 that no retry can cure: the account is out of money, not over a rate."""


class OpenAIChatTransport:
    """``POST /v1/chat/completions`` through the official ``openai`` client."""

    provider = "openai"

    def __init__(
        self, model: str, client_factory: Callable[[], Any], temperature: float | None = 0.0
    ) -> None:
        self.model = model
        self._factory = client_factory
        self._temperature = temperature
        self._client: Any = None

    def _get(self) -> Any:
        if self._client is None:
            self._client = self._factory()
        return self._client

    def send(self, request: LLMRequest, timeout_s: float) -> LLMReply:
        import openai

        extra: dict[str, Any] = {}
        if self._temperature is not None:
            extra["temperature"] = self._temperature
        try:
            raw = self._get().chat.completions.with_raw_response.create(
                model=self.model,
                max_completion_tokens=request.max_tokens,
                messages=[
                    {"role": "system", "content": request.system},
                    {"role": "user", "content": request.user},
                ],
                tools=[
                    {
                        "type": "function",
                        "function": {
                            "name": request.tool_name,
                            "description": request.tool_description,
                            "parameters": request.schema,
                        },
                    }
                ],
                tool_choice={"type": "function", "function": {"name": request.tool_name}},
                timeout=timeout_s,
                **extra,
            )
        except (openai.APITimeoutError, openai.APIConnectionError) as exc:
            raise TransientLLMError(f"{type(exc).__name__}: {exc}") from exc
        except openai.APIStatusError as exc:
            code = str(getattr(exc, "code", "") or "")
            text = f"HTTP {exc.status_code}: {type(exc).__name__}" + (f" ({code})" if code else "")
            if (exc.status_code == 429 and code not in PERMANENT_429) or exc.status_code >= 500:
                raise TransientLLMError(text) from exc
            raise LLMError(text) from exc
        except (openai.OpenAIError, ValueError) as exc:
            raise LLMError(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
        return parse_chat_completion(raw.http_response.content)


def openai_factory(base_url: str | None = None, key: str | None = None) -> Callable[[], Any]:
    """The OpenAI client; the key is ``key`` (from the settings' environment), else the
    SDK's ``OPENAI_API_KEY``."""

    def make() -> Any:
        from openai import OpenAI

        given: dict[str, Any] = {k: v for k, v in (("base_url", base_url), ("api_key", key)) if v}
        return OpenAI(max_retries=0, **given)

    return make


def parse_chat_completion(body: bytes | str) -> LLMReply:
    """Normalize a chat-completions reply body: the first choice's function call (or its
    text), ``finish_reason``/``refusal`` as the stop reason, ``usage`` as billed tokens."""
    try:
        data = json.loads(body)
    except ValueError:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        raise MalformedReplyError(f"body is not JSON ({text[:60]!r})") from None
    if not isinstance(data, dict):
        raise MalformedReplyError(f"body is a JSON {_jtype(data)}, not an object")
    blocks = _Blocks(
        _usage(data.get("usage"), ("prompt_tokens", "completion_tokens")), "choices[0].message"
    )
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        shown = "missing" if "choices" not in data else f"a JSON {_jtype(choices)}"
        raise blocks.bad(f"`choices` is {'empty' if choices == [] else shown}")
    choice = choices[0]
    if not isinstance(choice, dict):
        raise blocks.bad(f"`choices[0]` is a JSON {_jtype(choice)}, not an object")
    message = choice.get("message")
    if not isinstance(message, dict):
        raise blocks.bad(f"`choices[0].message` is a JSON {_jtype(message)}, not an object")
    stop = _stop(choice.get("finish_reason"), blocks)
    refusal = message.get("refusal")
    if stop == "content_filter" or (isinstance(refusal, str) and refusal):
        stop = "refusal"
    calls = message.get("tool_calls")
    if calls is not None and not isinstance(calls, list):
        raise blocks.bad(f"`choices[0].message.tool_calls` is a JSON {_jtype(calls)}")
    for i, call in enumerate(calls or []):
        at = f"choices[0].message.tool_calls[{i}]"
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict):
            raise blocks.bad(f"`{at}.function` is missing or not an object")
        blocks.kinds.append(str(call.get("type")))
        args = fn.get("arguments")
        if not isinstance(args, str):
            raise blocks.bad(f"`{at}.function.arguments` is a JSON {_jtype(args)}, not a string")
        try:
            parsed = json.loads(args)
        except ValueError:
            blocks.text(args, f"{at}.function.arguments")  # the model's words: repairable
            continue
        blocks.tool(parsed, f"{at}.function.arguments")
    content = message.get("content")
    if content is not None and content != "":
        blocks.text(content, "choices[0].message.content")
    if stop == "refusal" and isinstance(refusal, str):
        blocks.texts.append(refusal)
    return blocks.reply(stop)
