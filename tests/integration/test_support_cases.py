"""Seed 003's support cases, AI disclosure and quota through the real API, worker and Temporal.

* a case created directly gets comments while open, 409 ``case_not_open`` once closed, and is a
  404 for another user of the same tenant; ``status_filter`` lists by status;
* a case from a conversation needs it escalated (409 before), and carries its transcript;
* the disclosure is pinned per user (wrong version 409, accepting again moves ``accepted_at``),
  and with the disclosure required a turn is 403 until the user accepts;
* the quota counts the caller's turns and the model's tokens; over a limit a turn is 429.
"""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, AsyncIterator

import httpx
import pytest
from temporalio.client import Client

from agents.chat.model import FixedLatencyChatModel
from agents.chat.services import get_chat_services
from agents.registry import TriageToolkit
from api.main import create_app
from core.api_keys import ApiKeyStore
from core.settings import Settings
from tests.integration.conftest import queries_of

pytestmark = pytest.mark.integration


def _user(api_key_store: ApiKeyStore, tenant: str, user: str | None = None) -> dict[str, str]:
    """Headers of a fresh agent key of its own user (every test user starts from nothing)."""
    return {"Authorization": f"Bearer {api_key_store.create(tenant, 'agent', user_id=user or f'user-{uuid.uuid4().hex[:8]}')[1]}"}


@asynccontextmanager
async def app_with(
    temporal_client: Client, toolkit: TriageToolkit, settings: Settings, **changes: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """A second API process (same worker, stores and engine) with other support settings."""
    app = create_app(settings.model_copy(update=changes), temporal_client=temporal_client, queries=queries_of(toolkit))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver", timeout=120) as client:
            yield client


async def test_case_lifecycle_comments_ownership_and_filter(
    api_client: httpx.AsyncClient, api_key_store: ApiKeyStore, integration_settings: Settings
) -> None:
    tenant = integration_settings.default_tenant
    me, other = _user(api_key_store, tenant), _user(api_key_store, tenant)
    created = await api_client.post(
        "/api/support/ai/cases",
        json={"subject": "Laptop fan is very loud", "description": "Since Monday the fan runs at full speed.", "priority": "high"},
        headers=me,
    )
    assert created.status_code == 200, created.text
    case = created.json()
    case_id = case["case_id"]
    assert case["status"] == "open" and case["priority"] == "high" and case["comments"] == [] and case["conversation_snapshot"] == []

    listed = (await api_client.get("/api/support/ai/cases", headers=me)).json()
    assert [c["case_id"] for c in listed] == [case_id]
    assert (await api_client.get("/api/support/ai/cases", headers=other)).json() == []

    commented = await api_client.post(f"/api/support/ai/cases/{case_id}/comments", json={"body": "It also gets hot."}, headers=me)
    assert commented.status_code == 200, commented.text
    assert [(c["author"], c["body"], c["public"]) for c in commented.json()["comments"]] == [("customer", "It also gets hot.", True)]
    fetched = (await api_client.get(f"/api/support/ai/cases/{case_id}", headers=me)).json()
    assert fetched["comments"] == commented.json()["comments"] and fetched["description"] == "Since Monday the fan runs at full speed."

    for response in (
        await api_client.get(f"/api/support/ai/cases/{case_id}", headers=other),
        await api_client.post(f"/api/support/ai/cases/{case_id}/comments", json={"body": "mine now"}, headers=other),
        await api_client.post(f"/api/support/ai/cases/{case_id}/close", headers=other),
    ):
        assert response.status_code == 404 and response.json()["detail"]["code"] == "case_not_found", response.text
    assert (await api_client.get("/api/support/ai/cases/999999999", headers=me)).status_code == 404
    blank = await api_client.post(f"/api/support/ai/cases/{case_id}/comments", json={"body": "   "}, headers=me)
    assert blank.status_code == 422

    closed = await api_client.post(f"/api/support/ai/cases/{case_id}/close", headers=me)
    assert closed.status_code == 200 and closed.json()["status"] == "closed" and closed.json()["closed_at"]
    late = await api_client.post(f"/api/support/ai/cases/{case_id}/comments", json={"body": "One more thing"}, headers=me)
    assert late.status_code == 409 and late.json()["detail"]["code"] == "case_not_open", late.text
    assert len((await api_client.get(f"/api/support/ai/cases/{case_id}", headers=me)).json()["comments"]) == 1

    second = (await api_client.post("/api/support/ai/cases", json={"subject": "Printer offline"}, headers=me)).json()
    by_status = {
        status: [c["case_id"] for c in (await api_client.get("/api/support/ai/cases", params={"status_filter": status}, headers=me)).json()]
        for status in ("open", "closed")
    }
    assert by_status == {"open": [second["case_id"]], "closed": [case_id]}
    assert (await api_client.get("/api/support/ai/cases", params={"status_filter": "pending"}, headers=me)).status_code == 422


async def test_case_from_an_escalated_conversation_keeps_its_transcript(
    api_client: httpx.AsyncClient, api_key_store: ApiKeyStore, integration_settings: Settings
) -> None:
    tenant = integration_settings.default_tenant
    me, other = _user(api_key_store, tenant), _user(api_key_store, tenant)
    conversation = (await api_client.post("/api/support/ai/conversations", json={"title": "VPN"}, headers=me)).json()["conversation_id"]
    turn = await api_client.post(
        f"/api/support/ai/conversations/{conversation}/messages", json={"message": "GlobalProtect VPN says authentication failed"}, headers=me
    )
    assert turn.status_code == 200, turn.text
    body = {"subject": "VPN still fails", "conversation_id": conversation}

    early = await api_client.post("/api/support/ai/cases", json=body, headers=me)
    assert early.status_code == 409 and early.json()["detail"]["code"] == "conversation_not_escalated", early.text
    assert (await api_client.post(f"/api/support/ai/conversations/{conversation}/escalate", json={"reason": "still broken"}, headers=me)).status_code == 200
    foreign = await api_client.post("/api/support/ai/cases", json=body, headers=other)
    assert foreign.status_code == 404 and foreign.json()["detail"]["code"] == "conversation_not_found"

    created = await api_client.post("/api/support/ai/cases", json=body, headers=me)
    assert created.status_code == 200, created.text
    case = created.json()
    assert case["conversation_id"] == conversation
    snapshot = case["conversation_snapshot"]
    assert [m["role"] for m in snapshot] == ["user", "assistant"]
    assert snapshot[0]["content"] == "GlobalProtect VPN says authentication failed" and snapshot[1]["content"] == turn.json()["response"]


async def test_disclosure_is_pinned_per_user_and_can_be_required(
    api_client: httpx.AsyncClient, api_key_store: ApiKeyStore, integration_settings: Settings, temporal_client: Client, toolkit: TriageToolkit
) -> None:
    tenant = integration_settings.default_tenant
    me = _user(api_key_store, tenant)
    version = integration_settings.support_disclosure_version
    status = (await api_client.get("/api/support/ai/disclosure/status", headers=me)).json()
    assert status == {"version": version, "accepted": False, "accepted_version": None, "accepted_at": None, "required": False}

    wrong = await api_client.post("/api/support/ai/disclosure/accept", json={"version": "1999-01"}, headers=me)
    assert wrong.status_code == 409 and wrong.json()["detail"]["code"] == "disclosure_version_mismatch"
    first = (await api_client.post("/api/support/ai/disclosure/accept", json={"version": version}, headers=me)).json()
    assert first["accepted"] and first["accepted_version"] == version
    again = (await api_client.post("/api/support/ai/disclosure/accept", json={"version": version}, headers=me)).json()
    assert datetime.fromisoformat(again["accepted_at"]) > datetime.fromisoformat(first["accepted_at"])
    assert (await api_client.get("/api/support/ai/disclosure/status", headers=me)).json() == again
    assert not (await api_client.get("/api/support/ai/disclosure/status", headers=_user(api_key_store, tenant))).json()["accepted"]

    async with app_with(temporal_client, toolkit, integration_settings, support_disclosure_required=True) as strict:
        newcomer = _user(api_key_store, tenant)
        refused = await strict.post("/v1/ai/chat", json={"message": "How do I reset my password?"}, headers=newcomer)
        assert refused.status_code == 403 and refused.json()["detail"]["code"] == "disclosure_required", refused.text
        assert (await strict.post("/api/support/ai/disclosure/accept", json={"version": version}, headers=newcomer)).json()["required"]
        answered = await strict.post("/v1/ai/chat", json={"message": "How do I reset my password?"}, headers=newcomer)
        assert answered.status_code == 200, answered.text


async def test_quota_counts_turns_and_tokens_and_stops_turns_over_a_limit(
    api_key_store: ApiKeyStore, integration_settings: Settings, temporal_client: Client, toolkit: TriageToolkit, running_worker: None
) -> None:
    tenant = integration_settings.default_tenant
    me = _user(api_key_store, tenant)
    services = get_chat_services()
    model = services.model
    services.model = FixedLatencyChatModel(first_token_s=0.0, per_token_s=0.0)  # reports whitespace tokens as usage
    try:
        async with app_with(temporal_client, toolkit, integration_settings, support_quota_messages=2, support_quota_tokens=0) as api:
            fresh = (await api.get("/api/support/ai/quota", headers=me)).json()
            assert fresh["used"] == {"messages": 0, "tokens": 0, "cost_usd": 0.0} and fresh["allowed"] and fresh["exceeded"] == []
            assert fresh["limits"]["messages"] == 2 and fresh["limits"]["tokens"] is None and fresh["period"] == "day"

            replies = []
            for message in ("GlobalProtect VPN says authentication failed", "I tried that and it still fails"):
                response = await api.post("/v1/ai/chat", json={"message": message, **({"conversationId": replies[0]["conversationId"]} if replies else {})}, headers=me)
                assert response.status_code == 200, response.text
                replies.append(response.json())
            used = (await api.get("/api/support/ai/quota", headers=me)).json()
            assert used["used"]["messages"] == 2 and used["used"]["tokens"] == sum(r["token_usage"]["total"] for r in replies) > 0
            assert used["exceeded"] == ["messages"] and not used["allowed"] and used["remaining"]["messages"] == 0

            over = await api.post("/v1/ai/chat", json={"message": "And now?", "conversationId": replies[0]["conversationId"]}, headers=me)
            assert over.status_code == 429 and over.json()["detail"]["code"] == "quota_exceeded", over.text
            assert int(over.headers["Retry-After"]) > 0
            other = _user(api_key_store, tenant)
            assert (await api.post("/v1/ai/chat", json={"message": "How do I reset my password?"}, headers=other)).status_code == 200
    finally:
        services.model = model
