"""One error envelope for every failure, and the guarantee that nothing internal leaks.

A portfolio API is public: a stack trace or an SQL fragment in a 500 tells an attacker the
schema and the library versions. So every exception ends here. Client mistakes get 400/422
with the offending field named; anything unexpected is logged in full with a request id and
the client receives only that id. That includes the query layer's ``UserError``: the API has
validated every parameter before calling it, so one reaching here is a configuration or
connection problem (its text names hosts and URLs), not something the caller can fix.
"""

from __future__ import annotations

import logging
import uuid
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from llm_advisor.api.schemas import ErrorBody, FieldProblem
from llm_advisor.core.errors import DatabaseUnavailableError

log = logging.getLogger("llm_advisor.api")


class ApiError(Exception):
    """A client error raised by a route: the status, a code and the field it concerns."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


def bad_request(field: str, message: str) -> ApiError:
    return ApiError(HTTPStatus.BAD_REQUEST, "bad_request", message, field)


def request_id(app: APIGatewayRestResolver) -> str:
    """API Gateway's request id (what CloudWatch and the access log carry), else a new one."""
    try:
        rid = app.current_event.request_context.request_id
    except (AttributeError, KeyError, TypeError):
        rid = None
    return str(rid) if rid else uuid.uuid4().hex


def _respond(body: ErrorBody) -> Response[Any]:
    return Response(
        status_code=body.status,
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump(mode="json"),
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def install_error_handlers(app: APIGatewayRestResolver) -> None:
    """Register the handlers. Powertools picks the most specific class along the MRO, so the
    catch-all ``Exception`` handler only sees what nothing else claims."""

    def _validation(exc: RequestValidationError) -> Response[Any]:
        problems = []
        for e in exc.errors():
            loc = [str(p) for p in e.get("loc", ())]
            location = loc[0] if loc else "request"
            field = loc[1] if len(loc) > 1 else location
            msg = str(e.get("msg", "invalid value"))
            if "input" in e:
                msg = f"{field}={_short(e['input'])}: {msg}"
            problems.append(
                FieldProblem(field=field, location=location, type=str(e.get("type")), message=msg)
            )
        names = ", ".join(dict.fromkeys(p.field for p in problems)) or "request"
        return _respond(
            ErrorBody(
                status=HTTPStatus.UNPROCESSABLE_ENTITY,
                error="validation_error",
                message=f"invalid parameter(s): {names}",
                fields=problems,
                request_id=request_id(app),
            )
        )

    def _api_error(exc: ApiError) -> Response[Any]:
        fields = (
            [FieldProblem(field=exc.field, location="query", type=exc.code, message=exc.message)]
            if exc.field
            else []
        )
        return _respond(
            ErrorBody(
                status=exc.status,
                error=exc.code,
                message=exc.message,
                fields=fields,
                request_id=request_id(app),
            )
        )

    def _not_found(_exc: NotFoundError) -> Response[Any]:
        path = app.current_event.path
        return _respond(
            ErrorBody(
                status=HTTPStatus.NOT_FOUND,
                error="not_found",
                message=f"no route {app.current_event.http_method} {path[:200]}",
                request_id=request_id(app),
            )
        )

    def _service_error(exc: ServiceError) -> Response[Any]:
        return _respond(
            ErrorBody(
                status=exc.status_code,
                error=HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_"),
                message=str(exc.msg)[:300],
                request_id=request_id(app),
            )
        )

    def _database_down(_exc: DatabaseUnavailableError) -> Response[Any]:
        # Nothing of the URL, host or driver message: the log has them (and the client
        # only needs to know that retrying later is the remedy).
        log.warning("database unavailable in %s", app.current_event.path)
        return _respond(
            ErrorBody(
                status=HTTPStatus.SERVICE_UNAVAILABLE,
                error="database_unavailable",
                message="the database is not answering; retry in a minute",
                request_id=request_id(app),
            )
        )

    def _internal(exc: Exception) -> Response[Any]:
        rid = request_id(app)
        log.exception("unhandled error in %s (request_id=%s)", app.current_event.path, rid)
        return _respond(
            ErrorBody(
                status=HTTPStatus.INTERNAL_SERVER_ERROR,
                error="internal_error",
                message="internal server error; quote the request_id when reporting it",
                request_id=rid,
            )
        )

    for exc_class, handler in (
        (RequestValidationError, _validation),
        (ApiError, _api_error),
        (NotFoundError, _not_found),
        (ServiceError, _service_error),
        (DatabaseUnavailableError, _database_down),
        (Exception, _internal),
    ):
        app.exception_handler(exc_class)(handler)


def documented_responses(
    ok: type[Any], ok_description: str, *, bad_request: bool = True, extra: int | None = None
) -> dict[int, Any]:
    """The OpenAPI ``responses`` of a route: its success model and our error envelope.

    Powertools documents its own 422 shape by default; ours replaces it so the committed
    OpenAPI file describes the bodies clients actually receive."""

    def err(text: str) -> dict[str, Any]:
        return {"description": text, "content": {"application/json": {"model": ErrorBody}}}

    out: dict[int, Any] = {
        200: {"description": ok_description, "content": {"application/json": {"model": ok}}},
        422: err("A parameter has the wrong type or format; `fields` names it"),
        500: err("Unexpected failure; the body carries only a request id"),
    }
    if bad_request:
        out[400] = err("Parameters are well-formed but inconsistent (e.g. start after end)")
    if extra is not None:
        out[extra] = err(HTTPStatus(extra).phrase)
    return out
