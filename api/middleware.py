"""Request ids: echo the caller's ``x-request-id`` or mint one, on every response; and a cap on
request bodies.

A plain ASGI middleware rather than ``@app.middleware("http")``: Starlette's ``BaseHTTPMiddleware``
wraps ``receive`` so that ``Request.is_disconnected()`` never sees the client leave, and the
free-text endpoints stop their work on exactly that (``api/budget.py``).
"""

from __future__ import annotations

import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import trpc_error

REQUEST_ID_HEADER = "x-request-id"


class RequestIdMiddleware:
    """Sets ``request.state.request_id`` and the ``x-request-id`` response header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((value.decode("latin-1") for key, value in scope["headers"] if key == REQUEST_ID_HEADER.encode()), "")
        request_id = incoming if 0 < len(incoming) <= 128 else f"req-{time.time():.7f}-{uuid.uuid4().hex[:8]}"
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)


class BodyLimitMiddleware:
    """413 ``body_too_large`` for a request body over ``max_bytes``, before anything parses it.

    Without it a body of any size was read and parsed in full before a field's length check
    refused it (a 200 MB body: +400 MB in the API process, then a 400). A declared
    ``Content-Length`` is refused at once; a chunked body is counted as it arrives and refused when
    it crosses the limit (the route's body read raises, and the error handlers answer it).
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _detail(self, size: str) -> dict[str, str]:
        return {
            "code": "body_too_large",
            "message": f"the request body has {size} bytes; the limit is {self.max_bytes} (TRIAGE_MAX_BODY_BYTES): send less",
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((value for key, value in scope["headers"] if key == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            content = trpc_error(scope.get("path", ""), 413, {"detail": self._detail(declared.decode())})
            await JSONResponse(content, status_code=413, headers={"connection": "close"})(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413, detail=self._detail(f"more than {self.max_bytes}"))
            return message

        await self.app(scope, counting_receive, send)
