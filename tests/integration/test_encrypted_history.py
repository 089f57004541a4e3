"""No raw PII in Temporal history: payloads are AES-GCM encrypted; the codec endpoint decrypts for operators."""

from __future__ import annotations

import base64
import uuid

import httpx
import pytest
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.client import Client

from core.contracts import TriageResult
from workflows import triage_workflow_id

pytestmark = pytest.mark.integration

PESEL = "44051401359"
IBAN = "PL61109010140000071219812874"


async def test_history_holds_no_pesel_or_iban_in_clear(
    api_client: httpx.AsyncClient, temporal_client: Client, integration_settings
) -> None:
    ticket_id = f"TKT-{uuid.uuid4().hex[:8]}"
    message = f"Please update my bank account to {IBAN}, my PESEL is {PESEL}. Refund for order ORD-1234 went to the old one."
    response = await api_client.post(
        "/api/v1/tickets/process",
        json={"ticket_id": ticket_id, "raw_message": message, "customer_name": "Anna Nowak", "customer_email": "anna.nowak@example.com"},
    )
    assert response.status_code == 200, response.text

    workflow_id = triage_workflow_id(integration_settings.default_tenant, ticket_id)
    raw = await temporal_client.workflow_service.get_workflow_execution_history(
        GetWorkflowExecutionHistoryRequest(
            namespace=temporal_client.namespace, execution=WorkflowExecution(workflow_id=workflow_id), maximum_page_size=1000
        )
    )
    history_bytes = raw.history.SerializeToString()
    assert len(raw.history.events) > 10
    for secret in (PESEL, IBAN, "anna.nowak@example.com"):
        assert secret.encode() not in history_bytes
    assert b"binary/encrypted" in history_bytes

    # The codec endpoint gives operators the clear text back, with the token only.
    started = raw.history.events[0].workflow_execution_started_event_attributes.input
    body = {"payloads": [{"metadata": {k: base64.b64encode(v).decode() for k, v in p.metadata.items()}, "data": base64.b64encode(p.data).decode()} for p in started.payloads]}
    denied = await api_client.post("/codec/decode", json=body)
    assert denied.status_code == 401
    decoded = await api_client.post("/codec/decode", json=body, headers={"Authorization": "Bearer test-codec-token"})
    assert decoded.status_code == 200, decoded.text
    clear = base64.b64decode(decoded.json()["payloads"][0]["data"])
    assert PESEL.encode() in clear

    # The local Temporal UI (its origin, from loopback: ASGI clients are 127.0.0.1) decodes with no token;
    # a page of another origin cannot.
    from_ui = await api_client.post("/codec/decode", json=body, headers={"Origin": "http://localhost:8233"})
    assert from_ui.status_code == 200 and PESEL.encode() in base64.b64decode(from_ui.json()["payloads"][0]["data"])
    assert (await api_client.post("/codec/decode", json=body, headers={"Origin": "http://evil.example"})).status_code == 401

    # The triage result (seed-002 entity shape) names both, with checksum validity.
    result = await temporal_client.get_workflow_handle(workflow_id, result_type=TriageResult).result()
    entities = {(e.type, e.value): e for e in result.entities}
    assert entities[("pesel", PESEL)].valid is True and entities[("iban", IBAN)].valid is True
    assert message[entities[("pesel", PESEL)].position : entities[("pesel", PESEL)].end] == PESEL

    bad = await api_client.post("/codec/decode", json={"payloads": "nope"}, headers={"Authorization": "Bearer test-codec-token"})
    assert bad.status_code == 422
