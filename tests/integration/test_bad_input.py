"""Bad input gets a short, clear 4xx: lone surrogates, huge or personal values in validation errors,
unknown fields, search filters a store would read as operators; and store or unexpected errors never
leak their text."""

from __future__ import annotations

from typing import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from api.errors import install_error_handlers
from core.errors import StoreUnavailableError
from core.settings import Settings

SURROGATE_BODIES = {
    "/v1/ai/entities": b'{"text": "PESEL 44051401359 \\ud800 koniec"}',
    "/v1/ai/redact": b'{"text": "PESEL 44051401359 \\ud800 koniec"}',
    "/api/v1/tickets/process": (
        b'{"ticket_id": "TKT-SUR-1", "raw_message": "Printer \\udfff broken since Monday, please help",'
        b' "customer_name": "Jan", "customer_email": "jan@example.com"}'
    ),
}


@pytest.mark.parametrize("path", sorted(SURROGATE_BODIES))
async def test_a_lone_surrogate_is_a_422_with_a_message(api_client: httpx.AsyncClient, path: str) -> None:
    response = await api_client.post(path, content=SURROGATE_BODIES[path], headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    assert error["type"] == "json_invalid" and "surrogate" in error["ctx"]["error"]
    assert "44051401359" not in response.text


async def test_a_surrogate_pair_is_fine(api_client: httpx.AsyncClient) -> None:
    response = await api_client.post(
        "/v1/ai/entities", content=b'{"text": "\\ud83d\\ude00 jan@example.com"}', headers={"content-type": "application/json"}
    )
    assert response.status_code == 200 and [e["value"] for e in response.json()["entities"]] == ["jan@example.com"]


async def test_validation_errors_never_echo_personal_or_large_input(api_client: httpx.AsyncClient) -> None:
    huge = "x" * (5 * 1024 * 1024)
    response = await api_client.post(
        "/api/v1/tickets/process",
        json={"ticket_id": "TKT-HUGE", "raw_message": huge, "customer_name": "Jan Kowalski", "customer_email": "jan.kowalski@acme.pl"},
    )
    assert response.status_code == 422 and len(response.content) < 2000, len(response.content)
    assert response.json()["detail"][0]["loc"] == ["body", "raw_message"] and "input" not in response.json()["detail"][0]

    personal = await api_client.post(
        "/api/v1/tickets/process",
        json={"ticket_id": "T" * 300, "raw_message": "short", "customer_name": "", "customer_email": "jan.kowalski@@acme.pl"},
    )
    assert personal.status_code == 422
    errors = {tuple(error["loc"]): error for error in personal.json()["detail"]}
    for field in ("raw_message", "customer_name", "customer_email"):
        assert "input" not in errors["body", field], errors["body", field]
    assert "jan.kowalski" not in personal.text
    echoed = errors["body", "ticket_id"]["input"]
    assert echoed.startswith("TTTT") and len(echoed) < 150, echoed


async def test_a_body_over_the_limit_is_a_413_before_it_is_parsed(api_client: httpx.AsyncClient, integration_settings: Settings) -> None:
    """A body of any size used to be read and parsed whole before a field's length check refused it."""
    limit = integration_settings.max_body_bytes
    huge = b'{"text": "' + b"a " * (limit // 2 + 10) + b'"}'
    declared = await api_client.post("/v1/ai/entities", content=huge, headers={"content-type": "application/json"})
    assert declared.status_code == 413, declared.text[:300]
    assert declared.json()["detail"]["code"] == "body_too_large" and "TRIAGE_MAX_BODY_BYTES" in declared.json()["detail"]["message"]

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for start in range(0, len(huge), 1 << 20):
            yield huge[start : start + (1 << 20)]

    streamed = await api_client.post("/api/v1/tickets/process", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413 and streamed.json()["detail"]["code"] == "body_too_large", streamed.text[:300]
    trpc = await api_client.post("/api/trpc/ai.analyzeSentiment", content=huge, headers={"content-type": "application/json"})
    assert trpc.status_code == 413 and trpc.json()["error"]["json"]["data"]["code"] == "PAYLOAD_TOO_LARGE", trpc.text[:300]
    fine = await api_client.post("/v1/ai/entities", json={"text": "mail jan@example.com"})
    assert fine.status_code == 200, fine.text


async def test_an_echo_cut_at_its_limit_never_shows_part_of_a_personal_value(api_client: httpx.AsyncClient) -> None:
    """Echoes were cut before they were scrubbed: a PESEL across the cut showed its first six digits
    (the birth date), an email its local part."""
    pesel = "x " * 47 + "44051401359"
    email = "y" * 90 + "anna.kowalska@acme.pl"
    for body in ({"tekst": pesel}, {"tekst": email}):
        response = await api_client.post("/v1/ai/entities", json=body)
        assert response.status_code == 422, response.text
        [echoed] = [error["input"] for error in response.json()["detail"] if error["type"] == "extra_forbidden"]
        assert "440514" not in echoed and "anna" not in echoed, echoed
    too_long = await api_client.post("/v1/ai/similar-tickets", json={"ticketId": pesel + " " + pesel})
    assert too_long.status_code == 422 and "440514" not in too_long.text, too_long.text
    comment = await api_client.post("/api/support/ai/cases/1/comments", json={"body": "Jan Kowalski " * 1000})
    assert comment.status_code == 422 and "Kowalski" not in comment.text, comment.text


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("escalate", {"reason": "x" * 3_000_000}, "reason"),
        ("escalate", {"team": "t" * 1000}, "team"),
        ("escalate", {"reason": "need a human", "urgent": True}, "urgent"),
        ("tickets", {"customer_name": "n" * 3_000_000}, "customer_name"),
        ("tickets", {"category": "c" * 1000}, "category"),
        ("tickets", {"categroy": "technical"}, "categroy"),
    ],
)
async def test_bad_escalation_or_ticket_input_is_a_422_and_the_conversation_lives_on(
    api_client: httpx.AsyncClient, action: str, body: dict[str, object], field: str
) -> None:
    """A value over Temporal's payload limit (2 MB) failed the conversation's workflow: the caller
    waited 20 s for a 409 'closed' and the conversation was gone."""
    created = await api_client.post("/api/support/ai/conversations", json={"title": "VPN"})
    conversation_id = created.json()["conversation_id"]
    response = await api_client.post(f"/api/support/ai/conversations/{conversation_id}/{action}", json=body)
    assert response.status_code == 422, response.text[:300]
    assert [error["loc"] for error in response.json()["detail"]] == [["body", field]]
    assert len(response.content) < 2000
    turn = await api_client.post(f"/api/support/ai/conversations/{conversation_id}/messages", json={"message": "VPN fails with error 809"})
    assert turn.status_code == 200, turn.text
    assert (await api_client.get(f"/api/support/ai/conversations/{conversation_id}")).json()["status"] == "active"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/tickets/TKT-1", {"status": "resolved", "resolution": "Reset the router", "resolvd_by": "anna"}),
        ("/v1/ai/entities", {"text": "hello", "typs": ["email"]}),
        ("/v1/ai/redact", {"text": "hello", "langauge": "pl"}),
        ("/v1/ai/rehydrate", {"mapping_id": "map_x", "text": "hi", "extra": 1}),
        ("/v1/ai/search/semantic", {"query": "vpn", "collection": "knowledge_base", "limt": 3}),
        ("/v1/ai/similar-tickets", {"ticketId": "TKT-1", "statuss": "open"}),
        ("/v1/ai/triage", {"title": "VPN broken", "description": "The VPN fails with 809", "priority": "P1"}),
        ("/v1/ai/triage/batch", {"ticketIds": ["TKT-1"], "async": True}),
        ("/api/trpc/ai.suggestArticles", {"json": {"ticketId": "TKT-1", "limit": 3}}),
    ],
)
async def test_unknown_fields_are_rejected(api_client: httpx.AsyncClient, path: str, body: dict[str, object]) -> None:
    method = api_client.patch if path.startswith("/api/v1/tickets/") else api_client.post
    response = await method(path, json=body)
    assert response.status_code == 422, response.text
    assert any(error["type"] == "extra_forbidden" for error in response.json()["detail"]), response.text


@pytest.mark.parametrize(
    ("filters", "named"),
    [
        ({"$or": [{"status": "open"}, {"status": "resolved"}]}, "$or"),
        ({"status": {"$contains": "open"}}, "status"),
        ({"$contains": "open"}, "$contains"),
        ({"status": {"$ne": "open"}}, "status"),
        ({"status": []}, "status"),
        ({"status": ["open", 1]}, "status"),
        ({"category": [True, 1]}, "category"),
        ({"meta": {"nested": {"deep": 1}}}, "meta"),
        ({"status": None}, "status"),
        ({"tenant_id": "other"}, "tenant_id"),
        ({"count": 2**64}, "count"),
        ({"count": [1, -(2**53) - 1]}, "count"),
        ({"status.sub": "open"}, "status.sub"),
    ],
)
async def test_search_filters_are_validated_before_any_store(api_client: httpx.AsyncClient, filters: dict[str, object], named: str) -> None:
    response = await api_client.post("/v1/ai/search/semantic", json={"query": "vpn", "collection": "knowledge_base", "filters": filters})
    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "filters"] and f"'{named}'" in error["msg"], error
    assert "chroma" not in response.text.lower()


async def test_valid_filters_still_work(api_client: httpx.AsyncClient) -> None:
    response = await api_client.post(
        "/v1/ai/search/semantic",
        json={"query": "vpn", "collection": "knowledge_base", "filters": {"status": ["published", "draft"]}, "threshold": 0},
    )
    assert response.status_code == 200, response.text


async def test_store_and_unexpected_errors_do_not_leak_their_text() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/store")
    async def store() -> None:
        raise StoreUnavailableError("Chroma query failed: Expected where value for $contains to be a str, got PESEL 44051401359")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret 44051401359")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t") as client:
        unavailable = await client.get("/store")
        assert unavailable.status_code == 503 and unavailable.headers["retry-after"] == "5"
        assert unavailable.json()["detail"]["code"] == "store_unavailable"
        assert "Chroma" not in unavailable.text and "44051401359" not in unavailable.text
        crashed = await client.get("/boom")
        assert crashed.status_code == 500 and crashed.json()["detail"]["code"] == "internal_error"
        assert "44051401359" not in crashed.text
