"""Translate our error tree into HTTP answers with codes users can act on.

Every error leaves as JSON: ``{"detail": {"code": ..., "message": ...}}`` for ours, FastAPI's
validation list for 422 (rewritten so it never echoes personal or large input), and
``internal_error`` for anything unforeseen (never a plain-text 500). Errors a caller can cure by
waiting (the workflow engine or a store is down) carry ``Retry-After``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import (
    ConfigurationError,
    EngineUnavailableError,
    ForbiddenError,
    UsageLimitExceededError,
    InvalidInputError,
    NotFoundError,
    StoreUnavailableError,
    TimeBudgetExceededError,
    TriageError,
    WorkflowFailedError,
    WorkflowTimeoutError,
)
from api.budget import ClientGoneError
from tools.queries import scrub

__all__ = ["install_error_handlers", "error_response", "ERROR_SCHEMA", "ERROR_RESPONSES", "RETRY_AFTER_SECONDS", "PERSONAL_FIELDS", "safe_validation_errors"]

log = logging.getLogger(__name__)

#: Seconds a caller should wait before repeating a request that met an unavailable engine or store.
RETRY_AFTER_SECONDS = 5
#: Longest echoed ``input`` of a validation error (characters).
ECHO_LIMIT = 100
#: Request fields that may hold personal data: validation errors never echo their values.
PERSONAL_FIELDS: frozenset[str] = frozenset(
    {
        "raw_message",
        "description",
        "subject",
        "title",
        "text",
        "query",
        "customer_email",
        "customer_name",
        "requesterEmail",
        "message",
        "resolution",
        "resolved_by",
        "user_description",
        "body",
        "comment",
        "reason",
        "filters",
        "payloads",
    }
)

# More specific classes first: the first isinstance match wins.
_STATUS: tuple[tuple[type[TriageError], int], ...] = (
    (WorkflowFailedError, 502),
    (WorkflowTimeoutError, 504),
    (EngineUnavailableError, 503),
    (TimeBudgetExceededError, 413),
    (ClientGoneError, 499),  # nginx's "client closed request": nobody reads it, but the access log tells
    (InvalidInputError, 400),
    (ForbiddenError, 403),
    (UsageLimitExceededError, 429),
    (NotFoundError, 404),
    (StoreUnavailableError, 503),
    (ConfigurationError, 500),
)
_RETRYABLE = (EngineUnavailableError, StoreUnavailableError)


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}
_RETRY_AFTER_HEADER = {"Retry-After": {"description": "Seconds to wait before repeating the request", "schema": {"type": "integer"}}}


def error_response(description: str, retry_after: bool = False) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}
    if retry_after:
        response["headers"] = _RETRY_AFTER_HEADER
    return response


#: Responses every authenticated route may give, for the OpenAPI schema (``responses=`` of a router).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: error_response("Bad input (`invalid_input`, `invalid_body`, ...)"),
    401: error_response("No, unknown or revoked API key (`unauthenticated`)"),
    403: error_response("The key may not do this (`forbidden`)"),
    413: error_response("The request body is over TRIAGE_MAX_BODY_BYTES (`body_too_large`)"),
    500: error_response("Unexpected error (`internal_error`); the request id identifies it in the logs"),
    503: error_response("The workflow engine or a store is unavailable (`engine_unavailable`, `store_unavailable`); retry later", retry_after=True),
}


#: tRPC's error codes by HTTP status (``TRPC_ERROR_CODES_BY_KEY`` / ``getHTTPStatusCodeFromError``).
TRPC_CODES: dict[int, tuple[str, int]] = {
    400: ("BAD_REQUEST", -32600),
    401: ("UNAUTHORIZED", -32001),
    403: ("FORBIDDEN", -32003),
    404: ("NOT_FOUND", -32004),
    405: ("METHOD_NOT_SUPPORTED", -32005),
    408: ("TIMEOUT", -32008),
    409: ("CONFLICT", -32009),
    413: ("PAYLOAD_TOO_LARGE", -32013),
    415: ("UNSUPPORTED_MEDIA_TYPE", -32015),
    422: ("UNPROCESSABLE_CONTENT", -32022),
    429: ("TOO_MANY_REQUESTS", -32029),
    499: ("CLIENT_CLOSED_REQUEST", -32099),
    501: ("NOT_IMPLEMENTED", -32603),
    502: ("INTERNAL_SERVER_ERROR", -32603),  # seed 004: "AI processing failed" is INTERNAL_SERVER_ERROR
    503: ("SERVICE_UNAVAILABLE", -32603),
    504: ("GATEWAY_TIMEOUT", -32603),
}
TRPC_PREFIX = "/api/trpc/"


def trpc_error(path: str, status: int, content: dict[str, Any]) -> dict[str, Any]:
    """``content`` plus tRPC's error envelope for a ``/api/trpc/`` route (seed 004's clients read
    ``error.json.data.code``: NOT_FOUND, FORBIDDEN, TOO_MANY_REQUESTS...); ``detail`` stays, so a
    client of the REST routes reads these errors the same way. ``data.appCode`` is our stable code."""
    if not path.startswith(TRPC_PREFIX):
        return content
    detail = content.get("detail")
    if isinstance(detail, dict):
        message, app_code = str(detail.get("message", "")), str(detail.get("code", ""))
    elif isinstance(detail, list):
        message = "; ".join(
            f"{'.'.join(str(part) for part in error.get('loc', ()) if part not in ('body', 'json', 'query'))}: {error.get('msg', '')}" for error in detail[:5]
        )
        app_code = "invalid_input"
    else:
        message, app_code = str(detail or ""), "error"
    name, number = TRPC_CODES.get(status, ("INTERNAL_SERVER_ERROR", -32603))
    data = {"code": name, "httpStatus": status, "path": path[len(TRPC_PREFIX):], "appCode": app_code}
    return {**content, "error": {"json": {"message": message, "code": number, "data": data}}}


def _status_of(exc: TriageError) -> int:
    return next((status for kind, status in _STATUS if isinstance(exc, kind)), 500)


def _json_safe(value: str) -> str:
    """Text that can be encoded as UTF-8: a lone surrogate becomes U+FFFD."""
    return value.encode("utf-8", "replace").decode("utf-8") if not value.isascii() else value


def _echo(value: Any) -> Any:
    """An input value as it may be echoed: scalars as they are, long text cut, containers summarised."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        # Scrub before cutting (a window past the cut, so a value straddling it is still whole): a cut
        # made first left a PESEL's first six digits (the birth date) or half an email unmasked.
        if len(value) <= ECHO_LIMIT:
            return _json_safe(scrub(value))
        return _json_safe(scrub(value[: ECHO_LIMIT + 200])[:ECHO_LIMIT] + f"... ({len(value)} characters)")
    if isinstance(value, dict):
        return f"<object with {len(value)} field(s)>"
    if isinstance(value, (list, tuple)):
        return f"<array of {len(value)} item(s)>"
    return f"<{type(value).__name__}>"


def _touches_personal_field(loc: tuple[Any, ...] | list[Any]) -> bool:
    # loc[0] is where the value came from ("body", "query", "path", "header"), never a field name:
    # a case comment's field is itself called "body".
    return any(isinstance(part, str) and part in PERSONAL_FIELDS for part in loc[1:])


def safe_validation_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """FastAPI's validation errors without personal or large input: ``input`` of a personal field
    is dropped, other inputs are cut to ``ECHO_LIMIT`` characters, messages are scrubbed, and
    nothing that cannot be encoded as UTF-8 (a lone surrogate) remains."""
    safe = []
    for error in errors:
        loc = list(error.get("loc", ()))
        item: dict[str, Any] = {
            "type": error.get("type", "value_error"),
            "loc": [_json_safe(part) if isinstance(part, str) else part for part in loc],
            "msg": _json_safe(scrub(str(error.get("msg", "")))),
        }
        if "input" in error and not _touches_personal_field(loc) and error.get("type") != "json_invalid":
            item["input"] = _echo(error["input"])
        ctx = error.get("ctx")
        if isinstance(ctx, dict):
            item["ctx"] = {key: value if isinstance(value, (int, float)) else _echo(str(value)) for key, value in ctx.items()}
        safe.append(item)
    return jsonable_encoder(safe)


def install_error_handlers(app: FastAPI) -> None:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, TriageError)
        status = _status_of(exc)
        message = str(exc)
        if isinstance(exc, StoreUnavailableError):
            # A store's own error text can carry a query or a filter value: log it, tell the caller less.
            log.warning("store unavailable on %s %s: %s", request.method, request.url.path, scrub(message))
            message = "a backing store (vector store or SQL) is unavailable; retry in a few seconds"
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if isinstance(exc, _RETRYABLE) else None
        if isinstance(exc, UsageLimitExceededError):
            headers = {"Retry-After": str(exc.retry_after_s)}
        content = {"detail": {"code": exc.code, "message": _json_safe(message)}}
        return JSONResponse(status_code=status, content=trpc_error(request.url.path, status, content), headers=headers)

    async def handle_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            content = {"detail": {"code": "invalid_body", "message": "The request body could not be read: send UTF-8 encoded JSON."}}
            return JSONResponse(status_code=400, content=trpc_error(request.url.path, 400, content))
        if request.url.path.startswith(TRPC_PREFIX):
            content = trpc_error(request.url.path, exc.status_code, {"detail": exc.detail})
            return JSONResponse(status_code=exc.status_code, content=content, headers=getattr(exc, "headers", None))
        return await http_exception_handler(request, exc)  # type: ignore[return-value]

    async def handle_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        content = {"detail": safe_validation_errors(list(exc.errors()))}
        return JSONResponse(status_code=422, content=trpc_error(request.url.path, 422, content))

    async def handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = getattr(request.state, "request_id", "")
        log.error("unexpected %s on %s %s (request %s)", type(exc).__name__, request.method, request.url.path, request_id, exc_info=exc)
        return JSONResponse(
            status_code=500,
            content=trpc_error(
                request.url.path, 500, {"detail": {"code": "internal_error", "message": f"unexpected error; quote request id {request_id!r} to an operator"}}
            ),
            headers={"x-request-id": request_id} if request_id else None,
        )

    app.add_exception_handler(TriageError, handle)
    app.add_exception_handler(StarletteHTTPException, handle_http)
    app.add_exception_handler(RequestValidationError, handle_validation)
    app.add_exception_handler(Exception, handle_unexpected)
