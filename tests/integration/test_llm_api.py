"""Model usage through the HTTP API and the real workflow: the worker's provider pointed at the
scriptable fake OpenAI-compatible server (tests/fake_openai.py), the rest real (Temporal dev server,
Chroma, SQL ledger, Presidio).

Seed 002's ``token_usage`` carries the run's real usage (classify + draft + policy_review), both
seeds' responses carry ``ai_usage`` (seed 001 beside its ``result``, which keeps the seed's shape),
a tenant over its monthly cap gets the offline path with ``cost_cap_reached``, and
``TRIAGE_AI_ENABLED=false`` says so in the response.
"""

from __future__ import annotations

import uuid
from typing import Any, Iterator

import httpx
import pytest

from agents.registry import TriageToolkit
from tests.fake_openai import USAGE, FakeOpenAI
from tests.integration.conftest import KeyHeaders
from tools.llm import OpenAIProvider, call_cost

OPERATIONS = {"classify", "draft", "policy_review"}


@pytest.fixture()
def fake_model(toolkit: TriageToolkit, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    """The in-process worker's toolkit talks to the fake server for the length of one test."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with FakeOpenAI() as server:
        original = (toolkit.llm, toolkit.settings)
        toolkit.llm = OpenAIProvider(model="gpt-4o-mini", base_url=server.base_url, api_key=None, timeout_s=10, max_retries=1, backoff_s=0.01)
        try:
            yield server
        finally:
            toolkit.llm, toolkit.settings = original


def use_settings(toolkit: TriageToolkit, **changes: Any) -> None:
    toolkit.settings = toolkit.settings.model_copy(update=changes)


def ticket_text(topic: str = "I was charged twice for my subscription this month") -> str:
    return f"{topic} (case {uuid.uuid4().hex[:8]}). My email is jan.kowalski@example.pl, PESEL 44051401359."


async def test_seed_002_token_usage_is_the_runs_real_usage(
    api_client: httpx.AsyncClient, toolkit: TriageToolkit, fake_model: FakeOpenAI
) -> None:
    response = await api_client.post("/v1/ai/triage", json={"title": "Double charge", "description": ticket_text()})
    assert response.status_code == 200, response.text
    body = response.json()
    per_call = call_cost("gpt-4o-mini", USAGE["prompt_tokens"], USAGE["completion_tokens"], toolkit.settings.llm_prices)
    assert body["token_usage"]["input"] == 3 * USAGE["prompt_tokens"] and body["token_usage"]["output"] == 3 * USAGE["completion_tokens"]
    assert body["token_usage"]["total"] == 3 * USAGE["total_tokens"] and body["token_usage"]["cost"] == pytest.approx(3 * per_call)
    ai = body["ai_usage"]
    assert ai["model"] == "gpt-4o-mini" and ai["ai_enabled"] is True and set(ai["by_node"]) == OPERATIONS
    assert all(node["fallback"] is None and node["input"] == USAGE["prompt_tokens"] for node in ai["by_node"].values())
    assert ai["by_node"]["classify"]["prompt_id"] == "classify_ticket@1"
    assert len(fake_model.received) == 3
    sent = fake_model.sent_text()
    assert "44051401359" not in sent and "jan.kowalski@example.pl" not in sent, "redacted before it left"
    classify_prompt = "\n".join(m["content"] for m in fake_model.received[0]["messages"])
    assert "Candidates (category / subcategory" in classify_prompt and "Billing / Duplicate Charge" in classify_prompt
    rows = [r for r in toolkit.usage_ledger.rows("demo") if r["workflow_id"] == body["workflow_id"]]  # type: ignore[union-attr]
    assert sorted(r["operation"] for r in rows) == sorted(OPERATIONS) and sum(r["cost"] for r in rows) == pytest.approx(3 * per_call)


async def test_seed_001_keeps_its_result_shape_and_adds_ai_usage_beside_it(
    api_client: httpx.AsyncClient, fake_model: FakeOpenAI
) -> None:
    ticket = {"ticket_id": f"TKT-LLM-{uuid.uuid4().hex[:8]}", "raw_message": ticket_text(), "customer_name": "Jan Kowalski", "customer_email": "jan.kowalski@example.pl"}
    response = await api_client.post("/api/v1/tickets/process", json=ticket)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body["result"]) == {"ticket_id", "timestamp", "triage", "answer_draft", "citations", "policy_check"}
    assert set(body["ai_usage"]["by_node"]) == OPERATIONS and body["ai_usage"]["model"] == "gpt-4o-mini"
    assert "Kowalski" not in fake_model.sent_text()
    assert "Jan Kowalski" in body["result"]["answer_draft"]["greeting"]


async def test_a_tenant_over_its_cap_gets_the_offline_path_and_the_reason(
    api_client: httpx.AsyncClient, toolkit: TriageToolkit, fake_model: FakeOpenAI, key_headers: KeyHeaders
) -> None:
    tenant = f"capped-{uuid.uuid4().hex[:6]}"
    use_settings(toolkit, tenant_monthly_cost_caps_usd={tenant: 0.0})
    response = await api_client.post("/v1/ai/triage", json={"description": ticket_text()}, headers=key_headers(tenant))
    assert response.status_code == 200, response.text
    body = response.json()
    assert fake_model.received == []
    assert {op: node["fallback"] for op, node in body["ai_usage"]["by_node"].items()} == dict.fromkeys(OPERATIONS, "cost_cap_reached")
    assert body["token_usage"] == {"input": 0, "output": 0, "total": 0, "cost": 0.0} and body["ai_usage"]["model"] == "offline"
    assert body["decision"] in ("auto_resolve", "agent_assist", "escalate"), "the ticket is still triaged"


async def test_ai_switched_off_says_so_and_sends_nothing(api_client: httpx.AsyncClient, toolkit: TriageToolkit, fake_model: FakeOpenAI) -> None:
    use_settings(toolkit, ai_enabled=False)
    response = await api_client.post("/v1/ai/triage", json={"description": ticket_text("VPN keeps disconnecting since this morning")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ai_usage"] == {"model": "offline", "ai_enabled": False, "by_node": {}}
    assert body["token_usage"]["total"] == 0 and fake_model.received == []


async def test_offline_provider_is_honest(api_client: httpx.AsyncClient) -> None:
    ticket = {"ticket_id": f"TKT-OFF-{uuid.uuid4().hex[:8]}", "raw_message": ticket_text(), "customer_name": "Jan Kowalski", "customer_email": "jan.kowalski@example.pl"}
    body = (await api_client.post("/api/v1/tickets/process", json=ticket)).json()
    assert body["ai_usage"] == {"model": "offline", "ai_enabled": True, "by_node": {}}
    adhoc = (await api_client.post("/v1/ai/triage", json={"description": ticket_text("Parcel not delivered for a week")})).json()
    assert adhoc["token_usage"] == {"input": 0, "output": 0, "total": 0, "cost": 0.0} and adhoc["ai_usage"]["model"] == "offline"
