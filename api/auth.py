"""Who is calling: API-key authentication for every route but health, docs and the codec.

``authenticate`` is applied per router in ``api/main.py`` (``include_router(dependencies=...)``), so
a route added to a router later is protected without anyone remembering to; the integration test
walks ``app.routes`` to prove it. The two security schemes make ``/docs`` show an *Authorize* button.

The tenant of a request is the key's; ``X-Tenant-ID`` may only repeat it, except for admin and
service keys, which may act for any tenant explicitly (``api.deps.TenantDep``).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, NoReturn

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from core.api_keys import ApiKeyStore, Principal

__all__ = ["Principal", "authenticate", "forbidden", "require_personal_data_role", "PERSONAL_DATA_ROLES", "PUBLIC_PATH_PREFIXES"]

#: Roles that may see a tenant's personal data in clear (``/v1/ai/rehydrate``): the people who work
#: the tickets (``agent``) and the tenant's administrators (``admin``). ``service`` keys are machine
#: credentials that may act for every tenant, so a leaked one must not be able to unmask them all.
PERSONAL_DATA_ROLES: frozenset[str] = frozenset({"agent", "admin"})

#: Paths that need no API key: probes, the docs, and the codec (it checks its own token).
PUBLIC_PATH_PREFIXES: tuple[str, ...] = ("/health", "/docs", "/redoc", "/openapi.json", "/codec/")

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKeyBearer",
    description="An API key from `triage-desk keys create`, as `Authorization: Bearer td_...`.",
)
_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="ApiKeyHeader", description="The same API key in an `X-API-Key` header."
)


def _unauthenticated(message: str) -> NoReturn:
    raise HTTPException(401, detail={"code": "unauthenticated", "message": message}, headers={"WWW-Authenticate": "Bearer"})


def forbidden(message: str) -> NoReturn:
    """403 with our error shape: the key is valid but may not do this."""
    raise HTTPException(403, detail={"code": "forbidden", "message": message})


def require_personal_data_role(principal: Principal) -> None:
    """403 ``forbidden`` unless the key's role may see personal data in clear."""
    if principal.role not in PERSONAL_DATA_ROLES:
        forbidden(f"a {principal.role} key may not see personal data in clear; use an agent or admin key ({', '.join(sorted(PERSONAL_DATA_ROLES))})")


async def authenticate(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key_header)],
) -> Principal:
    """The principal of the request's API key, or 401 ``unauthenticated``.

    The common case (a key seen in the last ``TRIAGE_API_KEY_CACHE_SECONDS``) is answered from the
    in-process cache without a thread hop; a miss runs the SQL look-up in a thread.
    """
    presented = bearer.credentials if bearer is not None else api_key
    if not presented:
        _unauthenticated("send an API key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>' (triage-desk keys create)")
    store: ApiKeyStore = request.app.state.api_keys
    hit, principal = store.cached(presented)
    if not hit:
        principal = await asyncio.to_thread(store.verify, presented)
    if principal is None:
        _unauthenticated("the API key is unknown, malformed or revoked")
    request.state.principal = principal
    return principal
