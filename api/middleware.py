"""Request ids: echo the caller's ``x-request-id`` or mint one, on every response.

A plain ASGI middleware rather than ``@app.middleware("http")``: Starlette's ``BaseHTTPMiddleware``
wraps ``receive`` so that ``Request.is_disconnected()`` never sees the client leave, and the
free-text endpoints stop their work on exactly that (``api/budget.py``).
"""

from __future__ import annotations

import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
