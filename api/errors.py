"""Translate our error tree into HTTP answers with codes users can act on."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import (
    ConfigurationError,
    EngineUnavailableError,
    InvalidInputError,
    NotFoundError,
    StoreUnavailableError,
    TriageError,
    WorkflowFailedError,
    WorkflowTimeoutError,
)

_STATUS: dict[type[TriageError], int] = {
    InvalidInputError: 400,
    NotFoundError: 404,
    StoreUnavailableError: 503,
    ConfigurationError: 500,
}


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
