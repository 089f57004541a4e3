"""Seed 004's AI procedures over HTTP, each run by the real worker through Temporal (offline provider),
on the real classifier, Presidio, Chroma + BM25 and SQL ledger; bad input answers 4xx with tRPC's
error envelope."""

from __future__ import annotations

import json
import urllib.parse
import uuid
from datetime import datetime, timezone

import httpx
import pytest
from fastapi import FastAPI

from tests.integration.conftest import KeyHeaders

TIPTAP = {
    "type": "doc",
    "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Our main production server is completely down. All customers are affected."}]}],
}


def data(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()["result"]["data"]["json"]


def trpc_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]["json"]
    assert error["data"]["code"] == code and error["data"]["httpStatus"] == status and error["message"], error
    return error


async def _ticket(api_client: httpx.AsyncClient, message: str) -> str:
    ticket_id = f"TKT-AI-{uuid.uuid4().hex[:8]}"
    processed = await api_client.post(
        "/api/v1/tickets/process",
        json={"ticket_id": ticket_id, "raw_message": message, "customer_name": "Jan Kowalski", "customer_email": "jan.kowalski@example.com"},
    )
    assert processed.status_code == 200, processed.text
    return ticket_id


async def test_analyze_sentiment_english_and_polish(api_client: httpx.AsyncClient) -> None:
    angry = data(await api_client.post("/api/trpc/ai.analyzeSentiment", json={"json": {"text": "I have been waiting for a response for 3 days now. This is unacceptable!"}}))
    assert angry["sentiment"] == "negative" and angry["score"] <= -0.3 and angry["urgency"] == "high"
    assert {"frustration", "anger"} <= set(angry["emotions"])
    happy = data(await api_client.post("/api/trpc/ai.analyzeSentiment", json={"json": {"text": "Dziękuję bardzo, wszystko już działa, świetna robota!"}}))
    assert happy["sentiment"] == "positive" and happy["score"] >= 0.3 and happy["emotions"] == ["satisfaction"]
    neutral = data(await api_client.post("/api/trpc/ai.analyzeSentiment", json={"json": {"text": "Please send me the invoice for March."}}))
    assert neutral["sentiment"] == "neutral" and -0.3 < neutral["score"] < 0.3


async def test_predict_priority_reads_tiptap_and_text(api_client: httpx.AsyncClient) -> None:
    outage = data(await api_client.post("/api/trpc/ai.predictPriority", json={"json": {"subject": "URGENT: Production server down", "description": TIPTAP}}))
    assert outage["priority"] == "urgent" and outage["confidence"] >= 0.8 and "all customers" in outage["reasoning"]
    question = data(await api_client.post(
        "/api/trpc/ai.predictPriority", json={"json": {"subject": "Pytanie o fakturę", "description": "Jak mogę pobrać fakturę? Nie jest pilne."}}
    ))
    assert question["priority"] == "low" and 0 < question["confidence"] <= 1


async def test_suggest_tags(api_client: httpx.AsyncClient) -> None:
    tags = data(await api_client.post(
        "/api/trpc/ai.suggestTags",
        json={"json": {"subject": "Cannot login to mobile app", "description": "Getting authentication error on iOS app version 2.3.1"}},
    ))["tags"]
    assert {"mobile", "ios", "authentication", "login"} <= set(tags) and len(tags) <= 6
    polish = data(await api_client.post(
        "/api/trpc/ai.suggestTags", json={"json": {"subject": "VPN nie działa", "description": "GlobalProtect nie łączy się, hasło jest poprawne"}}
    ))["tags"]
    assert "vpn" in polish and "password" in polish


async def test_suggest_assignee_from_roster_and_resolved_tickets(api_client: httpx.AsyncClient) -> None:
    oracle = data(await api_client.post(
        "/api/trpc/ai.suggestAssignee",
        json={"json": {"subject": "ORA-12541 TNS no listener", "description": "The reporting service cannot connect to srv-prod-db-03, database listener down"}},
    ))["suggestion"]
    assert oracle["agentId"] == "m.kowalski" and oracle["agentName"] == "Marek Kowalski"
    assert 0 < oracle["confidence"] <= 1 and "similar ticket" in oracle["reasoning"] and "TKT-H-0001" in oracle["reasoning"]
    webhooks = data(await api_client.post(
        "/api/trpc/ai.suggestAssignee",
        json={"json": {"subject": "API integration issue with webhooks", "description": "Having trouble setting up webhooks for order updates"}},
    ))["suggestion"]
    assert webhooks is not None and "webhooks" in webhooks["reasoning"]
    nobody = data(await api_client.post("/api/trpc/ai.suggestAssignee", json={"json": {"subject": "xyzzy", "description": "qwerty asdf"}}))
    assert nobody == {"suggestion": None}
    unknown = await api_client.post("/api/trpc/ai.suggestAssignee", json={"json": {"ticketId": "NOPE-1", "subject": "x", "description": "y"}})
    trpc_error(unknown, 404, "NOT_FOUND")


async def test_summarize_analyze_and_embed_a_stored_ticket(api_client: httpx.AsyncClient, toolkit) -> None:  # type: ignore[no-untyped-def]
    ticket_id = await _ticket(
        api_client,
        "Since this morning I cannot log in to the customer portal after the password reset. I cleared the browser cache, "
        "but the login still fails with an authentication error. My PESEL is 44051401359. This is unacceptable!",
    )
    summary = data(await api_client.post("/api/trpc/ai.summarizeTicket", json={"json": {"ticketId": ticket_id}}))["summary"]
    assert "password reset" in summary and "44051401359" not in summary
    [chunk] = toolkit.retrieval.collection("tickets").document_chunks(ticket_id, "demo")
    assert chunk.metadata["ai_summary"] == summary

    analysis = data(await api_client.post("/api/trpc/ai.analyzeTicket", json={"json": {"ticketId": ticket_id}}))
    assert set(analysis) == {"summary", "priority", "tags", "sentiment"}
    assert analysis["sentiment"]["sentiment"] == "negative" and analysis["priority"]["priority"] in ("urgent", "high", "normal", "low")
    assert "login" in analysis["tags"] and "password" in analysis["tags"]
    [chunk] = toolkit.retrieval.collection("tickets").document_chunks(ticket_id, "demo")
    assert chunk.metadata["tags"] == ",".join(analysis["tags"]) and chunk.metadata["ai_summary"] == analysis["summary"]

    embedding = data(await api_client.post("/api/trpc/ai.generateTicketEmbedding", json={"json": {"ticketId": ticket_id}}))
    assert embedding["success"] is True and embedding["embeddingDimensions"] == toolkit.embedder.dimension and embedding["tokenCount"] > 20
    [chunk] = toolkit.retrieval.collection("tickets").document_chunks(ticket_id, "demo")
    assert chunk.metadata["embedding_model"] == toolkit.embedder.model_id and chunk.metadata["ai_summary"] == analysis["summary"]

    # An agent's later update keeps the AI annotations.
    resolved = await api_client.patch(f"/api/v1/tickets/{ticket_id}", json={"status": "resolved", "resolution": "Reset the SSO session.", "resolved_by": "j.smith"})
    assert resolved.status_code == 200, resolved.text
    [chunk] = toolkit.retrieval.collection("tickets").document_chunks(ticket_id, "demo")
    assert chunk.metadata["ai_summary"] == analysis["summary"] and chunk.metadata["status"] == "resolved"


async def test_reply_suggestions_polish_and_english(api_client: httpx.AsyncClient) -> None:
    english = data(await api_client.post("/api/trpc/ai.generateReplySuggestions", json={"json": {"ticketId": "TKT-H-0001"}}))["suggestions"]
    assert [(s["tone"], s["length"]) for s in english] == [("helpful", "detailed"), ("empathetic", "concise")]
    assert "[KB-1008]" in english[0]["text"] and "[KB-1008]" in english[1]["text"] and len(english[1]["text"]) < len(english[0]["text"])
    polish = data(await api_client.post("/api/trpc/ai.generateReplySuggestions", json={"json": {"ticketId": "TKT-H-0002"}}))["suggestions"]
    assert polish[1]["text"].startswith("Przepraszamy") and "[KB-1008]" in polish[1]["text"]
    assert "odpowiedz na tę wiadomość" in polish[0]["text"] and "Dear" not in polish[0]["text"]


async def test_token_usage_lists_the_calls_of_the_tenant(api_client: httpx.AsyncClient, key_headers: KeyHeaders) -> None:
    other = key_headers("usage-tenant")
    for text in ("Great, thanks!", "Still broken."):
        assert (await api_client.post("/api/trpc/ai.analyzeSentiment", json={"json": {"text": text}}, headers=other)).status_code == 200
    today = datetime.now(timezone.utc).date().isoformat()
    query = urllib.parse.quote(json.dumps({"startDate": today, "endDate": today, "groupBy": "operation"}))
    usage = data(await api_client.get(f"/api/trpc/ai.getTokenUsage?input={query}", headers=other))
    assert len(usage["usage"]) == 2 and {u["operation"] for u in usage["usage"]} == {"sentiment_analysis"}
    assert all(u["model"] == "offline" and u["total_tokens"] == 0 and u["created_at"].endswith("Z") for u in usage["usage"])
    assert usage["totals"] == {"totalTokens": 0, "totalPromptTokens": 0, "totalCompletionTokens": 0}
    assert usage["groups"] == [{"key": "sentiment_analysis", "calls": 2, "totalTokens": 0, "totalPromptTokens": 0, "totalCompletionTokens": 0}]
    wrapped = data(await api_client.get("/api/trpc/ai.getTokenUsage", params={"input": json.dumps({"json": {"endDate": "2000-01-01"}})}, headers=other))
    assert wrapped["usage"] == [] and "groups" not in wrapped
    everything = data(await api_client.get("/api/trpc/ai.getTokenUsage", headers=other))
    assert len(everything["usage"]) == 2

    # Both dates are filters: an end before the start is an empty window, not an error.
    reversed_range = data(await api_client.get("/api/trpc/ai.getTokenUsage", params={"input": json.dumps({"startDate": today, "endDate": "2024-01-01"})}, headers=other))
    assert reversed_range["usage"] == [] and reversed_range["totals"]["totalTokens"] == 0
    instant = data(await api_client.get("/api/trpc/ai.getTokenUsage", params={"input": json.dumps({"startDate": f"{today}T00:00:00Z"})}, headers=other))
    assert len(instant["usage"]) == 2
    bad_date = await api_client.get("/api/trpc/ai.getTokenUsage", params={"input": json.dumps({"startDate": "2024-02-30"})})
    assert trpc_error(bad_date, 422, "UNPROCESSABLE_CONTENT")["data"]["appCode"] == "invalid_input"
    not_json = await api_client.get("/api/trpc/ai.getTokenUsage", params={"input": "{startDate"})
    trpc_error(not_json, 400, "BAD_REQUEST")
    bad_group = await api_client.get("/api/trpc/ai.getTokenUsage", params={"input": json.dumps({"groupBy": "year"})})
    trpc_error(bad_group, 422, "UNPROCESSABLE_CONTENT")


@pytest.mark.parametrize(
    ("procedure", "body", "status", "code"),
    [
        ("ai.summarizeTicket", {"json": {"ticketId": "TKT-DOES-NOT-EXIST"}}, 404, "NOT_FOUND"),
        ("ai.analyzeTicket", {"json": {"ticketId": "TKT-DOES-NOT-EXIST"}}, 404, "NOT_FOUND"),
        ("ai.generateReplySuggestions", {"json": {"ticketId": "TKT-DOES-NOT-EXIST"}}, 404, "NOT_FOUND"),
        ("ai.generateTicketEmbedding", {"json": {"ticketId": "TKT-DOES-NOT-EXIST"}}, 404, "NOT_FOUND"),
        ("ai.summarizeTicket", {"json": {"ticketId": ""}}, 422, "UNPROCESSABLE_CONTENT"),
        ("ai.summarizeTicket", {"ticketId": "TKT-H-0001"}, 422, "UNPROCESSABLE_CONTENT"),
        ("ai.analyzeSentiment", {"json": {"text": ""}}, 422, "UNPROCESSABLE_CONTENT"),
        ("ai.analyzeSentiment", {"json": {"text": "hi", "lang": "pl"}}, 422, "UNPROCESSABLE_CONTENT"),
        ("ai.predictPriority", {"json": {"description": "no subject"}}, 422, "UNPROCESSABLE_CONTENT"),
        ("ai.predictPriority", {"json": {"subject": "x", "description": 42}}, 422, "UNPROCESSABLE_CONTENT"),
        ("ai.suggestTags", {"json": {"subject": "x", "description": {"type": "doc", "content": "not an array"}}}, 422, "UNPROCESSABLE_CONTENT"),
        ("ai.nonexistentProcedure", {"json": {}}, 404, "NOT_FOUND"),
    ],
)
async def test_bad_input_gets_a_trpc_error(api_client: httpx.AsyncClient, procedure: str, body: dict, status: int, code: str) -> None:
    response = await api_client.post(f"/api/trpc/{procedure}", json=body)
    error = trpc_error(response, status, code)
    assert error["data"]["path"] == procedure


async def test_unauthenticated_and_wrong_method(api_app: FastAPI) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api_app), base_url="http://testserver") as anonymous:
        trpc_error(await anonymous.post("/api/trpc/ai.analyzeSentiment", json={"json": {"text": "hi"}}), 401, "UNAUTHORIZED")


async def test_plans_and_usage_limits(api_app: FastAPI, api_client: httpx.AsyncClient, key_headers: KeyHeaders) -> None:
    settings = api_app.state.settings
    plans = dict(settings.ai_tenant_plans)
    try:
        settings.ai_tenant_plans = {**plans, "free-tenant": "free", "pro-tenant": "pro"}
        settings.ai_pro_monthly_operations = 1
        free = await api_client.post("/api/trpc/ai.analyzeSentiment", json={"json": {"text": "hi"}}, headers=key_headers("free-tenant"))
        assert trpc_error(free, 403, "FORBIDDEN")["data"]["appCode"] == "ai_plan_required"
        pro = key_headers("pro-tenant")
        full = await api_client.post("/api/trpc/ai.suggestAssignee", json={"json": {"subject": "VPN", "description": "down"}}, headers=pro)
        assert "Business" in trpc_error(full, 403, "FORBIDDEN")["message"]
        assert (await api_client.post("/api/trpc/ai.analyzeSentiment", json={"json": {"text": "hi"}}, headers=pro)).status_code == 200
        limited = await api_client.post("/api/trpc/ai.analyzeSentiment", json={"json": {"text": "hi"}}, headers=pro)
        assert "resets at" in trpc_error(limited, 429, "TOO_MANY_REQUESTS")["message"] and int(limited.headers["retry-after"]) > 0
        usage = await api_client.get("/api/trpc/ai.getTokenUsage", headers=pro)  # reporting stays open
        assert usage.status_code == 200 and len(data(usage)["usage"]) == 1
    finally:
        settings.ai_tenant_plans = plans
        settings.ai_pro_monthly_operations = 500
