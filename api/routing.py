"""JSON bodies that are valid Unicode, checked before any model sees them.

JSON may spell a lone surrogate (``"\\ud800"``); Python decodes it into a ``str`` that cannot be
encoded as UTF-8 again, so Presidio, SQL, Temporal's payload converter or the JSON response would
fail on it later with a 500. :class:`JsonCheckingRoute` rejects such a body at parse time with
FastAPI's ``json_invalid`` 422 (``ctx.error`` says where), for every route of a router that uses it.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Coroutine

from fastapi import Request, Response
from fastapi.routing import APIRoute

__all__ = ["JsonCheckingRoute", "first_lone_surrogate"]


def first_lone_surrogate(value: Any, path: str = "$") -> str | None:
    """The JSON path of the first string (or key) holding an unpaired surrogate, else None."""
    if isinstance(value, str):
        if value.isascii():
            return None
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = first_lone_surrogate(key, f"{path} (a key)") or first_lone_surrogate(item, f"{path}.{key}")
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = first_lone_surrogate(item, f"{path}[{index}]")
            if found:
                return found
    return None


class _CheckedJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            parsed = json.loads(body)
            where = first_lone_surrogate(parsed)
            if where is not None:
                # FastAPI turns a JSONDecodeError into its 422 ``json_invalid`` error (msg + ctx.error).
                raise json.JSONDecodeError(
                    f"unpaired UTF-16 surrogate (\\ud800-\\udfff) in the string at {where[:100]}: not valid Unicode text", "", 0
                )
            self._json = parsed
        return self._json


class JsonCheckingRoute(APIRoute):
    """A route whose JSON body may not contain unpaired surrogates (see module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            return await handler(_CheckedJsonRequest(request.scope, request.receive))

        return checked
