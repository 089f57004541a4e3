"""Translate our error tree into HTTP answers with codes users can act on."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tools.errors import ConfigurationError, InvalidInputError, StoreUnavailableError, TriageError

_STATUS: dict[type[TriageError], int] = {
    InvalidInputError: 400,
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

    app.add_exception_handler(TriageError, handle)
