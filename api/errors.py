"""Translate our error tree into HTTP answers with codes users can act on."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tools.errors import ConfigurationError, InvalidInputError, NotFoundError, StoreUnavailableError, TriageError

_STATUS: dict[type[TriageError], int] = {
    InvalidInputError: 400,
    NotFoundError: 404,
    StoreUnavailableError: 503,
    ConfigurationError: 500,
}


class WorkflowFailedError(TriageError):
    """The triage workflow ended in failure; the run id lets an operator inspect it in the Temporal UI."""

    code = "workflow_failed"


class WorkflowTimeoutError(TriageError):
    """The workflow did not finish in time; it keeps running and a retry of the request returns its result."""

    code = "workflow_timeout"


def install_error_handlers(app: FastAPI) -> None:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, TriageError)
        status = 502 if isinstance(exc, WorkflowFailedError) else 504 if isinstance(exc, WorkflowTimeoutError) else next(
            (code for kind, code in _STATUS.items() if isinstance(exc, kind)), 500
        )
        return JSONResponse(status_code=status, content={"detail": {"code": exc.code, "message": str(exc)}})

    async def handle_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            return JSONResponse(
                status_code=400,
                content={"detail": {"code": "invalid_body", "message": "The request body could not be read: send UTF-8 encoded JSON."}},
            )
        return await http_exception_handler(request, exc)  # type: ignore[return-value]

    app.add_exception_handler(TriageError, handle)
    app.add_exception_handler(StarletteHTTPException, handle_http)
