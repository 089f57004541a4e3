"""``POST /v1/ai/triage`` (seed 002 shape) through the real workflow."""

from __future__ import annotations

import uuid

import httpx

from tests.integration.conftest import KeyHeaders

SEED_KEYS = {"decision", "confidence", "intent", "priority", "entities", "similar_tickets", "suggested_category", "suggested_team", "token_usage"}


async def test_adhoc_triage_has_the_seed_002_shape(api_client: httpx.AsyncClient) -> None:
    description = (
        f"Run {uuid.uuid4().hex[:6]}: serwer srv-prod-db-03 nie odpowiada, ORA-12541 od 06:40. "
        "Kontakt: jan.kowalski@acme.pl, PESEL 44051401359."
    )
    response = await api_client.post("/v1/ai/triage", json={"title": "Baza produkcyjna nie działa", "description": description})
    assert response.status_code == 200, response.text
    body = response.json()
    assert SEED_KEYS <= set(body)
    assert body["decision"] in ("auto_resolve", "agent_assist", "escalate") and 0 <= body["confidence"] <= 1
    assert body["intent"]["type"] and isinstance(body["intent"]["alternatives"], list)
    assert body["priority"]["level"] in ("P1", "P2", "P3", "P4", "P5") and body["priority"]["sla_target"] > 0
    found = {(e["type"], e["value"]) for e in body["entities"]}
    assert {("hostname", "srv-prod-db-03"), ("error_code", "ORA-12541"), ("pesel", "44051401359")} <= found
    assert body["similar_tickets"] and {"TKT-H-0001", "TKT-H-0002"} & {t["id"] for t in body["similar_tickets"]}
    assert all(t["resolution"] for t in body["similar_tickets"])
    assert body["suggested_team"] == body["suggested_team"].lower() and " " not in body["suggested_team"]
    assert set(body["token_usage"]) == {"input", "output", "total", "cost"}

    again = await api_client.post("/v1/ai/triage", json={"title": "Baza produkcyjna nie działa", "description": description})
    assert again.json()["workflow_id"] == body["workflow_id"]  # same text, same run


async def test_triage_by_ticket_id_and_bad_requests(api_client: httpx.AsyncClient) -> None:
    known = await api_client.post("/v1/ai/triage", json={"ticketId": "TKT-H-0003"})
    assert known.status_code == 200, known.text
    assert known.json()["ticketId"] == "TKT-H-0003"
    assert "TKT-H-0003" not in [t["id"] for t in known.json()["similar_tickets"]]

    unknown = await api_client.post("/v1/ai/triage", json={"ticketId": "TKT-NOPE"})
    assert unknown.status_code == 404 and unknown.json()["detail"]["code"] == "ticket_not_found"
    both = await api_client.post("/v1/ai/triage", json={"ticketId": "TKT-H-0003", "title": "x"})
    assert both.status_code == 422 and "mutually exclusive" in both.text
    neither = await api_client.post("/v1/ai/triage", json={})
    assert neither.status_code == 422
    short = await api_client.post("/v1/ai/triage", json={"title": "help"})
    assert short.status_code == 422 and "10 characters" in short.text


async def test_batch_keeps_order_and_reports_failures_in_place(api_client: httpx.AsyncClient) -> None:
    response = await api_client.post("/v1/ai/triage/batch", json={"ticketIds": ["TKT-H-0004", "TKT-NOPE", "TKT-H-0005"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["batch_id"].startswith("batch_") and (body["total"], body["completed"], body["failed"]) == (3, 2, 1)
    assert [r["ticketId"] for r in body["results"]] == ["TKT-H-0004", "TKT-NOPE", "TKT-H-0005"]
    assert body["results"][1]["error"]["code"] == "ticket_not_found" and body["results"][1]["decision"] is None
    assert body["results"][0]["priority"]["level"] and body["results"][2]["intent"]["type"]
    assert set(body["token_usage"]) == {"input", "output", "total", "cost"}
    too_many = await api_client.post("/v1/ai/triage/batch", json={"ticketIds": [f"T-{i}" for i in range(51)]})
    assert too_many.status_code == 422
    empty = await api_client.post("/v1/ai/triage/batch", json={"ticketIds": []})
    assert empty.status_code == 422


async def test_metrics_count_the_runs_of_the_tenant(api_client: httpx.AsyncClient, key_headers: KeyHeaders) -> None:
    tenant = key_headers(f"metrics-{uuid.uuid4().hex[:6]}")
    empty = await api_client.get("/v1/ai/triage/metrics", headers=tenant)
    assert empty.status_code == 200 and empty.json()["total_triaged"] == 0 and empty.json()["avg_confidence"] is None
    for text in ("I was charged twice for my subscription this month.", "VPN GlobalProtect cannot connect since this morning."):
        response = await api_client.post("/v1/ai/triage", json={"description": text}, headers=tenant)
        assert response.status_code == 200, response.text
    await api_client.post("/v1/ai/triage", json={"description": "I was charged twice for my subscription this month."}, headers=tenant)  # repeat: same run

    metrics = (await api_client.get("/v1/ai/triage/metrics", params={"period": "1h"}, headers=tenant)).json()
    assert metrics["period"] == "1h" and metrics["total_triaged"] == 2
    assert sum(metrics["decisions"].values()) == 2 and sum(metrics["priority_distribution"].values()) == 2
    assert sum(metrics["intent_distribution"].values()) == 2 and 0 <= metrics["avg_confidence"] <= 1
    assert metrics["avg_processing_time_ms"] > 0 and metrics["token_usage"]["total_tokens"] >= 0
    team = response.json()["suggested_team"]
    by_team = (await api_client.get("/v1/ai/triage/metrics", params={"team": team}, headers=tenant)).json()
    assert by_team["total_triaged"] >= 1
    bad = await api_client.get("/v1/ai/triage/metrics", params={"period": "2w"})
    assert bad.status_code == 422


async def test_the_schema_states_the_body_rule(api_client: httpx.AsyncClient) -> None:
    """The body is one of two documented shapes, and the validator enforces exactly their rules."""
    schema = (await api_client.get("/openapi.json")).json()
    body = schema["paths"]["/v1/ai/triage"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert [branch["$ref"].rsplit("/", 1)[1] for branch in body["oneOf"]] == ["AiTriageByTicket", "AiTriageAdHoc"]
    adhoc = schema["components"]["schemas"]["AiTriageAdHoc"]
    assert adhoc["additionalProperties"] is False and {tuple(b["required"]) for b in adhoc["anyOf"]} == {("title",), ("description",)}

    for rejected in (
        {"title": "abc", "description": "defghij"},  # ten together, but neither has ten
        {"description": "      nine char      "},  # nine between the blanks
        {"title": None, "description": None},
    ):
        response = await api_client.post("/v1/ai/triage", json=rejected)
        assert response.status_code == 422 and "10 characters" in response.text, (rejected, response.text)
    extra = await api_client.post("/v1/ai/triage", json={"ticketId": "TKT-H-0003", "requesterEmail": "anna@acme.pl"})
    assert extra.status_code == 422 and any(e["type"] == "extra_forbidden" for e in extra.json()["detail"])
