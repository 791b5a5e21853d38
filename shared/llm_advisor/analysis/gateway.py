"""One structured LLM question with every guard, and its entry in the ledger.

``StructuredLLM.ask`` is the only path from the advisor to a model. Order of checks:
budget (fail closed) -> circuit breaker -> rate limiter -> call with retries on transient
errors -> validate against the answer schema and the caller's ``check`` -> charge the
budget, tell the breaker, record in the ledger -> on a schema error one *repair* request
(the original question plus the validation errors) -> else give up.
Giving up is not an exception: the caller gets ``answer=None`` and turns it into neutral.

Every live call, whatever went wrong, ends the same way: one ``llm_calls`` row whose
``error`` says why the call gave no usable answer (transport error, malformed reply, any
exception escaping a transport, refusal, schema error, an answer the caller's ``check``
rejects), the budget charged for the billed tokens, and one breaker failure. Only a usable
answer is a breaker success. A rejected answer keeps its ``response`` in the row, so a
replay judges it again and follows the same path (repair or not) as the recorded run.

In replay mode the same path runs but answers come from the ledger by request hash, model
by model (a fallback chain replays as it ran): no network, no budget, no new records.
Because the repair request is built from the replayed first answer, a repaired answer
replays exactly too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
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
    MalformedReplyError,
    TransientLLMError,
    extract_json,
)
from llm_advisor.core.clock import Clock
from llm_advisor.core.errors import DataError, LLMError

T = TypeVar("T", bound=BaseModel)

REFUSAL_STOPS = frozenset({"refusal", "content_filtered", "guardrail_intervened"})


class ReplayMissError(DataError):
    """Strict replay asked a question the ledger has no answer for: the run would differ."""


Check = Callable[[T], str | None]
"""A judgement on a schema-valid answer: a reason rejects it (neutral, no repair: a repair
would resend the same input, e.g. the same injected news, and pay twice)."""


@dataclass
class _Attempt(Generic[T]):
    """One logical call: its judged answer, or why there is none."""

    answer: T | None
    record: LLMCallRecord | None
    reply: LLMReply | None = None  # None: no usable reply (transport failure, skipped, replayed)
    error: str | None = None
    final: bool = False  # no repair: refusal, or an answer the check rejected


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


def judge_reply(
    reply: LLMReply, model: type[T], check: Check[T] | None = None
) -> tuple[T | None, str | None, bool]:
    """(answer, why not, final): ``final`` answers are neutral without a repair request."""
    try:
        answer, why = parse_reply(reply, model)
        if answer is None:
            return None, why, reply.stop_reason in REFUSAL_STOPS
        reason = check(answer) if check is not None else None
    except Exception as exc:  # a bug judging one answer must still leave its ledger row
        return None, f"answer check failed: {type(exc).__name__}: {str(exc)[:200]}", True
    return (None, reason, True) if reason else (answer, None, False)


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
    def ask(
        self,
        request: LLMRequest,
        model: type[T],
        decision_time: datetime,
        check: Check[T] | None = None,
    ) -> Outcome[T]:
        if self.mode != "replay":
            out = self._ask(request, model, decision_time, check, None)
            assert out is not None
            return out
        return self._ask_replay(request, model, decision_time, check)

    def _ask_replay(
        self, request: LLMRequest, model: type[T], decision_time: datetime, check: Check[T] | None
    ) -> Outcome[T]:
        """Replay a run that may have used a fallback chain: each model's recorded outcome in
        turn (the registry's order), the first answer wins, recorded failures are passed
        over as the chain passed them; a model with no row was not asked (an earlier one
        answered, or it was not configured). Only a request no model has a row for is a miss."""
        failed: list[Outcome[T]] = []
        for name in self.replay_models:
            out = self._ask(request, model, decision_time, check, name)
            if out is None:
                continue
            if out.answer is not None:
                out.records[:0] = [r for f in failed for r in f.records]
                return out
            failed.append(out)
        if failed:
            errors = "; ".join(f.error or "no answer" for f in failed)
            return Outcome(None, [r for f in failed for r in f.records], errors)
        if self.strict_replay:
            h = request_hash(self.model, request.prompt(), request.schema)
            raise ReplayMissError(
                f"ledger has no answer for request_hash={h} (models tried: "
                f"{', '.join(self.replay_models)}); the replay would differ from the recorded run"
            )
        return Outcome(None, error="replay miss")

    def _ask(
        self,
        request: LLMRequest,
        model: type[T],
        decision_time: datetime,
        check: Check[T] | None,
        replay_model: str | None,
    ) -> Outcome[T] | None:
        """One question and its repair; None when replaying ``replay_model`` has no row."""
        outcome: Outcome[T] = Outcome(answer=None)
        first = self._call(request, decision_time, model, check, replay_model)
        if first is None:
            return None
        if first.record is not None:
            outcome.records.append(first.record)
        if first.answer is not None:
            outcome.answer = first.answer
            return outcome
        if first.reply is None or first.final or not self.options.repair:
            outcome.error = first.error
            return outcome
        why = first.error or "invalid"
        repair = self._repair_request(request, first.reply, why)
        second = self._call(repair, decision_time, model, check, replay_model)
        if second is None:  # the run repaired, the ledger lacks the repair: it would differ
            if self.strict_replay:
                h = request_hash(str(replay_model), repair.prompt(), repair.schema)
                raise ReplayMissError(f"ledger has no answer for request_hash={h} (a repair)")
            second = _Attempt(None, None, error="replay miss")
        if second.record is not None:
            outcome.records.append(second.record)
        outcome.answer = second.answer
        outcome.repaired = second.answer is not None
        if second.answer is None:
            sep = "repair failed" if second.reply is None else "repair"
            outcome.error = f"{why}; {sep}: {second.error}"
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
        self,
        request: LLMRequest,
        decision_time: datetime,
        model: type[T],
        check: Check[T] | None,
        replay_model: str | None = None,
    ) -> _Attempt[T] | None:
        if replay_model is not None:
            return self._replay(request, model, check, replay_model)
        return self._live(request, decision_time, model, check)

    def _replay(
        self, request: LLMRequest, model: type[T], check: Check[T] | None, name: str
    ) -> _Attempt[T] | None:
        rec = self.ledger.lookup(request_hash(name, request.prompt(), request.schema))
        if rec is None:
            return None
        if rec.response is None:
            return _Attempt(None, rec, error=rec.error or "replayed error")
        reply = LLMReply.from_dict(rec.response)
        answer, why, final = judge_reply(reply, model, check)
        return _Attempt(answer, rec, reply, why, final)

    def _send(self, request: LLMRequest) -> tuple[LLMReply | None, str | None, tuple[int, int]]:
        """The transport call with retries: (reply, error, billed tokens when no reply).

        Any exception escaping a transport is a failure of this call, not only ``LLMError``:
        a transport bug must still leave its ledger row and count in the breaker."""
        assert self.transport is not None
        attempts = self.options.retry.max_retries + 1
        error: str | None = None
        for attempt in range(1, attempts + 1):
            try:
                return self.transport.send(request, self.options.timeout_s), None, (0, 0)
            except TransientLLMError as exc:
                error = f"{exc} (attempt {attempt}/{attempts})"
                if attempt < attempts:
                    self.sleep(self.options.retry.delay(attempt))
            except MalformedReplyError as exc:
                if exc.usage is None:
                    return None, f"{exc}; no usage block, nothing charged", (0, 0)
                return None, f"{exc}; billed tokens from its usage block", exc.usage
            except LLMError as exc:
                return None, str(exc), (0, 0)
            except Exception as exc:
                why = f"transport failure: {type(exc).__name__}: {str(exc)[:200]}"
                return None, f"{why}; no usage known, nothing charged", (0, 0)
        return None, error, (0, 0)

    def _live(
        self,
        request: LLMRequest,
        decision_time: datetime,
        model_type: type[T],
        check: Check[T] | None,
    ) -> _Attempt[T]:
        assert self.transport is not None
        model = self.transport.model
        h = request_hash(model, request.prompt(), request.schema)
        started = self.clock.now()

        def rec(
            reply: LLMReply | None,
            error: str | None,
            latency_ms: int = 0,
            billed: tuple[int, int] = (0, 0),
        ) -> LLMCallRecord:
            tin, tout = (reply.tokens_in, reply.tokens_out) if reply else billed
            return LLMCallRecord(
                request_hash=h,
                provider=self.provider,
                model=model,
                request=request.to_dict(model),
                response=reply.to_dict() if reply else None,
                tokens_in=tin,
                tokens_out=tout,
                cost_usd=self.prices.cost(model, tin, tout, provider=self.provider),
                latency_ms=max(0, latency_ms),
                error=error,
                decision_time=decision_time,
                created_at=started,
            )

        if self.budget is not None and not self.budget.allows():
            err = f"skipped: daily LLM budget ${self.budget.limit} reached"
            skipped = rec(None, err)
            self.ledger.record(skipped)
            return _Attempt(None, skipped, error=err)
        if self.breaker is not None and not self.breaker.allow():
            err = "skipped: circuit breaker open"
            skipped = rec(None, err)
            self.ledger.record(skipped)
            return _Attempt(None, skipped, error=err)
        if self.limiter is not None:
            wait = self.limiter.reserve()
            if wait > 0:
                self.sleep(wait)

        t0 = self.clock.now()
        reply, error, billed = self._send(request)
        latency = int((self.clock.now() - t0).total_seconds() * 1000)
        answer: T | None = None
        final = False
        if reply is not None:
            answer, error, final = judge_reply(reply, model_type, check)
        record = rec(reply, error, latency, billed)
        # charge and count before writing: a failed ledger write must not skip the guards,
        # and a budget that rolls to a new day reads the ledger without this row (no double)
        if self.budget is not None:
            self.budget.charge(record.cost_usd)
        if self.breaker is not None:
            if answer is None:
                self.breaker.failure()
            else:
                self.breaker.success()
        self.ledger.record(record)
        return _Attempt(answer, record, reply, error, final)
