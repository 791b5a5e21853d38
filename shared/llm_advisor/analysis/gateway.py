"""One structured LLM question with every guard, and its entry in the ledger.

``StructuredLLM.ask`` is the only path from the advisor to a model. Order of checks:
budget (fail closed) -> circuit breaker -> rate limiter -> call with retries on transient
errors -> record in the ledger -> validate against the answer schema -> on a schema error
one *repair* request (the original question plus the validation errors) -> else give up.
Giving up is not an exception: the caller gets ``answer=None`` and turns it into neutral.

In replay mode the same path runs but answers come from the ledger by request hash: no
network, no budget, no new records. Because the repair request is built from the replayed
first answer, a repaired answer replays exactly too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from llm_advisor.analysis.guards import (
    CircuitBreaker,
    DailyBudget,
    RateLimiter,
    RetryPolicy,
    Sleep,
    real_sleep,
)
from llm_advisor.analysis.ledger import LedgerPort, LLMCallRecord, request_hash
from llm_advisor.analysis.pricing import PriceTable
from llm_advisor.analysis.transports import (
    LLMReply,
    LLMRequest,
    LLMTransport,
    TransientLLMError,
    extract_json,
)
from llm_advisor.core.clock import Clock
from llm_advisor.core.errors import DataError, LLMError

T = TypeVar("T", bound=BaseModel)

REFUSAL_STOPS = frozenset({"refusal", "content_filtered", "guardrail_intervened"})


class ReplayMissError(DataError):
    """Strict replay asked a question the ledger has no answer for: the run would differ."""


@dataclass
class Outcome(Generic[T]):
    answer: T | None
    records: list[LLMCallRecord] = field(default_factory=list)
    error: str | None = None
    repaired: bool = False

    @property
    def last_record(self) -> LLMCallRecord | None:
        return self.records[-1] if self.records else None


def _schema_errors(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors()[:8]:
        loc = ".".join(str(p) for p in e["loc"]) or "(root)"
        parts.append(f"{loc}: {e['msg']}")
    return "; ".join(parts)


def parse_reply(reply: LLMReply, model: type[T]) -> tuple[T | None, str | None]:
    """Validate a reply against ``model``; return (answer, None) or (None, why not)."""
    if reply.stop_reason in REFUSAL_STOPS:
        return None, f"refusal (stop_reason={reply.stop_reason})"
    data = reply.tool_input if reply.tool_input is not None else extract_json(reply.text)
    if data is None:
        return None, "no tool call and no JSON object in the answer"
    try:
        return model.model_validate(data), None
    except ValidationError as exc:
        return None, "schema: " + _schema_errors(exc)


@dataclass
class GatewayOptions:
    timeout_s: float = 20.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    repair: bool = True


class StructuredLLM:
    """Ask a model for a pydantic-shaped answer, with guards, ledger and replay."""

    def __init__(
        self,
        transport: LLMTransport | None,
        ledger: LedgerPort,
        clock: Clock,
        *,
        mode: Literal["live", "replay"] = "live",
        replay_models: Sequence[str] = (),
        strict_replay: bool = True,
        prices: PriceTable | None = None,
        budget: DailyBudget | None = None,
        limiter: RateLimiter | None = None,
        breaker: CircuitBreaker | None = None,
        options: GatewayOptions | None = None,
        sleep: Sleep = real_sleep,
    ) -> None:
        if mode == "live" and transport is None:
            raise ValueError("a live StructuredLLM needs a transport")
        self.transport = transport
        self.ledger = ledger
        self.clock = clock
        self.mode = mode
        self.replay_models = tuple(replay_models) or (
            (transport.model,) if transport is not None else ()
        )
        self.strict_replay = strict_replay
        self.prices = prices or PriceTable()
        self.budget = budget
        self.limiter = limiter
        self.breaker = breaker
        self.options = options or GatewayOptions()
        self.sleep = sleep

    @property
    def provider(self) -> str:
        return (
            "replay" if self.mode == "replay" or self.transport is None else self.transport.provider
        )

    @property
    def model(self) -> str:
        if self.mode == "live" and self.transport is not None:
            return self.transport.model
        return self.replay_models[0] if self.replay_models else "unknown"

    # ------------------------------------------------------------------ public
    def ask(self, request: LLMRequest, model: type[T], decision_time: datetime) -> Outcome[T]:
        outcome: Outcome[T] = Outcome(answer=None)
        reply, record, err = self._call(request, decision_time)
        if record is not None:
            outcome.records.append(record)
        if reply is None:
            outcome.error = err
            return outcome
        answer, why = parse_reply(reply, model)
        if answer is not None:
            outcome.answer = answer
            return outcome
        if reply.stop_reason in REFUSAL_STOPS or not self.options.repair:
            outcome.error = why
            return outcome
        repair = self._repair_request(request, reply, why or "invalid")
        reply2, record2, err2 = self._call(repair, decision_time)
        if record2 is not None:
            outcome.records.append(record2)
        if reply2 is None:
            outcome.error = f"{why}; repair failed: {err2}"
            return outcome
        answer2, why2 = parse_reply(reply2, model)
        outcome.answer = answer2
        outcome.repaired = answer2 is not None
        outcome.error = None if answer2 is not None else f"{why}; repair: {why2}"
        return outcome

    # ------------------------------------------------------------------ internals
    @staticmethod
    def _repair_request(request: LLMRequest, reply: LLMReply, why: str) -> LLMRequest:
        previous = (
            json.dumps(reply.tool_input, sort_keys=True, default=str)
            if reply.tool_input is not None
            else reply.text
        )[:2000]
        user = (
            f"{request.user}\n\n"
            f"Your previous answer was rejected: {why}\n"
            f"Previous answer (for reference only):\n{previous}\n"
            f"Call the tool `{request.tool_name}` again with input that matches its schema "
            "exactly."
        )
        return LLMRequest(
            system=request.system,
            user=user,
            tool_name=request.tool_name,
            tool_description=request.tool_description,
            schema=request.schema,
            max_tokens=request.max_tokens,
        )

    def _call(
        self, request: LLMRequest, decision_time: datetime
    ) -> tuple[LLMReply | None, LLMCallRecord | None, str | None]:
        if self.mode == "replay":
            return self._replay(request)
        return self._live(request, decision_time)

    def _replay(
        self, request: LLMRequest
    ) -> tuple[LLMReply | None, LLMCallRecord | None, str | None]:
        for model in self.replay_models:
            rec = self.ledger.lookup(request_hash(model, request.prompt(), request.schema))
            if rec is None:
                continue
            if rec.response is None or rec.error is not None:
                return None, rec, rec.error or "replayed error"
            return LLMReply.from_dict(rec.response), rec, None
        if self.strict_replay:
            h = request_hash(self.model, request.prompt(), request.schema)
            raise ReplayMissError(
                f"ledger has no answer for request_hash={h} (models tried: "
                f"{', '.join(self.replay_models)}); the replay would differ from the recorded run"
            )
        return None, None, "replay miss"

    def _live(
        self, request: LLMRequest, decision_time: datetime
    ) -> tuple[LLMReply | None, LLMCallRecord | None, str | None]:
        assert self.transport is not None
        model = self.transport.model
        h = request_hash(model, request.prompt(), request.schema)
        started = self.clock.now()

        def rec(reply: LLMReply | None, error: str | None, latency_ms: int = 0) -> LLMCallRecord:
            tin = reply.tokens_in if reply else 0
            tout = reply.tokens_out if reply else 0
            record = LLMCallRecord(
                request_hash=h,
                provider=self.provider,
                model=model,
                request=request.to_dict(model),
                response=reply.to_dict() if reply else None,
                tokens_in=tin,
                tokens_out=tout,
                cost_usd=self.prices.cost(model, tin, tout),
                latency_ms=max(0, latency_ms),
                error=error,
                decision_time=decision_time,
                created_at=started,
            )
            self.ledger.record(record)
            return record

        if self.budget is not None and not self.budget.allows():
            err = f"skipped: daily LLM budget ${self.budget.limit} reached"
            return None, rec(None, err), err
        if self.breaker is not None and not self.breaker.allow():
            err = "skipped: circuit breaker open"
            return None, rec(None, err), err
        if self.limiter is not None:
            wait = self.limiter.reserve()
            if wait > 0:
                self.sleep(wait)

        reply: LLMReply | None = None
        error: str | None = None
        attempts = self.options.retry.max_retries + 1
        t0 = self.clock.now()
        for attempt in range(1, attempts + 1):
            try:
                reply = self.transport.send(request, self.options.timeout_s)
                error = None
                break
            except TransientLLMError as exc:
                error = f"{exc} (attempt {attempt}/{attempts})"
                if attempt < attempts:
                    self.sleep(self.options.retry.delay(attempt))
            except LLMError as exc:
                error = str(exc)
                break
        latency = int((self.clock.now() - t0).total_seconds() * 1000)
        record = rec(reply, error, latency)
        if self.budget is not None:
            self.budget.charge(record.cost_usd)
        if self.breaker is not None:
            if reply is None:
                self.breaker.failure()
            else:
                self.breaker.success()
        return reply, record, error
