"""Re-hydration is for roles that may see personal data (agent, admin; not service), and every
attempt is an audit event (key, user, role, tenant, mapping id, outcome, count; never the values)."""

from __future__ import annotations

import uuid

import httpx
import sqlalchemy as sa

from core.settings import Settings
from tests.integration.conftest import KeyHeaders
from tools.pii.audit import RehydrationAudit, rehydration_audit

TEXT = "Zwrot na konto PL61109010140000071219812874 dla anna@acme.pl"


async def test_rehydrate_is_privileged_and_audited(
    api_client: httpx.AsyncClient, key_headers: KeyHeaders, integration_settings: Settings
) -> None:
    tenant = f"audit-{uuid.uuid4().hex[:8]}"
    agent, admin, service = (key_headers(tenant, role) for role in ("agent", "admin", "service"))
    redacted = await api_client.post("/v1/ai/redact", json={"text": TEXT}, headers=service)
    assert redacted.status_code == 200, redacted.text
    mapping_id = redacted.json()["mapping_id"]
    draft = {"mapping_id": mapping_id, "text": "Przelew na <IBAN_1> wysłany, potwierdzenie na <EMAIL_1>."}

    refused = await api_client.post("/v1/ai/rehydrate", json=draft, headers=service)
    assert refused.status_code == 403 and refused.json()["detail"]["code"] == "forbidden", refused.text
    assert "PL61" not in refused.text

    for headers in (agent, admin):
        response = await api_client.post("/v1/ai/rehydrate", json=draft, headers=headers)
        assert response.status_code == 200, response.text
        assert "PL61109010140000071219812874" in response.json()["text"] and response.json()["replaced"] == 2
    unknown = await api_client.post("/v1/ai/rehydrate", json={"mapping_id": "map_nope", "text": "<IBAN_1>"}, headers=agent)
    assert unknown.status_code == 404

    audit = RehydrationAudit(sa.create_engine(integration_settings.sql_url))
    events = audit.events(tenant)
    assert [(e.role, e.outcome, e.replaced, e.mapping_id) for e in events] == [
        ("agent", "not_found", 0, "map_nope"),
        ("admin", "rehydrated", 2, mapping_id),
        ("agent", "rehydrated", 2, mapping_id),
    ]
    assert all(e.key_id and e.user_id and e.request_id and e.tenant_id == tenant for e in events)
    with sa.create_engine(integration_settings.sql_url).connect() as connection:
        stored = " ".join(str(value) for row in connection.execute(sa.select(rehydration_audit)) for value in row)
    assert "PL61" not in stored and "anna@" not in stored
