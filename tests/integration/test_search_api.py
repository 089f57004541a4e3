"""Search, similar tickets, article suggestions and ticket updates over HTTP, on the real model,
Chroma and BM25, with the demo content seeded as the worker seeds it."""

from __future__ import annotations

import uuid

import httpx

from tests.integration.conftest import KeyHeaders


async def _process(api_client: httpx.AsyncClient, message: str) -> str:
    """Triage a new ticket through seed 001 and return its id."""
    ticket_id = f"TKT-{uuid.uuid4().hex[:8]}"
    processed = await api_client.post(
        "/api/v1/tickets/process",
        json={"ticket_id": ticket_id, "raw_message": message, "customer_name": "Ola", "customer_email": "ola@example.com"},
    )
    assert processed.status_code == 200, processed.text
    return ticket_id


async def test_semantic_search_puts_the_exact_error_code_first(api_client: httpx.AsyncClient) -> None:
    response = await api_client.post(
        "/v1/ai/search/semantic", json={"query": "ORA-12541 on srv-prod-db-03", "collection": "knowledge_base", "limit": 3}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["collection"] == "knowledge_base" and body["total_found"] == len(body["results"]) >= 1
    assert body["results"][0]["id"] == "KB-1008"
    assert all(0 <= r["score"] <= 1 for r in body["results"])
    assert [r["score"] for r in body["results"]] == sorted((r["score"] for r in body["results"]), reverse=True)
    top = body["results"][0]["payload"]
    assert top["title"] and top["chunk_id"].startswith("KB-1008-c-") and "tenant_id" not in top
    assert isinstance(body["search_time_ms"], int)


async def test_semantic_search_over_tickets_with_filters_and_runbooks(api_client: httpx.AsyncClient) -> None:
    tickets = await api_client.post(
        "/v1/ai/search/semantic",
        json={"query": "Oracle database connection timeout on production server", "collection": "tickets", "limit": 5,
              "threshold": 0.3, "filters": {"status": "resolved"}},
    )
    assert tickets.status_code == 200, tickets.text
    results = tickets.json()["results"]
    assert results and all(r["payload"]["status"] == "resolved" and r["payload"]["resolution"] for r in results)
    runbooks = await api_client.post("/v1/ai/search/semantic", json={"query": "restart the oracle listener", "collection": "runbooks"})
    assert runbooks.json()["results"][0]["id"] == "RB-2001"


async def test_semantic_search_modes_and_tenant_isolation(api_client: httpx.AsyncClient, key_headers: KeyHeaders) -> None:
    for mode in ("dense", "lexical", "hybrid"):
        response = await api_client.post(
            "/v1/ai/search/semantic", json={"query": "0x80070005 access denied", "collection": "knowledge_base", "mode": mode, "threshold": 0}
        )
        assert response.json()["results"][0]["id"] == "KB-1015", mode
    other = await api_client.post(
        "/v1/ai/search/semantic", json={"query": "ORA-12541", "collection": "knowledge_base", "threshold": 0},
        headers=key_headers("another-tenant"),
    )
    assert other.status_code == 200 and other.json()["results"] == []


async def test_semantic_search_rejects_bad_requests(api_client: httpx.AsyncClient) -> None:
    unknown = await api_client.post("/v1/ai/search/semantic", json={"query": "vpn", "collection": "wiki"})
    assert unknown.status_code == 422 and "collection" in unknown.text
    too_many = await api_client.post("/v1/ai/search/semantic", json={"query": "vpn", "collection": "tickets", "limit": 101})
    assert too_many.status_code == 422 and "limit" in too_many.text
    empty = await api_client.post("/v1/ai/search/semantic", json={"query": "", "collection": "tickets"})
    assert empty.status_code == 422


async def test_similar_tickets_return_resolutions_and_404_for_unknown(api_client: httpx.AsyncClient) -> None:
    response = await api_client.post("/v1/ai/similar-tickets", json={"ticketId": "TKT-H-0001", "limit": 3})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ticketId"] == "TKT-H-0001" and 1 <= len(body["similar"]) <= 3
    assert "TKT-H-0001" not in [s["id"] for s in body["similar"]]
    first = body["similar"][0]
    assert first["status"] == "resolved" and first["resolution"] and first["resolved_at"] and first["resolved_by"]
    assert "ORA-12541" in first["title"] or "Oracle" in first["title"] or "listener" in (first["resolution"] or "").lower()
    missing = await api_client.post("/v1/ai/similar-tickets", json={"ticketId": "TKT-DOES-NOT-EXIST"})
    assert missing.status_code == 404 and missing.json()["detail"]["code"] == "ticket_not_found"
    bad = await api_client.post("/v1/ai/similar-tickets", json={"ticketId": "TKT-H-0001", "limit": 21})
    assert bad.status_code == 422
    bad_status = await api_client.post("/v1/ai/similar-tickets", json={"ticketId": "TKT-H-0001", "status": "closed"})
    assert bad_status.status_code == 422


async def test_article_suggestions_are_published_with_reasons(api_client: httpx.AsyncClient) -> None:
    response = await api_client.post("/api/trpc/ai.suggestArticles", json={"json": {"ticketId": "TKT-H-0001"}})
    assert response.status_code == 200, response.text
    suggestions = response.json()["result"]["data"]["json"]["suggestions"]
    assert suggestions[0]["articleId"] == "KB-1008"
    for suggestion in suggestions:
        assert 0 <= suggestion["relevance"] <= 1 and suggestion["reasoning"] and suggestion["article"]["content"]
        assert suggestion["articleId"] not in ("KB-1019", "KB-1035")  # drafts


async def test_a_triaged_ticket_is_indexed_and_resolving_it_makes_it_an_answer(api_client: httpx.AsyncClient) -> None:
    ticket_id = await _process(api_client, "Printer PRN-WAW-3F-01 on the third floor shows offline in Windows, nobody can print since the morning.")
    found = await api_client.post("/v1/ai/similar-tickets", json={"ticketId": ticket_id, "status": "all"})
    assert found.status_code == 200

    resolve_without_text = await api_client.patch(f"/api/v1/tickets/{ticket_id}", json={"status": "resolved"})
    assert resolve_without_text.status_code == 400 and resolve_without_text.json()["detail"]["code"] == "resolution_required"
    resolved = await api_client.patch(
        f"/api/v1/tickets/{ticket_id}",
        json={"status": "resolved", "resolution": "Re-added the printer queue on print server; spooler restarted.", "resolved_by": "k.nowak"},
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved" and resolved.json()["resolved_at"]

    search = await api_client.post(
        "/v1/ai/search/semantic",
        json={"query": "PRN-WAW-3F-01 offline", "collection": "tickets", "threshold": 0, "filters": {"status": "resolved"}},
    )
    hit = next(r for r in search.json()["results"] if r["id"] == ticket_id)
    assert hit["payload"]["resolved_by"] == "k.nowak" and "spooler" in hit["payload"]["resolution"]
    missing = await api_client.patch("/api/v1/tickets/NOPE-1", json={"status": "open"})
    assert missing.status_code == 404


async def test_resolving_with_a_person_stores_no_personal_data(api_client: httpx.AsyncClient, toolkit) -> None:  # type: ignore[no-untyped-def]
    """A resolver's email or a PESEL in a resolution must not reach the store in clear (it surfaces to other agents)."""
    ticket_id = await _process(api_client, "Outlook on laptop LT-0042 shows the mailbox full warning and stopped sending mail.")
    resolved = await api_client.patch(
        f"/api/v1/tickets/{ticket_id}",
        json={"status": "resolved", "resolution": "Archived old mail for the user with PESEL 44051401359.", "resolved_by": "anna.nowak@example.com"},
    )
    assert resolved.status_code == 200, resolved.text
    body = resolved.text
    assert "anna.nowak@example.com" not in body and "44051401359" not in body
    [chunk] = toolkit.retrieval.collection("tickets").document_chunks(ticket_id, "demo")
    stored = repr(chunk.metadata) + chunk.text
    assert "anna.nowak@example.com" not in stored and "44051401359" not in stored
    assert "<EMAIL_1>" in str(chunk.metadata.get("resolved_by")) and "<PESEL_1>" in str(chunk.metadata.get("resolution"))


async def test_triage_result_lists_similar_resolved_tickets(api_client: httpx.AsyncClient, temporal_client, integration_settings) -> None:  # type: ignore[no-untyped-def]
    from core.contracts import TriageResult
    from workflows import triage_workflow_id

    ticket_id = await _process(api_client, "Since this morning every connection to srv-prod-db-03 fails with ORA-12541 TNS no listener, reports are down.")
    handle = temporal_client.get_workflow_handle(triage_workflow_id(integration_settings.default_tenant, ticket_id), result_type=TriageResult)
    result = await handle.result()
    ids = [t.id for t in result.similar_tickets]
    assert {"TKT-H-0001", "TKT-H-0002"} & set(ids[:2]), ids
    assert all(t.resolution and 0 <= t.similarity <= 1 for t in result.similar_tickets)


async def test_trpc_find_similar_tickets(api_client: httpx.AsyncClient) -> None:
    response = await api_client.post("/api/trpc/ai.findSimilarTickets", json={"json": {"ticketId": "TKT-H-0002"}})
    assert response.status_code == 200, response.text
    similar = response.json()["result"]["data"]["json"]["similarTickets"]
    assert 1 <= len(similar) <= 5 and similar[0]["ticketId"] == "TKT-H-0001"
    assert similar[0]["reasoning"] and similar[0]["ticket"]["subject"] and similar[0]["ticket"]["status"]
    assert "TKT-H-0002" not in [s["ticketId"] for s in similar]
    missing = await api_client.post("/api/trpc/ai.findSimilarTickets", json={"json": {"ticketId": "NOPE"}})
    assert missing.status_code == 404
    malformed = await api_client.post("/api/trpc/ai.findSimilarTickets", json={"ticketId": "TKT-H-0002"})
    assert malformed.status_code == 422
