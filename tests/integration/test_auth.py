"""API keys at the HTTP edge: every non-public route needs one, the tenant comes from it, tenants stay apart.

The 401 sweep walks ``app.routes``, so a route added later is covered without editing this file.
"""

from __future__ import annotations

import re
import uuid
from typing import AsyncIterator

import fastapi.routing
import httpx
import pytest
from fastapi import FastAPI

from api.auth import PUBLIC_PATH_PREFIXES
from api.main import create_app
from core.api_keys import ApiKeyStore
from core.settings import Settings
from tests.integration.conftest import KeyHeaders

pytestmark = pytest.mark.integration

SEEDED_DEMO_TICKET = "TKT-H-0003"  # in the default tenant's tickets collection (worker.seed_knowledge_base)


@pytest.fixture()
async def anonymous(api_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The same app, without the default key the shared ``api_client`` sends."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api_app), base_url="http://testserver", timeout=60) as client:
        yield client


def _protected_endpoints(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route outside the public prefixes, path parameters filled in."""
    # FastAPI >= 0.16x keeps included routers as one entry in app.routes; iter_route_contexts flattens them.
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    endpoints = []
    for route in flatten(app.routes) if flatten else app.routes:
        if route.path is None or route.path.startswith(PUBLIC_PATH_PREFIXES):
            continue
        path = re.sub(r"\{[^}]+\}", "some-id", route.path)
        endpoints += [(method, path) for method in sorted(route.methods or ())]
    return endpoints


async def test_every_route_but_health_docs_and_codec_rejects_a_missing_or_wrong_key(
    api_app: FastAPI, anonymous: httpx.AsyncClient, api_key_store: ApiKeyStore
) -> None:
    endpoints = _protected_endpoints(api_app)
    assert len(endpoints) >= 12 and ("PATCH", "/api/v1/tickets/some-id") in endpoints
    record, real_key = api_key_store.create("demo", "admin")
    revoked_record, revoked_key = api_key_store.create("demo", "admin")
    api_key_store.revoke(revoked_record.key_id)
    wrong_keys = {
        "missing": {},
        "malformed": {"Authorization": "Bearer not-a-key"},
        "unknown id": {"Authorization": f"Bearer td_{'0' * 16}_{'A' * 43}"},
        "wrong secret": {"Authorization": f"Bearer td_{record.key_id}_{'A' * 43}"},
        "revoked": {"Authorization": f"Bearer {revoked_key}"},
        "wrong X-API-Key": {"X-API-Key": real_key[:-1] + ("B" if real_key[-1] != "B" else "C")},
        "basic auth": {"Authorization": "Basic ZGVtbzpkZW1v"},
    }
    for method, path in endpoints:
        for label, headers in wrong_keys.items():
            response = await anonymous.request(method, path, headers=headers)
            assert response.status_code == 401, (method, path, label, response.text)
            assert response.json()["detail"] == {"code": "unauthenticated", "message": response.json()["detail"]["message"]}
            # /api/trpc/ routes (seed 004) add tRPC's envelope beside it; nothing else is said
            assert set(response.json()) == ({"detail", "error"} if path.startswith("/api/trpc/") else {"detail"})
            assert response.headers["www-authenticate"] == "Bearer"


async def test_public_routes_need_no_key(anonymous: httpx.AsyncClient) -> None:
    for path in ("/health", "/health/live", "/docs", "/redoc", "/openapi.json"):
        assert (await anonymous.get(path)).status_code == 200, path
    codec = await anonymous.post("/codec/decode", json={"payloads": []})
    assert codec.status_code == 401 and codec.json()["detail"]["code"] == "unauthorized"  # its own token, not an API key


async def test_openapi_declares_the_key_schemes(anonymous: httpx.AsyncClient) -> None:
    schema = (await anonymous.get("/openapi.json")).json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["ApiKeyBearer"] == {"type": "http", "scheme": "bearer", "description": schemes["ApiKeyBearer"]["description"]}
    assert schemes["ApiKeyHeader"]["in"] == "header" and schemes["ApiKeyHeader"]["name"] == "X-API-Key"
    assert {"ApiKeyBearer": []} in schema["paths"]["/v1/ai/similar-tickets"]["post"]["security"]
    assert "security" not in schema["paths"]["/health"]["get"]


async def test_a_key_works_as_bearer_and_as_x_api_key(anonymous: httpx.AsyncClient, api_key_store: ApiKeyStore) -> None:
    _, key = api_key_store.create("demo", "agent", user_id="anna")
    for headers in ({"Authorization": f"Bearer {key}"}, {"X-API-Key": key}):
        response = await anonymous.post("/v1/ai/similar-tickets", json={"ticketId": SEEDED_DEMO_TICKET}, headers=headers)
        assert response.status_code == 200, response.text


async def test_revoking_in_the_api_process_takes_effect_at_once(anonymous: httpx.AsyncClient, api_app: FastAPI) -> None:
    store: ApiKeyStore = api_app.state.api_keys
    record, key = store.create("demo", "agent")
    headers = {"Authorization": f"Bearer {key}"}
    assert (await anonymous.post("/v1/ai/entities", json={"text": "VPN"}, headers=headers)).status_code == 200  # now cached
    store.revoke(record.key_id)
    assert (await anonymous.post("/v1/ai/entities", json={"text": "VPN"}, headers=headers)).status_code == 401


async def test_another_tenants_ticket_is_not_found(api_client: httpx.AsyncClient, key_headers: KeyHeaders) -> None:
    """Tenant A's agent asks for the default tenant's ticket by id on every ticket-reading route: 404, never the ticket."""
    mine = await api_client.post("/v1/ai/similar-tickets", json={"ticketId": SEEDED_DEMO_TICKET})
    assert mine.status_code == 200, mine.text  # the ticket exists, for its own tenant

    tenant_a = key_headers(f"tenant-a-{uuid.uuid4().hex[:6]}")
    attempts = {
        "similar-tickets": api_client.post("/v1/ai/similar-tickets", json={"ticketId": SEEDED_DEMO_TICKET}, headers=tenant_a),
        "triage": api_client.post("/v1/ai/triage", json={"ticketId": SEEDED_DEMO_TICKET}, headers=tenant_a),
        "batch": api_client.post("/v1/ai/triage/batch", json={"ticketIds": [SEEDED_DEMO_TICKET]}, headers=tenant_a),
        "patch": api_client.patch(f"/api/v1/tickets/{SEEDED_DEMO_TICKET}", json={"status": "in_progress"}, headers=tenant_a),
        "suggestArticles": api_client.post("/api/trpc/ai.suggestArticles", json={"json": {"ticketId": SEEDED_DEMO_TICKET}}, headers=tenant_a),
        "findSimilarTickets": api_client.post("/api/trpc/ai.findSimilarTickets", json={"json": {"ticketId": SEEDED_DEMO_TICKET}}, headers=tenant_a),
    }
    for name, request in attempts.items():
        response = await request
        if name == "batch":  # failures are reported in place
            assert response.status_code == 200 and response.json()["results"][0]["error"]["code"] == "ticket_not_found", response.text
            continue
        assert response.status_code == 404, (name, response.text)
        assert response.json()["detail"]["code"] == "ticket_not_found", (name, response.text)
        assert "resolution" not in response.text


async def test_x_tenant_id_is_for_admin_and_service_keys_only(api_client: httpx.AsyncClient, key_headers: KeyHeaders) -> None:
    tenant_a = f"tenant-a-{uuid.uuid4().hex[:6]}"
    body = {"ticketId": SEEDED_DEMO_TICKET}

    agent = await api_client.post("/v1/ai/similar-tickets", json=body, headers={**key_headers(tenant_a), "X-Tenant-ID": "demo"})
    assert agent.status_code == 403 and agent.json()["detail"]["code"] == "forbidden", agent.text
    assert agent.json()["detail"]["message"] == f"an agent key of tenant {tenant_a} cannot act for tenant demo"
    own = await api_client.post("/v1/ai/similar-tickets", json=body, headers={**key_headers("demo"), "X-Tenant-ID": "demo"})
    assert own.status_code == 200  # naming one's own tenant is allowed

    for role in ("admin", "service"):
        acting = await api_client.post("/v1/ai/similar-tickets", json=body, headers={**key_headers(tenant_a, role), "X-Tenant-ID": "demo"})
        assert acting.status_code == 200, (role, acting.text)
        assert acting.json()["similar"] == own.json()["similar"]
        without_header = await api_client.post("/v1/ai/similar-tickets", json=body, headers=key_headers(tenant_a, role))
        assert without_header.status_code == 404  # its own tenant unless it names another


def _cors_app(base: Settings, origins: list[str]) -> httpx.AsyncClient:
    settings = base.model_copy(update={"cors_origins": origins})
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings)), base_url="http://testserver")


async def test_cors_never_pairs_a_wildcard_with_credentials(integration_settings: Settings) -> None:
    preflight = {"Origin": "http://localhost:8233", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    async with _cors_app(integration_settings, ["*"]) as client:  # CORS answers preflights without the lifespan
        response = await client.options("/v1/ai/entities", headers=preflight)
        assert response.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in response.headers
    async with _cors_app(integration_settings, ["http://localhost:8233"]) as client:
        response = await client.options("/v1/ai/entities", headers=preflight)
        assert response.headers["access-control-allow-origin"] == "http://localhost:8233"
        assert response.headers["access-control-allow-credentials"] == "true"
        other = await client.options("/v1/ai/entities", headers={**preflight, "Origin": "https://evil.example"})
        assert other.status_code == 400 and "access-control-allow-origin" not in other.headers
    with pytest.raises(ValueError, match="without a path"):
        Settings(cors_origins=["http://localhost:8233/"])
    assert Settings.model_fields["cors_origins"].default == ["http://localhost:8233", "http://127.0.0.1:8233"]
